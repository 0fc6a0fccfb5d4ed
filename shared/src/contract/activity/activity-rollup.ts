import { ACTIVITY_TYPE_NAME_PATTERN, type ActivityType } from './activity.types';
import type { IndexSpec } from './activity-indexes';

/**
 * Per-minute counts of stored activities, one document per UTC hour, maintained by the worker and
 * read by the stats endpoint. FerretDB has no $dateTrunc and evaluates ranges in memory, so counting
 * at read time cannot be fast; a 24 h minute query reads 24-25 of these instead of a million events.
 *
 * Exactly once without transactions: every change is a compare-and-set on `v`. `applied[p]` is the
 * highest offset of partition p counted here, so a redelivered message (offset ≤ applied) is never
 * counted twice, and `gone[p]` lists offsets removed by an erasure: decremented if they were counted,
 * never counted if they were not yet. The counted set of an hour is therefore always
 * { stored copies with offset ≤ applied[p] } minus gone, whatever crashes, retries or races happen.
 */
export const ROLLUPS_COLLECTION = 'activity_rollups';

export const ROLLUP_INDEXES: readonly IndexSpec[] = [{ name: 'day', key: { day: 1 } }];

export const MINUTES_PER_HOUR = 60;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;

export interface RollupDocument {
  /** The hour's start, `YYYY-MM-DDTHH` (UTC). */
  _id: string;
  /** `YYYY-MM-DD` (UTC): read by equality, which FerretDB pushes down to PostgreSQL. */
  day: string;
  hour: Date;
  /** Bumped by every change; updates are conditional on the value read. */
  v: number;
  /** Partition → highest offset counted in this hour. */
  applied: Record<string, number>;
  /** Partition → offsets erased from this hour (never counted again). */
  gone: Record<string, number[]>;
  /**
   * Type → 60 per-minute counts, comma-separated. A string, not an array: FerretDB stores a type schema
   * next to every array element, which made the documents 5× larger and the reads that much slower.
   */
  counts: Partial<Record<ActivityType, string>>;
}

/** One stored copy of an event, as the rollups count it. */
export interface RollupEntry {
  partition: number;
  offset: number;
  occurredAt: Date;
  type: ActivityType;
  /** The stored copy's userId: its event sets the user's bit in the active-user bitmaps (absent: anonymous). */
  userId?: string;
}

export function hourIdOf(at: Date): string {
  return at.toISOString().slice(0, 13);
}

export function dayIdOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function hourStartOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / MS_PER_HOUR) * MS_PER_HOUR);
}

export function encodeMinuteCounts(counts: readonly number[]): string {
  return counts.join(',');
}

/** 60 zeros for a missing type; a malformed string is a bug in the writer, so it throws. */
export function decodeMinuteCounts(encoded: string | undefined): number[] {
  if (encoded === undefined) return new Array<number>(MINUTES_PER_HOUR).fill(0);
  const counts = encoded.split(',').map(Number);
  if (counts.length !== MINUTES_PER_HOUR || counts.some((c) => !Number.isInteger(c) || c < 0)) {
    throw new Error(`malformed rollup counts: ${encoded.slice(0, 80)}`);
  }
  return counts;
}

export function emptyRollup(hour: Date): RollupDocument {
  return { _id: hourIdOf(hour), day: dayIdOf(hour), hour: hourStartOf(hour), v: 0, applied: {}, gone: {}, counts: {} };
}

/** Groups entries by the hour document they belong to. */
export function byHour<T extends { occurredAt: Date }>(entries: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const entry of entries) {
    const id = hourIdOf(entry.occurredAt);
    const group = groups.get(id);
    if (group) group.push(entry);
    else groups.set(id, [entry]);
  }
  return groups;
}

function addTo(doc: RollupDocument, entry: RollupEntry, delta: 1 | -1, cache: Map<ActivityType, number[]>): void {
  let counts = cache.get(entry.type);
  if (!counts) {
    counts = decodeMinuteCounts(doc.counts[entry.type]);
    cache.set(entry.type, counts);
  }
  const minute = entry.occurredAt.getUTCMinutes();
  counts[minute] = Math.max(0, counts[minute]! + delta);
}

