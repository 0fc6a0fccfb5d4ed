import { aRevocation, aRuntimeKey, aSource, anEnding } from '../../testing/access.fixtures';
import { accessRecordKey, decodeAccessRecord, encodeAccessRecord, type AccessRecord } from './access-record';

describe('access records', () => {
  const key = aRuntimeKey({ sourceId: 'web', expiresAt: '2027-01-01T00:00:00.000Z', scopes: ['ingest', 'read'] });
  const records: AccessRecord[] = [
    key.record,
    aRevocation(key.id),
    anEnding(key.id, '2026-01-03T00:00:00.000Z'),
    { kind: 'key-used', keyId: key.id, at: '2026-01-02T10:00:00.000Z' },
    { kind: 'key-used', keyId: '0123456789ab', at: '2026-01-02T10:00:00.000Z' },
    { kind: 'source', source: aSource({ allowedTypes: ['PAGE_VIEW'], rateLimitPerMinute: 600 }) },
  ];

  it.each(records.map((r) => [r.kind, r] as const))(
    'when a %s record is encoded, then it decodes to itself',
    (_k, r) => {
      expect(decodeAccessRecord(Buffer.from(encodeAccessRecord(r)))).toEqual(r);
    },
  );

  it('when records are keyed for compaction, then every fact has a key of its own, so none replaces another', () => {
    expect(records.map(accessRecordKey)).toEqual([
      `key:${key.id}`,
      `key-revoked:${key.id}`,
      `key-ends:${key.id}`,
      `key-used:${key.id}`,
      'key-used:0123456789ab',
      'source:web',
    ]);
  });

  it.each([
    ['null (a tombstone)', null],
    ['not JSON', 'nope'],
    ['an unknown kind', JSON.stringify({ kind: 'key-frozen', keyId: 'abababababababab' })],
    ['a key without a hash', JSON.stringify({ kind: 'key', key: { ...key.record.key, hash: undefined } })],
    ['a key with an unknown scope', JSON.stringify({ kind: 'key', key: { ...key.record.key, scopes: ['root'] } })],
    ['a revocation with a bad id', JSON.stringify({ ...aRevocation(key.id), keyId: 'ABC' })],
    ['a source with a bad id', JSON.stringify({ kind: 'source', source: aSource({ id: 'Web App' }) })],
  ])('when the value is %s, then it is not a record', (_what, value) => {
    expect(decodeAccessRecord(value)).toBeUndefined();
  });

  it('when a newer writer adds a field, then the record still decodes (the field is dropped)', () => {
    const value = JSON.stringify({ ...aRevocation(key.id), reason: 'leaked' });
    expect(decodeAccessRecord(value)).toEqual(aRevocation(key.id));
  });
});
