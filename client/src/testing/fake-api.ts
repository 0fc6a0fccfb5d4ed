import { gunzipSync } from 'node:zlib';
import type { FetchLike } from '../http-transport';
import type { TrackEvent } from '../types';

export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The batch's events, decoded (and inflated when gzip). */
  events: TrackEvent[];
  rawBody: string;
}

type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | 'network';

/**
 * The ingest API as a fake fetch: it records every request and answers from a script, then with
 * 202 echoing the batch's ids, as the real API does.
 */
export class FakeIngestApi {
  readonly requests: SeenRequest[] = [];
  private readonly script: Answer[] = [];

  /** The next answers, in order. */
  answer(...answers: Answer[]): this {
    this.script.push(...answers);
    return this;
  }

  readonly fetch: FetchLike = async (url, init = {}) => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const body = init.body;
    const rawBody =
      body instanceof Uint8Array
        ? (headers['content-encoding'] === 'gzip' ? gunzipSync(body) : Buffer.from(body)).toString('utf8')
        : String(body ?? '');
    const events = rawBody ? ((JSON.parse(rawBody) as { events?: TrackEvent[] }).events ?? []) : [];
    this.requests.push({ url, method: init.method ?? 'GET', headers, events, rawBody });
    const next = this.script.shift() ?? {
      status: 202,
      body: { accepted: events.length, eventIds: events.map((e) => e.eventId), receipts: [], consistencyToken: 't' },
    };
    if (next === 'network') throw new TypeError('fetch failed');
    const isProblem = next.status >= 400;
    return new Response(next.body === undefined ? null : JSON.stringify(next.body), {
      status: next.status,
      headers: { 'content-type': isProblem ? 'application/problem+json' : 'application/json', ...next.headers },
    });
  };

  get batches(): TrackEvent[][] {
    return this.requests.map((r) => r.events);
  }
}