function finish(doc: RollupDocument, cache: Map<ActivityType, number[]>): void {
  for (const [type, counts] of cache) doc.counts[type] = encodeMinuteCounts(counts);
}

/**
 * Counts one partition's stored copies of one chunk into an hour's document. Entries at or below
 * `applied`, and erased ones, were counted (or removed) already: skipped. Returns the document to write
 * (version bumped), or undefined when there is nothing new, so a replayed chunk costs no write.
 */
export function applyEntries(
  current: RollupDocument,
  partition: number,
  entries: readonly RollupEntry[],
  chunkEnd: number,
): RollupDocument | undefined {
  const key = String(partition);
  const applied = current.applied[key] ?? -1;
  if (chunkEnd <= applied) return undefined;
  const gone = new Set(current.gone[key] ?? []);
  const next: RollupDocument = structuredClone(current);
  const cache = new Map<ActivityType, number[]>();
  for (const entry of entries) {
    if (entry.partition !== partition) throw new Error('entries of one partition only');
    if (entry.offset <= applied || entry.offset > chunkEnd || gone.has(entry.offset)) continue;
    addTo(next, entry, 1, cache);
  }
  finish(next, cache);
  next.applied[key] = chunkEnd;
  next.v = current.v + 1;
  return next;
}

/**
 * Removes erased events from an hour's document: each is decremented if it was counted (offset ≤
 * applied) and recorded as gone either way, so neither a repeated erasure nor a later redelivery of the
 * message counts it again. Undefined when every entry is gone already.
 */
export function removeEntries(current: RollupDocument, entries: readonly RollupEntry[]): RollupDocument | undefined {
  const next: RollupDocument = structuredClone(current);
  const cache = new Map<ActivityType, number[]>();
  let changed = false;
  for (const entry of entries) {
    const key = String(entry.partition);
    const gone = (next.gone[key] ??= []);
    if (gone.includes(entry.offset)) continue;
    gone.push(entry.offset);
    changed = true;
    if (entry.offset <= (next.applied[key] ?? -1)) addTo(next, entry, -1, cache);
  }
  if (!changed) return undefined;
  finish(next, cache);
  next.v = current.v + 1;
  return next;
}

/**
 * The per-minute counts of an hour as numbers, for readers: every type the document counts, built-in or
 * registered at runtime. A key that is not a type name was never written by a worker, so it is skipped.
 */
export function countsOf(doc: Pick<RollupDocument, 'counts'>): Map<ActivityType, number[]> {
  const result = new Map<ActivityType, number[]>();
  for (const [type, encoded] of Object.entries(doc.counts)) {
    if (encoded !== undefined && ACTIVITY_TYPE_NAME_PATTERN.test(type)) result.set(type, decodeMinuteCounts(encoded));
  }
  return result;
}

/** The three collection calls a rollup change needs (the driver's Collection has them). */
export interface RollupCollection {
  findOne(filter: { _id: string }): Promise<RollupDocument | null>;
  insertOne(doc: RollupDocument): Promise<unknown>;
  updateOne(
    filter: { _id: string; v: number },
    update: { $set: Pick<RollupDocument, 'v' | 'applied' | 'gone' | 'counts'> },
  ): Promise<{ matchedCount: number }>;
}

const DUPLICATE_KEY = 11000;
const MAX_ROLLUP_ATTEMPTS = 50;

/**
 * Read, change, write back only if nobody wrote in between; else read again. A plain insert creates a
 * missing hour (FerretDB answers an upsert that races on _id with InternalError, not E11000). Members of
 * the group writing the same hour from different partitions only ever cost each other a re-read.
 */
