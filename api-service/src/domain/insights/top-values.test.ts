import { commonRankableFields, isInsightValue, metadataValueAt, rankValues } from './top-values';

describe('top values', () => {
  it('when counts tie, then values are ordered by their JSON text in byte order, whatever order they came in', () => {
    const values = [
      { value: 'b', count: 2 },
      { value: true, count: 2 },
      { value: 10, count: 2 },
      { value: '10', count: 2 },
      { value: 'é', count: 2 },
      { value: 'z', count: 2 },
      { value: 'a', count: 3 },
      { value: 9, count: 2 },
    ];
    // JSON text: "10" "b" "z" "é" (0x22 …) before 10 and 9 (digits), before true: byte order, not locale order.
    const expected = ['a', '10', 'b', 'z', 'é', 10, 9, true];
    expect(rankValues(values, 10).map((v) => v.value)).toEqual(expected);
    expect(rankValues([...values].reverse(), 10).map((v) => v.value)).toEqual(expected);
    expect(rankValues(values, 3).map((v) => v.value)).toEqual(['a', '10', 'b']);
  });

  it('when a metadata path is read, then only an own string, number or boolean at its end is a value', () => {
    const metadata = {
      query: 'shoes',
      n: 0,
      flag: false,
      nothing: null,
      page: { path: '/pricing', tags: ['a'] },
      list: [{ path: '/x' }],
    };
    expect(metadataValueAt(metadata, 'metadata.query')).toBe('shoes');
    expect(metadataValueAt(metadata, 'metadata.n')).toBe(0);
    expect(metadataValueAt(metadata, 'metadata.flag')).toBe(false);
    expect(metadataValueAt(metadata, 'metadata.page.path')).toBe('/pricing');
    for (const path of ['metadata.nothing', 'metadata.page', 'metadata.page.tags', 'metadata.list.path'] as const) {
      expect([path, metadataValueAt(metadata, path)]).toEqual([path, undefined]);
    }
    expect(metadataValueAt(metadata, 'metadata.toString')).toBeUndefined();
    expect(metadataValueAt(metadata, 'metadata.query.length')).toBeUndefined();
    expect(isInsightValue(Number.NaN)).toBe(false);
  });

  it('when several types are asked for, then only the fields every one declares can be ranked', () => {
    expect(commonRankableFields([['metadata.path', 'metadata.url'], ['metadata.path']])).toEqual(['metadata.path']);
    expect(commonRankableFields([['metadata.query'], ['metadata.path']])).toEqual([]);
    expect(commonRankableFields([])).toEqual([]);
  });
});
