import { encodeActivityMessage, type ActivityEvent } from '@uap/shared/contract';
import type { Producer } from 'kafkajs';
import type { Collection } from 'mongodb';
import { toActivityDocument } from '../../worker-service/src/infrastructure/mongo/mongo-activity.repository';
import { waitForCount } from './pipeline.measure';

/** A measured duration, or a rate extrapolated from a bounded sample when the full run would take minutes. */
export interface Timed {
  ms: number;
  /** Set when `ms` was extrapolated: how much of the work was actually measured. */
  sampled?: string;
}

export interface WriteScaleSize {
  stored: number;
  /** Resends of 500 stored events through the worker (the new code), each until drained. */
  resendMs: number[];
  /** The same 500 lookups as the worker made before issue 24: one findOne per eventId, 8 in flight. */
  resendLookupsBeforeMs: Timed;
  /** Erasure of a user with 100 events: SQL (new), and through the Mongo wire (before, and without the URL). */
  eraseSqlMs: number;
  eraseWireMs: number;
  /** Retention of 100,000 expired events: the sweeper's chunks (SQL), one raw deleteMany, and the chunks before. */
  sweepEventsPerSec: number;
  rawDeleteManyEventsPerSec: number;
  sweepBeforeEventsPerSec: { eventsPerSec: number; sampled: string };
  insertEventsPerSec: number;
}

export interface WriteScaleReport {
  worker: string;
  emptyInsertEventsPerSec: number;
  sizes: WriteScaleSize[];
}

/** Sends events to the worker's topic and waits until its counters have seen them all; resolves the elapsed ms. */
export async function sendAndDrain(
  producer: Producer,
  topic: string,
  events: readonly ActivityEvent[],
  processed: () => Promise<number>,
  timeoutMs: number,
): Promise<number> {
  const before = await processed();
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 2_000) {
    await producer.send({ topic, acks: -1, messages: events.slice(i, i + 2_000).map((e) => encodeActivityMessage(e)) });
  }
  const done = await waitForCount(processed, before + events.length, t0, timeoutMs);
  if (!done.reached) throw new Error(`the worker did not drain ${events.length} events within ${timeoutMs} ms`);
  return done.atMs;
}

/** Unordered insertMany of the worker's document shape, `writers` chunks of 1,000 in flight. */
export async function seedDocuments(
  collection: Collection,
  events: readonly ActivityEvent[],
  firstOffset: number,
  writers = 6,
): Promise<void> {
  const docs = events.map((event, i) =>
    toActivityDocument({ event, partition: 0, offset: String(firstOffset + i) }, new Date()),
  );
  let next = 0;
  const writer = async () => {
    for (let i = next; i < docs.length; i = next) {
      next += 1_000;
      await collection.insertMany(docs.slice(i, i + 1_000), { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
}

/**
 * The duplicate check as the worker made it before issue 24 (one `findOne({eventId})` per id, 8 in flight),
 * timed on the first `sample` ids and extrapolated to all: at a million events each lookup is a scan.
 */
export async function perIdLookupsBefore(
  collection: Collection,
  eventIds: readonly string[],
  sample: number,
): Promise<Timed> {
  const queue = eventIds.slice(0, sample);
  const t0 = performance.now();
  const lookUp = async () => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      await collection.findOne({ eventId: id }, { projection: { _id: 0, sourcePartition: 1, sourceOffset: 1 } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, lookUp));
  const ms = performance.now() - t0;
  return sample >= eventIds.length
    ? { ms }
    : { ms: (ms * eventIds.length) / sample, sampled: `${sample} of ${eventIds.length} lookups` };
}

/**
 * Retention as the sweeper did it before issue 24 on FerretDB (find the oldest chunk through the wire, then
 * deleteMany by eventId), for `chunks` chunks: its rate, since a whole sweep would take many minutes.
 */
export async function sweepChunksBefore(
  collection: Collection,
  cutoff: Date,
  chunk: number,
  chunks: number,
): Promise<{ deleted: number; ms: number }> {
  const t0 = performance.now();
  let deleted = 0;
  for (let i = 0; i < chunks; i++) {
    const old = await collection
      .find({ occurredAt: { $lt: cutoff } }, { projection: { _id: 0, eventId: 1 } })
      .sort({ occurredAt: 1 })
      .limit(chunk)
      .toArray();
    if (old.length === 0) break;
    deleted += (await collection.deleteMany({ eventId: { $in: old.map((d) => d['eventId'] as string) } })).deletedCount;
  }
  return { deleted, ms: performance.now() - t0 };
}

/**
 * FerretDB deletes every match of one deleteMany in a single SQL statement, with a parameter per document,
 * so one call over more than 65,535 documents fails ("extended protocol limited to 65535 parameters").
 * Raw deletion is therefore one deleteMany per time slice of at most 50,000 of the known expired events.
 */
export async function deleteExpired(
  collection: Collection,
  expired: readonly ActivityEvent[],
  cutoff: Date,
): Promise<number> {
  const times = expired.map((e) => Date.parse(e.occurredAt)).sort((a, b) => a - b);
  const bounds = times.filter((_, i) => i > 0 && i % 50_000 === 0).map((t) => new Date(t));
  let deleted = 0;
  for (const bound of [...bounds, cutoff]) {
    deleted += (await collection.deleteMany({ occurredAt: { $lt: bound } })).deletedCount;
  }
  return deleted;
}