export async function changeRollup(
  collection: RollupCollection,
  hourId: string,
  hour: Date,
  change: (current: RollupDocument) => RollupDocument | undefined,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ROLLUP_ATTEMPTS; attempt++) {
    const current = await collection.findOne({ _id: hourId });
    const next = change(current ?? emptyRollup(hour));
    if (next === undefined) return;
    if (current === null) {
      const inserted = await collection.insertOne(next).then(
        () => true,
        (err: { code?: number }) => {
          if (err.code === DUPLICATE_KEY) return false;
          throw err;
        },
      );
      if (inserted) return;
      continue;
    }
    const { v, applied, gone, counts } = next;
    const result = await collection.updateOne({ _id: hourId, v: current.v }, { $set: { v, applied, gone, counts } });
    if (result.matchedCount === 1) return;
  }
  throw new Error(`rollup ${hourId} changed under every one of ${MAX_ROLLUP_ATTEMPTS} attempts`);
}

/**
 * One document beside the hours saying whether the rollups count every stored event: the worker writes
 * it once, complete when it starts on an empty store, incomplete when events were stored before the
 * rollups existed (then `npm run stats:rebuild` counts them and completes it).
 */
export const ROLLUP_COVERAGE_ID = 'coverage';

export interface RollupCoverageDocument {
  _id: typeof ROLLUP_COVERAGE_ID;
  complete: boolean;
  since: Date;
  note?: string;
}

/**
 * On FerretDB over PostgreSQL the rollups are plain PostgreSQL tables in the database's schema, beside
 * FerretDB's own (dropped with it): FerretDB v1 runs a conditional update as a read, then an unconditional
 * write, so two writers both "win" a compare-and-set and one update is lost (measured: 600 CAS wins left
 * a counter at 207; 600 `$inc`s left it at 187). PostgreSQL transactions and row locks do what the
 * documents cannot there. On MongoDB the documents above are used: its conditional updates are atomic.
 */
export const STATS_SQL_TABLES = {
  /** (hour, type) → 60 per-minute counts (bigint[]): a day is 24 rows per type, read in about a millisecond. */
  counts: 'uap_stats_hour_counts',
  /** partition → highest offset counted (the row lock serializes writers of a partition and erasures). */
  applied: 'uap_stats_applied',
  /** (partition, offset) erased: decremented if counted, never counted if not yet. */
  gone: 'uap_stats_gone',
  /** One row: whether every stored event is counted (as RollupCoverageDocument). */
  coverage: 'uap_stats_coverage',
} as const;

/** The coverage table's rows: the stats counts (1), the active-user bitmaps (2). */
export const STATS_COVERAGE_ROW = 1;
export const INSIGHTS_COVERAGE_ROW = 2;

/**
 * The active-user rollup beside the stats tables (FerretDB on PostgreSQL only; MongoDB aggregates the events): every
 * userId gets a dense number n, and a (UTC day, type) is a set of users: one bit(INSIGHTS_BLOCK_BITS) row per block of
 * numbers (n / INSIGHTS_BLOCK_BITS), bit n % INSIGHTS_BLOCK_BITS set when user n has a stored event of that type that
 * day. OR-ing is idempotent, so a set bit never depends on how often, or in which order, an event was applied; an
 * erasure clears the user's bit and sets back those of the events that remain. Distinct users over any days and types
 * are the bit count of the rows OR-ed per block: 30 days of 50,000 users and 12 types are 2,520 rows of 1 KB.
 */
export const INSIGHTS_SQL_TABLES = {
  /** userId → n, unique both ways; a user with no stored event left (erased) has no row (no id kept in clear). */
  users: 'uap_insights_users',
  /** The numbers' sequence (gaps only where two workers raced to number the same user). */
  userNumbers: 'uap_insights_user_n',
  /** (day, type, block) → bits; indexed on block for the erasure, which visits every row of one user's block. */
  days: 'uap_insights_days',
} as const;

export const INSIGHTS_BLOCK_BITS = 8192;

/** A `bit(INSIGHTS_BLOCK_BITS)` row as hexadecimal text PostgreSQL reads with `('X' || hex)::bit(8192)`. */
export interface ActiveUsersBlock {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  type: ActivityType;
  block: number;
  hex: string;
}

/**
 * The active-user rollup for a set of stored events, from scratch (the rebuild): users numbered 0… in order of
 * first appearance (`users[n]`), and one block row per (day, type, block) with a user, sorted by (day, type, block).
 */
