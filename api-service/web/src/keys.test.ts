import {
  allowedTypesText,
  countedSinceText,
  createKeyRequest,
  isKeyStatusFilter,
  keyActions,
  keyStatusText,
  rateLimitText,
  rotateRequest,
  sourceCountCells,
} from './keys';

const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const time = (iso: string) => `<${iso}>`;

describe('keys section', () => {
  it('when the form is filled, then the request holds the trimmed label, the scopes in order, and only what was chosen', () => {
    expect(
      createKeyRequest({ label: '  iOS app ', scopes: ['read', 'ingest'], sourceId: '', expiresAt: null }, NOW),
    ).toEqual({ request: { label: 'iOS app', scopes: ['ingest', 'read'] } });
    expect(
      createKeyRequest({ label: 'x', scopes: ['admin'], sourceId: 'ios', expiresAt: '2027-01-01T00:00:00.000Z' }, NOW),
    ).toEqual({ request: { label: 'x', scopes: ['admin'], sourceId: 'ios', expiresAt: '2027-01-01T00:00:00.000Z' } });
  });

  it('when the form lacks a label or a scope, or expires in the past, then it says so before asking the api', () => {
    const draft = { label: 'x', scopes: ['ingest'], sourceId: '', expiresAt: null };
    expect(createKeyRequest({ ...draft, label: '   ' }, NOW)).toEqual({
      problem: 'The label needs 1 to 100 characters.',
    });
    expect(createKeyRequest({ ...draft, label: 'x'.repeat(101) }, NOW)).toHaveProperty('problem');
    expect(createKeyRequest({ ...draft, scopes: ['write'] }, NOW)).toEqual({ problem: 'Choose at least one scope.' });
    expect(createKeyRequest({ ...draft, expiresAt: '2026-12-05T09:59:59.000Z' }, NOW)).toEqual({
      problem: 'The expiry must lie in the future.',
    });
  });

  it('when a key is listed, then an active runtime key may be rotated and revoked, one in its grace period only revoked', () => {
    expect(keyActions({ origin: 'runtime', status: 'active' })).toEqual(['rotate', 'revoke']);
    expect(keyActions({ origin: 'runtime', status: 'expiring' })).toEqual(['revoke']);
    expect(keyActions({ origin: 'runtime', status: 'revoked' })).toEqual([]);
    expect(keyActions({ origin: 'runtime', status: 'expired' })).toEqual([]);
  });

  it('when a key comes from API_KEYS, then the page offers nothing to do to it and says where it comes from', () => {
    expect(keyActions({ origin: 'bootstrap', status: 'active' })).toEqual([]);
    expect(keyStatusText({ origin: 'bootstrap', status: 'active', endsAt: null }, time)).toBe('active (API_KEYS)');
  });

  it('when a key was rotated, then its status says until when it still works', () => {
    expect(keyStatusText({ origin: 'runtime', status: 'expiring', endsAt: '2026-12-06T10:00:00Z' }, time)).toBe(
      'rotated, works until <2026-12-06T10:00:00Z>',
    );
    expect(keyStatusText({ origin: 'runtime', status: 'revoked', endsAt: null }, time)).toBe('revoked');
  });

  it('when a grace period is chosen, then the rotate request carries it; the default sends none', () => {
    expect(rotateRequest('')).toEqual({});
    expect(rotateRequest('0')).toEqual({ graceSeconds: 0 });
    expect(rotateRequest('604800')).toEqual({ graceSeconds: 604_800 });
  });

  it('when a source has no limit or no type list, then the table says none and all types', () => {
    expect(rateLimitText({ rateLimitPerMinute: null })).toBe('none');
    expect(rateLimitText({ rateLimitPerMinute: 600 })).toBe('600 / min');
    expect(allowedTypesText({ allowedTypes: null })).toBe('all types');
    expect(allowedTypesText({ allowedTypes: ['LOGIN', 'SEARCH'] })).toBe('LOGIN, SEARCH');
  });

  it('when a source has counts, then its cells show them; a count the api could not say is a dash, not 0', () => {
    const format = (n: number) => `#${n}`;
    const since = '2026-12-05T06:00:00.000Z';

    expect(sourceCountCells({ accepted: 1200, refused: 0, deadLettered: 3, since }, format)).toEqual([
      '#1200',
      '#0',
      '#3',
    ]);
    expect(sourceCountCells({ accepted: null, refused: null, deadLettered: null, since: null }, format)).toEqual([
      '–',
      '–',
      '–',
    ]);
  });

  it('when sources are listed, then the caption says since when the answering replica counts, or that it does not', () => {
    const counted = { counts: { accepted: 1, refused: 0, deadLettered: 0, since: '2026-12-05T06:00:00.000Z' } };
    const uncounted = { counts: { accepted: null, refused: null, deadLettered: 2, since: null } };

    expect(countedSinceText([counted], time)).toBe('since it started (<2026-12-05T06:00:00.000Z>)');
    expect(countedSinceText([uncounted], time)).toBe('(not counted: its metrics are off)');
    expect(countedSinceText([], time)).toBe('since it started');
  });

  it('when a status filter comes from the URL, then only the ones the api knows pass', () => {
    expect(isKeyStatusFilter('rotated')).toBe(true);
    expect(isKeyStatusFilter('expiring')).toBe(false);
    expect(isKeyStatusFilter(null)).toBe(false);
  });
});
