import { isRetriable, parseRetryAfter } from './retry-policy';
import type { Problem } from './types';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` (the API also accepts X-API-Key). */
  apiKey?: string;
  fetch?: FetchLike;
  /** A request with no answer after this long is aborted and counts as a timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Added to every request, e.g. a User-Agent in Node. */
  headers?: Record<string, string>;
}

/** A refusal from the API, with its problem+json when it sent one. */
export class UapHttpError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly retryAfter: string | null = null,
  ) {
    const fields = (problem?.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
    super(
      `${status} ${problem?.title ?? 'HTTP error'}${problem?.detail ? `: ${problem.detail}` : ''}${fields ? ` (${fields})` : ''}`,
    );
    this.name = 'UapHttpError';
  }

  /** 408, 429 and 5xx may pass on another try; any other refusal will be repeated (see isRetriable). */
  get retriable(): boolean {
    return isRetriable(this.status);
  }

  /** Retry-After in ms from `nowMs`; undefined when the API did not send one (or sent nonsense). */
  retryAfterMs(nowMs = Date.now()): number | undefined {
    return parseRetryAfter(this.retryAfter, nowMs);
  }
}

export type QueryValue = string | number | boolean | Date | undefined | ReadonlyArray<string>;

/** fetch's init, plus a query string and a timeout (`null` for none: a stream, a download). */
export type SendInit = RequestInit & { query?: Record<string, QueryValue>; timeoutMs?: number | null };
/** send()'s init, where `json`, when given, is sent as the JSON body. */
export type JsonInit = SendInit & { json?: unknown };

/** The one place requests are built: base URL, auth, timeout, query strings. */
export class HttpTransport {
  readonly requestTimeoutMs: number;
  private readonly fetchFn: FetchLike;
  private readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    // Bound late so a polyfilled or test-replaced global fetch is the one used.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query: Record<string, QueryValue> = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        params.append(key, item instanceof Date ? item.toISOString() : String(item));
      }
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.options.headers,
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      ...extra,
    };
  }

  /** fetch with auth and a timeout; `timeoutMs: null` for long-lived responses (the live stream). */
  send(path: string, init: SendInit = {}): Promise<Response> {
    const { query, timeoutMs, headers, signal, ...rest } = init;
    const limit = timeoutMs === undefined ? this.requestTimeoutMs : timeoutMs;
    const signals = [signal, limit === null ? undefined : AbortSignal.timeout(limit)].filter(
      (s): s is AbortSignal => s !== undefined && s !== null,
    );
    return this.fetchFn(this.url(path, query), {
      ...rest,
      headers: this.headers(headers as Record<string, string> | undefined),
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    });
  }

  /** send(), with any non-2xx thrown as a UapHttpError; a 2xx body is the caller's to read (a download, a stream). */
  async open(path: string, init: SendInit = {}): Promise<Response> {
    const res = await this.send(path, init);
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  /** A request whose answer is JSON (and whose body is `json`, if given); any non-2xx becomes a UapHttpError. */
  async requestJson<T>(path: string, init: JsonInit = {}): Promise<T> {
    const { json, ...rest } = init;
    const res = await this.open(
      path,
      json === undefined
        ? rest
        : {
            ...rest,
            body: JSON.stringify(json),
            headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string> | undefined) },
          },
    );
    return (await res.json()) as T;
  }

  /** GET a JSON document; any non-2xx becomes a UapHttpError carrying the problem. */
  getJson<T>(path: string, query: Record<string, QueryValue> = {}, timeoutMs?: number): Promise<T> {
    return this.requestJson<T>(path, { query, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  }
}

/** The error for a refused response, reading its problem+json if it has one. */
export async function errorOf(res: Response): Promise<UapHttpError> {
  return new UapHttpError(res.status, await problemOf(res), res.headers.get('retry-after'));
}

export async function problemOf(res: Response): Promise<Problem | undefined> {
  const text = await res.text().catch(() => '');
  if (!/json/.test(res.headers.get('content-type') ?? '')) return undefined;
  try {
    return JSON.parse(text) as Problem;
  } catch {
    return undefined;
  }
}
