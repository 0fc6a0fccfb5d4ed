import { randomUUID } from 'node:crypto';
import { flagOf } from '@uap/shared/contract';
import { compareByKeyset, type ActivityFilters } from '../domain/activity-query';
import { FLAG_OF_KIND } from '../domain/violation-query';
import type {
  ActivityCount,
  ActivityCountByType,
  ActivityReader,
  ActivityRecord,
  PageRequest,
} from '../application/ports/activity-reader.port';
import type {
  ActivityViolationReader,
  ViolationPageRequest,
} from '../application/ports/activity-violation-reader.port';

export function matchesFilters(record: ActivityRecord, filters: ActivityFilters): boolean {
  if (filters.userId !== undefined && record.userId !== filters.userId) {
    // A user's history: also the linked visitors' events that name no other user.
    const linked = record.anonymousId !== undefined && filters.linkedAnonymousIds?.includes(record.anonymousId);
    if (!linked || record.userId !== undefined) return false;
  }
  if (filters.anonymousId !== undefined && record.anonymousId !== filters.anonymousId) return false;
  if (filters.sourceId !== undefined && record.sourceId !== filters.sourceId) return false;
  if (filters.types !== undefined && !filters.types.includes(record.type)) return false;
  if (filters.from && record.occurredAt < filters.from) return false;
  if (filters.to && record.occurredAt >= filters.to) return false;
  return true;
}

/** Test double for the reader port: brute-force filtering, and a call log to prove what was (not) queried. */
export class InMemoryActivityReader implements ActivityReader, ActivityViolationReader {
  readonly calls: Array<{ method: keyof ActivityReader | keyof ActivityViolationReader; arg: unknown }> = [];

  constructor(private readonly records: ActivityRecord[] = []) {}

  add(...records: ActivityRecord[]): void {
    this.records.push(...records);
  }

  async findPage(request: PageRequest): Promise<ActivityRecord[]> {
    this.calls.push({ method: 'findPage', arg: request });
    const { after, sort } = request;
    return this.records
      .filter((r) => matchesFilters(r, request.filters))
      .filter((r) => !after || compareByKeyset(r, after, sort) > 0)
      .sort((a, b) => compareByKeyset(a, b, sort))
      .slice(request.skip ?? 0, (request.skip ?? 0) + request.limit);
  }

  async count(filters: ActivityFilters): Promise<ActivityCount> {
    this.calls.push({ method: 'count', arg: filters });
    return { total: this.records.filter((r) => matchesFilters(r, filters)).length, exact: true };
  }

  async countByType(filters: ActivityFilters): Promise<ActivityCountByType> {
    this.calls.push({ method: 'countByType', arg: filters });
    const counts: ActivityCountByType['counts'] = {};
    for (const r of this.records) if (matchesFilters(r, filters)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return { counts, exact: true };
  }

  async findViolations(request: ViolationPageRequest): Promise<ActivityRecord[]> {
    this.calls.push({ method: 'findViolations', arg: request });
    const { filters, after } = request;
    return this.records
      .filter((r) => {
        const flag = flagOf(r);
        if (flag === undefined) return false;
        if (filters.kind !== undefined && flag !== FLAG_OF_KIND[filters.kind]) return false;
        return filters.type === undefined || r.type === filters.type;
      })
      .filter((r) => !after || compareByKeyset(r, after, 'desc') > 0)
      .sort((a, b) => compareByKeyset(a, b, 'desc'))
      .slice(0, request.limit);
  }

  async findByEventId(eventId: string): Promise<ActivityRecord | null> {
    this.calls.push({ method: 'findByEventId', arg: eventId });
    return this.records.find((r) => r.eventId === eventId) ?? null;
  }
}

export function anActivityRecord(overrides: Partial<ActivityRecord> = {}): ActivityRecord {
  return {
    eventId: randomUUID(),
    userId: 'user-1',
    type: 'LOGIN',
    occurredAt: new Date('2026-01-01T10:00:00.000Z'),
    receivedAt: new Date('2026-01-01T10:00:00.100Z'),
    persistedAt: new Date('2026-01-01T10:00:00.200Z'),
    metadata: { method: 'password', success: true },
    context: { ip: '127.0.0.1', userAgent: 'jest' },
    schemaVersion: 1,
    ...overrides,
  };
}
