import { randomUUID } from 'node:crypto';
import {
  compareByKeyset,
  decodeCursor,
  encodeCursor,
  filterFingerprint,
  isWithinOffsetCap,
  offsetOf,
  type ActivityFilters,
} from './activity-query';
import { fingerprintOf } from './keyset-cursor';

const position = { occurredAt: new Date('2026-03-01T12:00:00.123Z'), eventId: randomUUID() };
const filters: ActivityFilters = {
  userId: 'alice',
  types: ['LOGIN', 'SEARCH'],
  from: new Date('2026-01-01T00:00:00Z'),
  to: new Date('2026-04-01T00:00:00Z'),
};

describe('cursor codec', () => {
  it('when a cursor is decoded with the filters and sort it was issued for, then the position comes back', () => {
    const cursor = encodeCursor(position, filters, 'desc');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, filters, 'desc')).toEqual({ ok: true, position });
  });

  it('when the same filters are spelled differently, then the cursor still fits', () => {
    const cursor = encodeCursor(position, filters, 'asc');
    const respelled: ActivityFilters = {
      to: new Date('2026-04-01T02:00:00+02:00'),
      from: filters.from,
      types: ['SEARCH', 'LOGIN', 'SEARCH'],
      userId: 'alice',
    };
    expect(decodeCursor(cursor, respelled, 'asc').ok).toBe(true);
  });

  it.each<[string, ActivityFilters]>([
    ['another user', { ...filters, userId: 'bob' }],
    ['no user', { ...filters, userId: undefined }],
    ['other types', { ...filters, types: ['LOGIN'] }],
    ['no types', { ...filters, types: undefined }],
    ['another from', { ...filters, from: new Date('2026-01-01T00:00:00.001Z') }],
    ['no to', { ...filters, to: undefined }],
  ])('when the cursor is sent with %s, then it is rejected as filters-changed', (_, changed) => {
    const cursor = encodeCursor(position, filters, 'desc');
    expect(decodeCursor(cursor, changed, 'desc')).toEqual({ ok: false, reason: 'filters-changed' });
  });

  it('when the cursor is sent with the other sort order, then it is rejected as sort-changed', () => {
    expect(decodeCursor(encodeCursor(position, filters, 'desc'), filters, 'asc')).toEqual({
      ok: false,
      reason: 'sort-changed',
    });
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['empty', ''],
    ['a JSON array', Buffer.from('[1,2]').toString('base64url')],
    [
      'an unknown version',
      Buffer.from(JSON.stringify({ v: 2, t: 0, i: randomUUID(), s: 'desc', f: 'x'.repeat(22) })).toString('base64url'),
    ],
    [
      'a non-uuid eventId',
      Buffer.from(JSON.stringify({ v: 1, t: 0, i: '{"$gt":""}', s: 'desc', f: filterFingerprint(filters) })).toString(
        'base64url',
      ),
    ],
    [
      'a fractional time',
      Buffer.from(JSON.stringify({ v: 1, t: 0.5, i: randomUUID(), s: 'desc', f: filterFingerprint(filters) })).toString(
        'base64url',
      ),
    ],
    [
      'an extra field',
      Buffer.from(
        JSON.stringify({ v: 1, t: 0, i: randomUUID(), s: 'desc', f: filterFingerprint(filters), $where: 1 }),
      ).toString('base64url'),
    ],
  ])('when the cursor is %s, then it is rejected as malformed', (_, cursor) => {
    expect(decodeCursor(cursor, filters, 'desc')).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('cursor codec with identities', () => {
  const user: ActivityFilters = { userId: 'alice', types: ['LOGIN'] };

  it('when a visitor filter is added or changed, then a cursor of the other query is rejected', () => {
    const cursor = encodeCursor(position, { ...user, anonymousId: 'a-1' }, 'desc');
    expect(decodeCursor(cursor, { ...user, anonymousId: 'a-2' }, 'desc').ok).toBe(false);
    expect(decodeCursor(cursor, user, 'desc').ok).toBe(false);
    expect(decodeCursor(cursor, { ...user, anonymousId: 'a-1' }, 'desc').ok).toBe(true);
  });

  it('when a user’s history gains a link between pages, then its cursor still fits; the list by userId’s does not', () => {
    const cursor = encodeCursor(position, { ...user, linkedAnonymousIds: ['a-1'] }, 'desc');
    expect(decodeCursor(cursor, { ...user, linkedAnonymousIds: ['a-1', 'a-2'] }, 'desc').ok).toBe(true);
    expect(decodeCursor(cursor, { ...user, linkedAnonymousIds: [] }, 'desc').ok).toBe(true);
    expect(decodeCursor(cursor, user, 'desc')).toEqual({ ok: false, reason: 'filters-changed' });
  });

  it('when a source filter is added, changed or dropped, then a cursor of the other query is rejected', () => {
    const cursor = encodeCursor(position, { ...user, sourceId: 'web' }, 'desc');
    expect(decodeCursor(cursor, { ...user, sourceId: 'web' }, 'desc').ok).toBe(true);
    expect(decodeCursor(cursor, { ...user, sourceId: 'ios' }, 'desc')).toEqual({
      ok: false,
      reason: 'filters-changed',
    });
    expect(decodeCursor(cursor, user, 'desc')).toEqual({ ok: false, reason: 'filters-changed' });
    expect(decodeCursor(encodeCursor(position, user, 'desc'), { ...user, sourceId: 'web' }, 'desc').ok).toBe(false);
  });

  it('when filters name neither identity filter, then the fingerprint is the one cursors were issued with before', () => {
    expect(filterFingerprint(filters)).toBe(
      fingerprintOf(['alice', ['LOGIN', 'SEARCH'], '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']),
    );
  });
});

describe('keyset order', () => {
  const t = new Date('2026-01-01T00:00:00Z');
  const a = { occurredAt: t, eventId: '00000000-0000-4000-8000-000000000001' };
  const b = { occurredAt: t, eventId: '00000000-0000-4000-8000-000000000002' };
  const later = { occurredAt: new Date(t.getTime() + 1), eventId: '00000000-0000-4000-8000-000000000000' };

  it('when times are equal, then eventId breaks the tie; otherwise time decides, in the sort direction', () => {
    expect([later, b, a].sort((x, y) => compareByKeyset(x, y, 'asc'))).toEqual([a, b, later]);
    expect([a, later, b].sort((x, y) => compareByKeyset(x, y, 'desc'))).toEqual([later, b, a]);
    expect(compareByKeyset(a, { ...a }, 'desc')).toBe(0);
  });
});

describe('offset cap', () => {
  it('when page x limit reaches 10,000 rows, then it is allowed, and one page more is not', () => {
    expect(offsetOf(1, 20)).toBe(0);
    expect(offsetOf(3, 20)).toBe(40);
    expect(isWithinOffsetCap(100, 100)).toBe(true);
    expect(isWithinOffsetCap(101, 100)).toBe(false);
    expect(isWithinOffsetCap(500, 20)).toBe(true);
    expect(isWithinOffsetCap(501, 20)).toBe(false);
  });
});
