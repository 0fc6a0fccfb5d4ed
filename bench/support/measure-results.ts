// What the measures produce, in one module that both the measures and the report read: types flow one way.

export interface HttpRun {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Cores each process role used during the measured run (the load generator runs in `bench client`). */
  cpu: Record<string, number>;
}

/** Ingest with one optional piece switched (issue 25's cost table); `streamed`: events the subscriber read. */
export interface IngestCost {
  variant: string;
  single: HttpRun;
  batch: HttpRun;
  streamed?: number;
}

export interface ProducerRun {
  eventsPerSec: number;
  sendsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpu: Record<string, number>;
}

export interface ReadSample {
  shape: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Status (or `timeout`/`network`) of each failed request. */
  failures: string[];
}

export interface WriteScaleReport {
  worker: string;
  emptyInsertEventsPerSec: number;
  sizes: WriteScaleSize[];
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

/** One reading of a process's memory, `atS` seconds into the soak. */
export interface MemorySample {
  atS: number;
  rssMb: number;
  /** V8's used heap, from the process's own /metrics (`nodejs_heap_size_used_bytes`). */
  heapMb: number;
  /** The api's live-stream window (`uap_stream_buffered_events`). */
  bufferedEvents?: number;
}

export interface ProcessMemory {
  samples: MemorySample[];
  /**
   * Least-squares slopes over the second half of the load, in MB per minute, of each minute's lowest reading: used
   * heap is a saw-tooth between full collections (about one a minute in these runs), and its troughs are what the
   * process keeps.
   */
  rssSlopeMbPerMin: number;
  heapSlopeMbPerMin: number;
  /** The lowest reading while idle after the load (nothing connected, the idle timers of stream and freshness run out). */
  idle: MemorySample;
}

export interface SoakLoad {
  ratePerSec: number;
  batchSize: number;
  durationS: number;
  accepted: number;
  failedRequests: number;
  p50Ms: number;
  p99Ms: number;
}

/** A measured duration, or a rate extrapolated from a bounded sample when the full run would take minutes. */
export interface Timed {
  ms: number;
  /** Set when `ms` was extrapolated: how much of the work was actually measured. */
  sampled?: string;
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** `--only activity-types`: the registry's cost on ingest, hostile schemas during ingest, and propagation. */
export interface ActivityTypesReport {
  load: { connections: number; httpSeconds: number; warmupSeconds: number };
  registeredTypes: number;
  /** Registering them one PUT at a time (each answered a lease after it is durable). */
  registerSeconds: number;
  /** A fresh api process's start with them in the registry's log, until /readyz. */
  loadSeconds: number;
  /** Single-event ingest (LOGIN), in turns: the api with the eight built-ins, then the one with 208 types. */
  builtIn: HttpRun[];
  grown: HttpRun[];
  /** One of the registered types, with five properties checked by its compiled schema. */
  grownCustom: HttpRun;
  /** Σ grown req/s / Σ built-in req/s: the target is ≥ 0.95. */
  ratio: number;
  /** Hostile PUTs a second during `underAttack`. */
  attackPerSecond: number;
  /** Ingest while valid admin PUTs (an unchanged version) arrive `attackPerSecond` times a second. */
  benignPuts: { ingest: HttpRun; statuses: Record<string, number> };
  /** The same, with the hostile schemas instead. */
  underAttack: { ingest: HttpRun; statuses: Record<string, number> };
  /** From a PUT's start: its answer, and the moment a second api and a worker hold the new version. */
  propagation: { changes: number; put: LatencySummary; peer: LatencySummary; worker: LatencySummary };
}

/** `--only access`: what runtime keys and sources cost on batch ingest, and how fast a key change reaches a replica. */
export interface AccessReport {
  load: { connections: number; batchSize: number; httpSeconds: number };
  /** Runtime keys created beside the measured one, and how long creating them one POST at a time took. */
  runtimeKeys: number;
  createSeconds: number;
  /** Batch ingest in turns on one api: the bootstrap key from API_KEYS, then a runtime key bound to a source. */
  bootstrap: HttpRun[];
  runtime: HttpRun[];
  /** Σ runtime req/s / Σ bootstrap req/s: the target is ≥ 0.95. */
  ratio: number;
  /**
   * From the POST's start until the other replica accepts the key, from the DELETE's start until it refuses it, and
   * what the DELETE's answer promised (inForceBy − the DELETE's start).
   */
  propagation: { rounds: number; usable: LatencySummary; revoked: LatencySummary; promised: LatencySummary };
}
