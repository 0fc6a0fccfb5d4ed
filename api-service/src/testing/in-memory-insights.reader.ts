import type { ActivityRecord } from '../application/ports/activity-reader.port';
import type {
  ActiveUsersCounts,
  ActiveUsersRequest,
  FunnelEvent,
  FunnelEventsRequest,
  InsightsReader,
  InsightValue,
  TopValuesCounts,
  TopValuesRequest,
} from '../application/ports/insights-reader.port';
import { isInsightValue, metadataValueAt } from '../domain/insights/top-values';

/**
 * The insights by brute force over stored records: every request walks every record. Written to be obviously
 * right rather than fast, it is the oracle the use case's tests and the store readers' tests compare with.
 */
export class InMemoryInsightsReader implements InsightsReader {
  readonly calls: Array<{ method: keyof InsightsReader; arg: unknown }> = [];

  constructor(
    private readonly records: ActivityRecord[] = [],
    /** Set: active users answer `exact: false` with this reason (rollups that do not cover every event). */
    private readonly inexactReason?: string,
  ) {}

  add(...records: ActivityRecord[]): void {
    this.records.push(...records);
  }

  async activeUsers(request: ActiveUsersRequest): Promise<ActiveUsersCounts> {
    this.calls.push({ method: 'activeUsers', arg: request });
    const buckets = new Map<number, Set<string>>();
    const days = new Map<number, Set<string>>();
    const total = new Set<string>();
    for (const record of this.records) {
      if (record.userId === undefined) continue;
      if (request.types !== undefined && !request.types.includes(record.type)) continue;
      if (record.occurredAt < request.from || record.occurredAt >= request.to) continue;
      addTo(buckets, calendarStart(record.occurredAt, request.bucket), record.userId);
      addTo(days, calendarStart(record.occurredAt, 'day'), record.userId);
      total.add(record.userId);
    }
    const listed = (sets: Map<number, Set<string>>) =>
      [...sets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, users]) => ({ start: new Date(start), users: users.size }));
    return {
      buckets: listed(buckets),
      days: listed(days),
      total: total.size,
      exact: this.inexactReason === undefined,
      ...(this.inexactReason === undefined ? {} : { inexactReason: this.inexactReason }),
    };
  }

  async topValues(request: TopValuesRequest): Promise<TopValuesCounts> {
    this.calls.push({ method: 'topValues', arg: request });
    const counts = new Map<string, { value: InsightValue; count: number }>();
    let counted = 0;
    for (const record of this.records) {
      if (request.types !== undefined && !request.types.includes(record.type)) continue;
      if (request.userId !== undefined && record.userId !== request.userId) continue;
      if (record.occurredAt < request.from || record.occurredAt >= request.to) continue;
      const value =
        request.field === 'userId'
          ? record.userId
          : request.field === 'type'
            ? record.type
            : metadataValueAt(record.metadata, request.field as `metadata.${string}`);
      if (!isInsightValue(value)) continue;
      counted++;
      // Keyed by JSON text: the string "1", the number 1 and true are three values.
      const key = JSON.stringify(value);
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { value, count: 1 });
    }
    // Every value, in no particular order: the use case ranks and cuts them.
    return { values: [...counts.values()], counted, distinct: counts.size };
  }

  async funnelEvents(request: FunnelEventsRequest): Promise<FunnelEvent[]> {
    this.calls.push({ method: 'funnelEvents', arg: request });
    const events: FunnelEvent[] = [];
    for (const record of this.records) {
      if (record.userId === undefined || !request.types.includes(record.type)) continue;
      if (request.userId !== undefined && record.userId !== request.userId) continue;
      if (record.occurredAt < request.from || record.occurredAt >= request.to) continue;
      const values: Record<string, InsightValue> = {};
      for (const field of request.fields) {
        const value = metadataValueAt(record.metadata, field);
        if (value !== undefined) values[field] = value;
      }
      events.push({
        userId: record.userId,
        type: record.type,
        occurredAt: record.occurredAt.getTime(),
        eventId: record.eventId,
        values,
      });
      if (events.length > request.upTo) break;
    }
    return events;
  }
}

/** By the calendar's own fields, not the domain's arithmetic: an oracle should not share the code it checks. */
function calendarStart(at: Date, bucket: ActiveUsersRequest['bucket']): number {
  const [year, month, day] = [at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()];
  if (bucket === 'month') return Date.UTC(year, month, 1);
  // getUTCDay: 0 is Sunday; weeks start on Monday.
  if (bucket === 'week') return Date.UTC(year, month, day - ((at.getUTCDay() + 6) % 7));
  return Date.UTC(year, month, day);
}

function addTo(sets: Map<number, Set<string>>, key: number, userId: string): void {
  const set = sets.get(key);
  if (set) set.add(userId);
  else sets.set(key, new Set([userId]));
}
