import { sourceLabels } from './worker.metrics';

describe('source labels of dead letters', () => {
  it('when headers name sources, then each is its own label; absent is none, malformed is other', () => {
    const labelOf = sourceLabels();

    expect(labelOf(Buffer.from('web'))).toBe('web');
    expect(labelOf('ios')).toBe('ios');
    expect(labelOf([Buffer.from('old'), Buffer.from('backend')])).toBe('backend');
    expect(labelOf(undefined)).toBe('none');
    expect(labelOf(Buffer.from('Web App'))).toBe('other');
    expect(labelOf(Buffer.from('x'.repeat(41)))).toBe('other');
  });

  it('when more distinct sources arrive than the cap, then the later ones count as other and the first keep theirs', () => {
    const labelOf = sourceLabels(2);

    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((id) => labelOf(id))).toEqual(['a', 'b', 'other', 'a', 'other', 'b']);
  });
});
