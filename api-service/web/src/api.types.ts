// The JSON this page reads, as the OpenAPI document describes it (only the fields the page uses).

export type Scope = 'ingest' | 'read' | 'admin';
export type Bucket = 'minute' | 'hour' | 'day';

export interface WhoAmI {
  authentication: 'api-key' | 'disabled';
  keyId: string | null;
  scopes: Scope[];
}

export interface Activity {
  eventId: string;
  userId: string;
  type: string;
  occurredAt: string;
  receivedAt: string;
  persistedAt?: string;
  metadata: Record<string, unknown>;
  context: Record<string, unknown>;
  receipt?: string;
}

export interface ActivityPage {
  data: Activity[];
  page: { limit: number; nextCursor?: string | null; hasMore: boolean };
}

export interface ActivityStats {
  from: string;
  to: string;
  bucket: Bucket;
  /** The first bucket's start; `series[type][i]` counts the bucket starting `i` buckets later. */
  start: string;
  bucketCount: number;
  types: string[];
  series: Record<string, number[]>;
  totals: Record<string, number>;
  total: number;
  source: 'rollups' | 'events';
  /** false while the worker's rollups lack coverage (inexactReason says why). */
  exact?: boolean;
  inexactReason?: string;
}

export interface PartitionFreshness {
  partition: number;
  committed: number;
  end: number;
  lag: number;
  stalled: boolean;
  stalledSince: string | null;
}

export interface Freshness {
  at: string;
  lag: number;
  watermark: string | null;
  partitions: PartitionFreshness[];
}

export interface Readiness {
  status: 'ready' | 'not-ready';
  checks: Record<string, 'up' | 'down'>;
}

export interface ReceiptStatus {
  status: 'pending' | 'persisted' | 'duplicate' | 'dead_lettered';
  topic: string;
  partition: number;
  offset: number;
  acceptedAt: string;
  persistedAt?: string;
  behind?: number;
  storedFrom?: { partition: number; offset: number };
  reason?: string;
  deadLetterId?: string;
}

export interface DeadLetterStats {
  total: number;
  byReason: Record<string, number>;
}

export interface DeadLetterSummary {
  letterId: string;
  reason: string;
  error: string;
  status: string;
  failedAt: string;
  eventId: string | null;
  userId: string | null;
}

export interface DeadLetterPage {
  data: DeadLetterSummary[];
}

export interface ReplayJob {
  jobId: string;
  state: string;
  dryRun: boolean;
  counts: { scanned: number; passed: number; skipped: number; stillFailing: Record<string, number> };
  error: string | null;
}
