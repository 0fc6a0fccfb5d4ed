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

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  errorCount?: number;
}

/** The API answered with an error status. */
export class ApiProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** No answer: refused, unreachable, timed out, or not JSON. */
export class ApiConnectionError extends Error {}

export interface DlqClientConfig {
  url: string;
  key?: string;
  /** Aborting it (Ctrl-C) stops the request in flight. */
  signal?: AbortSignal;
  requestTimeoutMs?: number;
}

/** The dead-letter endpoints of the API, over HTTP; the CLI never talks to Kafka. */
export class DlqClient {
  constructor(private readonly config: DlqClientConfig) {}

  list(filter: LetterFilter, page: { limit?: number; cursor?: string } = {}): Promise<LetterPage> {
    const { status, ...rest } = filter;
    return this.request('GET', '/api/v1/dead-letters', {
      query: { ...rest, ...(status ? { status: status.join(',') } : {}), ...page },
    });
  }

  stats(range: { from?: string; to?: string }): Promise<LetterStats> {
    return this.request('GET', '/api/v1/dead-letters/stats', { query: range });
  }

  show(letterId: string): Promise<LetterDetail> {
    return this.request('GET', `/api/v1/dead-letters/${encodeURIComponent(letterId)}`);
  }

  startReplay(body: ReplayBody): Promise<ReplayJobView> {
    return this.request('POST', '/api/v1/dead-letters/replays', { body });
  }

  job(jobId: string): Promise<ReplayJobView> {
    return this.request('GET', this.jobPath(jobId));
  }

  jobPath(jobId: string): string {
    return `/api/v1/dead-letters/replays/${encodeURIComponent(jobId)}`;
  }

  urlOf(path: string): string {
    return new URL(path, this.config.url).toString();
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Record<string, string | number | undefined>; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(path, this.config.url);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const timeout = AbortSignal.timeout(this.config.requestTimeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json, application/problem+json',
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.config.key ? { 'x-api-key': this.config.key } : {}),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: this.config.signal ? AbortSignal.any([this.config.signal, timeout]) : timeout,
      });
    } catch (err) {
      if (this.config.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = (err as Error).name === 'TimeoutError' ? 'no answer in time' : (cause?.code ?? cause?.message);
      throw new ApiConnectionError(`${method} ${url.origin}${url.pathname}: ${why ?? (err as Error).message}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const problem = typeof body === 'object' && body !== null ? (body as Problem) : { detail: text.slice(0, 200) };
      throw new ApiProblemError(response.status, problem);
    }
    if (body === undefined) {
      throw new ApiConnectionError(`${method} ${url.pathname}: the answer (HTTP ${response.status}) is not JSON`);
    }
    return body as T;
  }
}