export function activeUserBlocks(stored: Iterable<Pick<StoredForRebuild, 'occurredAt' | 'type' | 'userId'>>): {
  users: string[];
  blocks: ActiveUsersBlock[];
} {
  const numbers = new Map<string, number>();
  const bits = new Map<string, Uint8Array>();
  for (const { occurredAt, type, userId } of stored) {
    if (userId === undefined) continue;
    let n = numbers.get(userId);
    if (n === undefined) numbers.set(userId, (n = numbers.size));
    const block = Math.floor(n / INSIGHTS_BLOCK_BITS);
    const key = `${dayIdOf(occurredAt)}|${type}|${String(block).padStart(10, '0')}`;
    let row = bits.get(key);
    if (!row) bits.set(key, (row = new Uint8Array(INSIGHTS_BLOCK_BITS / 8)));
    const bit = n % INSIGHTS_BLOCK_BITS;
    // PostgreSQL numbers a bit string's bits from the left: bit 0 is the first byte's high bit.
    row[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  const blocks = [...bits.keys()].sort().map((key) => {
    const [day, type, block] = key.split('|') as [string, ActivityType, string];
    return { day, type, block: Number(block), hex: Buffer.from(bits.get(key)!).toString('hex') };
  });
  return { users: [...numbers.keys()], blocks };
}

/** Per (hour start in epoch ms, type): 60 per-minute deltas; what one SQL upsert row carries. */
export function minuteDeltasByHour(
  entries: ReadonlyArray<Pick<RollupEntry, 'occurredAt' | 'type'>>,
  sign: 1 | -1,
): Array<{ hour: number; type: ActivityType; minutes: number[] }> {
  const rows = new Map<string, { hour: number; type: ActivityType; minutes: number[] }>();
  for (const { occurredAt, type } of entries) {
    const hour = Math.floor(occurredAt.getTime() / MS_PER_HOUR) * MS_PER_HOUR;
    const key = `${String(hour).padStart(16, '0')}|${type}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { hour, type, minutes: new Array<number>(MINUTES_PER_HOUR).fill(0) }));
    row.minutes[occurredAt.getUTCMinutes()]! += sign;
  }
  // Sorted by (hour, type): every writer takes the rows' locks in this order, so none deadlocks another.
  return [...rows.keys()].sort().map((key) => rows.get(key)!);
}

/** A stored event as a rebuild reads it: its topic position is absent on documents stored before positions. */
export interface StoredForRebuild {
  occurredAt: Date;
  type: ActivityType;
  partition?: number;
  offset?: number;
  /** Absent on an anonymous event (it counts in no active-user set). */
  userId?: string;
}

/**
 * What the rollups must hold for the stored events when the worker group is stopped at `committed` (the
 * next offset it will read, per partition): every stored event below it (and every one without a
 * position) counted, `applied` just below it. Events at or past it are counted again by the worker when it
 * redelivers them (their stored copy matches), so they are left out here. A partition without a commit
 * counts everything stored and applies up to the highest offset stored.
 */
export function rebuildRollups(
  stored: Iterable<StoredForRebuild>,
  committed: ReadonlyMap<number, number>,
): { rows: ReturnType<typeof minuteDeltasByHour>; applied: Map<number, number>; counted: number; left: number } {
  const counted: StoredForRebuild[] = [];
  const highest = new Map<number, number>();
  let left = 0;
  for (const event of stored) {
    if (event.partition === undefined || event.offset === undefined) {
      counted.push(event);
      continue;
    }
    const next = committed.get(event.partition);
    if (next !== undefined && event.offset >= next) {
      left++;
      continue;
    }
    counted.push(event);
    highest.set(event.partition, Math.max(highest.get(event.partition) ?? -1, event.offset));
  }
  const applied = new Map<number, number>();
  for (const [partition, next] of committed) applied.set(partition, next - 1);
  for (const [partition, offset] of highest) if (!committed.has(partition)) applied.set(partition, offset);
  return { rows: minuteDeltasByHour(counted, 1), applied, counted: counted.length, left };
}
