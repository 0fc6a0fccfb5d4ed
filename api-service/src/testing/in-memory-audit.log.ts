import type { AuditEntry, AuditLog, AuditQuery, AuditRecord } from '../application/ports/audit-log.port';

// Copied in and out, as a store would; structuredClone would make Dates of another realm under jest.
const copy = (r: AuditRecord): AuditRecord => ({
  ...r,
  at: new Date(r.at.getTime()),
  actor: { ...r.actor },
  target: r.target && { ...r.target },
  details: r.details && { ...r.details },
});

/** Newest first by (at, id), as the store sorts. */
const newestFirst = (a: AuditRecord, b: AuditRecord) =>
  b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The given record matches the query's filters and lies strictly after its cursor (newest first). */
export function matchesAuditQuery(query: Omit<AuditQuery, 'limit'>, record: AuditRecord): boolean {
  const at = record.at.getTime();
  const { cursor } = query;
  return (
    (query.action === undefined || record.action === query.action) &&
    (query.actorKeyId === undefined || record.actor.keyId === query.actorKeyId) &&
    (query.outcome === undefined || record.outcome === query.outcome) &&
    (query.targetId === undefined || record.target?.id === query.targetId) &&
    (query.from === undefined || at >= query.from.getTime()) &&
    (query.to === undefined || at < query.to.getTime()) &&
    (cursor === undefined || at < cursor.at.getTime() || (at === cursor.at.getTime() && record.id < cursor.id))
  );
}

/** The audit trail as a list, with the store's order, filters and idempotence; `failNext` makes appends fail. */
export class InMemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];
  /** How many of the next appends fail (a store that is away). */
  failNext = 0;
  appendCalls = 0;

  async append(record: AuditRecord): Promise<void> {
    this.appendCalls++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the store did not answer (append audit record)');
    }
    if (!this.records.some((r) => r.id === record.id)) this.records.push(copy(record));
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    return this.records
      .filter((r) => matchesAuditQuery(query, r))
      .sort(newestFirst)
      .slice(0, query.limit)
      .map(copy);
  }

  async deleteBefore(cutoff: Date): Promise<number> {
    const before = this.records.length;
    const kept = this.records.filter((r) => r.at.getTime() >= cutoff.getTime());
    this.records.splice(0, this.records.length, ...kept);
    return before - kept.length;
  }
}

/** An audit entry (a record without its id) with test defaults: a successful key.create by key `aaaaaaaaaaaa`. */
export function anAuditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: new Date('2026-01-01T00:00:00.000Z'),
    actor: { keyId: 'aaaaaaaaaaaa', label: 'API_KEYS #1' },
    action: 'key.create',
    target: { kind: 'key', id: '0123456789abcdef' },
    requestId: 'req-1',
    outcome: 'success',
    status: 201,
    details: null,
    ...overrides,
  };
}
