import { formatState, listQuery, parseState, statsQuery, type DashboardState } from './url-state';

const aState = (overrides: Partial<DashboardState> = {}): DashboardState => ({
  userId: '',
  types: [],
  from: null,
  to: null,
  cursor: null,
  range: '24h',
  bucket: 'hour',
  insights: '30d',
  funnel: [],
  within: 'P7D',
  keys: 'active',
  ...overrides,
});

describe('dashboard URL state', () => {
  it('when a state is written to the URL and read back, then it is the same state', () => {
    const state = aState({
      userId: 'alice@example.com',
      types: ['LOGIN', 'SEARCH'],
      from: '2026-01-01T10:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
      cursor: 'eyJ0IjoxfQ',
      range: '7d',
      bucket: 'hour',
      insights: '90d',
      funnel: [{ type: 'PAGE_VIEW' }, { type: 'SEARCH', where: { path: 'metadata.query', value: 'running shoes' } }],
      within: 'PT1H',
      keys: 'revoked',
    });

    expect(parseState(formatState(state))).toEqual(state);
  });

  it("when a funnel is chosen, then the URL keeps it in the funnel endpoint's own syntax", () => {
    const state = aState({
      funnel: [{ type: 'SIGNUP' }, { type: 'SEARCH', where: { path: 'metadata.query', value: 'shoes' } }],
      within: 'P1D',
    });

    const params = new URLSearchParams(formatState(state));
    expect(params.get('funnel')).toBe('SIGNUP,SEARCH[metadata.query=shoes]');
    expect(params.get('within')).toBe('P1D');
  });

  it('when the insights part of the URL was edited by hand, then what does not parse falls back to the defaults', () => {
    expect(parseState('?insights=2y&funnel=SIGNUP&within=P91D')).toEqual(aState());
    expect(parseState('?funnel=SIGNUP,bogus').funnel).toEqual([]);
  });

  it('when the state is the default, then the URL has no query at all', () => {
    expect(formatState(aState())).toBe('');
    expect(parseState('')).toEqual(aState());
  });

  it('when the URL was edited by hand, then what does not parse is dropped, not sent to the API', () => {
    const state = parseState(
      '?userId=has%20space&type=LOGIN,bo-gus&type=SEARCH&from=yesterday&to=2026-01-01T00:00:00%2B02:00&cursor=$ne&range=5y&bucket=week',
    );

    expect(state).toEqual(
      aState({ types: ['LOGIN', 'SEARCH'], to: '2025-12-31T22:00:00.000Z', range: '24h', bucket: 'hour' }),
    );
  });

  it('when the URL names a type registered at runtime, then it is kept like a built-in one', () => {
    expect(parseState('?type=VIDEO_PLAY,LOGIN&type=VIDEO_PLAY').types).toEqual(['VIDEO_PLAY', 'LOGIN']);
    expect(formatState(aState({ types: ['VIDEO_PLAY'] }))).toBe('?type=VIDEO_PLAY');
  });

  it('when the URL names which keys to list, then only a known status is kept; the default is left out', () => {
    expect(parseState('?keys=all').keys).toBe('all');
    expect(parseState('?keys=uapk_0123456789abcdef').keys).toBe('active');
    expect(formatState(aState({ keys: 'rotated' }))).toBe('?keys=rotated');
  });

  it('when a preset is chosen without a bucket, then its default bucket applies', () => {
    expect(parseState('?range=1h').bucket).toBe('minute');
    expect(parseState('?range=7d').bucket).toBe('day');
    expect(parseState('?range=7d&bucket=hour').bucket).toBe('hour');
  });

  it('when the table and chart ask the API, then the list query carries the filters and the stats query the range', () => {
    const state = aState({ userId: 'bob', types: ['LOGIN', 'PURCHASE'], cursor: 'abc', range: '1h', bucket: 'minute' });

    expect(listQuery(state, 25)).toEqual({
      limit: 25,
      userId: 'bob',
      type: 'LOGIN,PURCHASE',
      cursor: 'abc',
    });
    expect(statsQuery(state, Date.parse('2026-01-01T12:00:00Z'))).toEqual({
      from: '2026-01-01T11:00:00.000Z',
      to: '2026-01-01T12:00:00.000Z',
      bucket: 'minute',
    });
  });
});
