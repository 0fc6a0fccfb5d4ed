import type { Connection } from 'mongoose';
import { dropDatabase, storeIsFerretDb, testDatabase } from '../../../../test/support/integration';
import type { AuditQuery, AuditRecord } from '../../application/ports/audit-log.port';
import { auditIdOf } from '../../domain/audit-query';
import { anAuditEntry, InMemoryAuditLog } from '../../testing/in-memory-audit.log';
import { AUDIT_COLLECTION, AUDIT_INDEXES, MongoAuditLog } from './mongo-audit.log';

const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const ACTIONS = ['key.create', 'key.revoke', 'source.update', 'user.erase'];
const OUTCOMES = ['success', 'failure', 'denied'] as const;

/** 60 records, several sharing one millisecond (ties broken by id), spread over actions, actors and outcomes. */
function seed(): AuditRecord[] {
  return Array.from({ length: 60 }, (_, i) => {
    const at = new Date(BASE + Math.floor(i / 3) * 1_000);
    return {
      id: auditIdOf(at, (0xa00000000000 + ((i * 7919) % 60)).toString(16)),
      ...anAuditEntry({
        at,
        action: ACTIONS[i % ACTIONS.length]!,
        actor: i % 5 === 0 ? { keyId: null, label: null } : { keyId: `key${i % 3}`, label: `API_KEYS #${i % 3}` },
        outcome: OUTCOMES[i % OUTCOMES.length]!,
        status: [201, 400, 403][i % 3]!,
        target: i % 6 === 0 ? null : { kind: 'key', id: `t${i % 4}` },
        requestId: `req-${i}`,
        details: i % 2 === 0 ? { dryRun: true, count: i, names: ['a', 'b'] } : null,
      }),
    };
  });
}

/** Every page through the store's keyset: the last record of a page is the next one's cursor. */
async function walk(log: MongoAuditLog, query: Omit<AuditQuery, 'limit' | 'cursor'>, limit: number) {
  const seen: AuditRecord[] = [];
  let cursor: AuditQuery['cursor'];
  for (let pages = 0; pages < 100; pages++) {
    const page = await log.list({ ...query, limit, ...(cursor ? { cursor } : {}) });
    seen.push(...page);
    if (page.length < limit) return seen;
    const last = page[page.length - 1]!;
    cursor = { at: last.at, id: last.id };
  }
  throw new Error('the walk did not end');
}

describe('MongoAuditLog (integration, on the store under test)', () => {
  let connection: Connection;
  let log: MongoAuditLog;
  const records = seed();
  const reference = new InMemoryAuditLog();

  beforeAll(async () => {
    connection = await testDatabase('audit');
    log = new MongoAuditLog(connection, { maxTimeMs: 10_000 });
    if (!storeIsFerretDb()) await log.ensureIndexes();
    for (const record of records) {
      await log.append(record);
      await reference.append(record);
    }
  });

  afterAll(async () => {
    await dropDatabase(connection);
  });

  const all = (query: Omit<AuditQuery, 'limit' | 'cursor'>) => reference.list({ ...query, limit: 1_000 });

  it('when a record is appended again (a retry), then it is still stored once and unchanged', async () => {
    await log.append({ ...records[0]!, requestId: 'a-retry-never-overwrites' });
    const stored = await connection
      .db!.collection<{ _id: string }>(AUDIT_COLLECTION)
      .countDocuments({ _id: records[0]!.id });
    expect(stored).toBe(1);
    expect((await walk(log, {}, 100)).find((r) => r.id === records[0]!.id)).toEqual(records[0]);
  });

  it('when read back, then every field comes as written (dates as dates, null target and details kept)', async () => {
    expect(await walk(log, {}, 100)).toEqual(await all({}));
  });

  it.each([
    ['no filter', {}, 7],
    ['an action', { action: 'key.revoke' }, 4],
    ['an actor', { actorKeyId: 'key1' }, 5],
    ['an outcome', { outcome: 'denied' as const }, 3],
    ['a target', { targetId: 't2' }, 6],
    ['a range', { from: new Date(BASE + 5_000), to: new Date(BASE + 12_000) }, 4],
    ['everything', { action: 'key.create', outcome: 'success' as const, from: new Date(BASE + 3_000) }, 2],
  ])('when walked with %s, then the pages join newest first without gaps or repeats', async (_what, query, limit) => {
    const expected = await all(query);
    expect(expected.length).toBeGreaterThan(limit);
    const seen = await walk(log, query, limit);
    expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  });

  it('when the declared indexes are asked for on MongoDB, then they exist (FerretDB gets none)', async () => {
    const names = (await connection.db!.collection(AUDIT_COLLECTION).indexes()).map((index) => index.name);
    if (storeIsFerretDb()) expect(names).toEqual(['_id_']);
    else expect(names).toEqual(expect.arrayContaining(AUDIT_INDEXES.map((index) => index.name)));
  });

  it('when records older than a cutoff are deleted, then exactly those go and deleting again is a no-op', async () => {
    const cutoff = new Date(BASE + 10_000);
    const older = records.filter((r) => r.at < cutoff).length;
    expect(await log.deleteBefore(cutoff)).toBe(older);
    expect(await log.deleteBefore(cutoff)).toBe(0);
    const left = await walk(log, {}, 50);
    expect(left.map((r) => r.id)).toEqual((await all({ from: cutoff })).map((r) => r.id));
  });
});
