import type { HttpTransport, JsonInit } from '@uap/client';
import type { LetterFilter } from './dlq-options';

export interface LetterSummary {
  letterId: string;
  reason: string;
  error: string;
  status: string;
  replayCount: number;
  failedAt: string;
  eventId: string | null;
  userId: string | null;
  type: string | null;
  source: { topic: string | null; partition: number | null; offset: number | null };
  dlq: { topic: string; partition: number; offset: number };
  payloadBytes: number;
  replayedAt: string | null;
  replayJob: string | null;
}

export interface LetterDetail extends LetterSummary {
  key: string | null;
  headers: Array<{ name: string; value: string }>;
  payload: { kept: boolean; encoding: 'json' | 'utf8' | 'base64' | null; value: unknown };
}

export interface LetterPage {
  data: LetterSummary[];
  page: { limit: number; nextCursor: string | null; hasMore: boolean };
}

export interface LetterStats {
  from: string | null;
  to: string | null;
  total: number;
  byReason: Record<string, number>;
  byStatus: Record<string, number>;
  byReasonAndStatus: Array<{ reason: string; status: string; count: number }>;
}

export type JobState = 'running' | 'done' | 'cancelled' | 'failed';

export interface ReplayJobView {
  jobId: string;
  state: JobState;
  dryRun: boolean;
  counts: {
    scanned: number;
    wouldPass: number;
    passed: number;
    published: number;
    skipped: number;
    stillFailing: Record<string, number>;
  };
  progress: Record<string, number>;
  samples: Array<{ letterId: string; reason: string; error: string }>;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface ReplayBody {
  filter: Omit<LetterFilter, 'status'> & { status?: string[]; letterIds?: string[] };
  dryRun: boolean;
  max?: number;
  ratePerSec?: number;
}

/** The dead-letter endpoints of the API, through the SDK's transport; the CLI never talks to Kafka. */
export class DlqClient {
  constructor(
    private readonly transport: HttpTransport,
    /** Aborting it (Ctrl-C) stops the request in flight. */
    private readonly signal?: AbortSignal,
  ) {}

  list(filter: LetterFilter, page: { limit?: number; cursor?: string } = {}): Promise<LetterPage> {
    const { status, ...rest } = filter;
    return this.request('/api/v1/dead-letters', { query: { ...rest, status: status?.join(','), ...page } });
  }

  stats(range: { from?: string; to?: string }): Promise<LetterStats> {
    return this.request('/api/v1/dead-letters/stats', { query: range });
  }

  show(letterId: string): Promise<LetterDetail> {
    return this.request(`/api/v1/dead-letters/${encodeURIComponent(letterId)}`);
  }

  startReplay(body: ReplayBody): Promise<ReplayJobView> {
    return this.request('/api/v1/dead-letters/replays', { method: 'POST', json: body });
  }

  job(jobId: string): Promise<ReplayJobView> {
    return this.request(this.jobPath(jobId));
  }

  jobPath(jobId: string): string {
    return `/api/v1/dead-letters/replays/${encodeURIComponent(jobId)}`;
  }

  urlOf(path: string): string {
    return this.transport.url(path);
  }

  private request<T>(path: string, init: JsonInit = {}): Promise<T> {
    return this.transport.requestJson<T>(path, { ...init, ...(this.signal ? { signal: this.signal } : {}) });
  }
}
