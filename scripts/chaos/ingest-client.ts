import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivityInput } from '@uap/shared';
import { retryDelayMs, type Attempt } from './response-stats';

export interface IngestClientOptions {
  baseUrl: string;
  apiKey: string;
  /** A request that takes longer counts as a hang ('timeout'). */
  requestTimeoutMs: number;
  /** A batch still not accepted after this long is abandoned (its ids stay sent, not accepted). */
  giveUpAfterMs: number;
  maxRetryDelayMs: number;
}

export type BatchOutcome = 'accepted' | 'rejected' | 'abandoned';

/**
 * A realistic client of the batch endpoint: it sets its own eventIds and, on 503, 5xx, 429 or no
 * answer, resends the very same batch (same ids) after Retry-After. Every attempt and every id the
 * API acknowledged is recorded, so the figures come from what the client saw, not from the server.
 */
export class IngestClient {
  readonly sent = new Set<string>();
  readonly accepted = new Set<string>();
  readonly attempts: Attempt[] = [];
  /** Ids in a 202 body that were not in the request: the API must echo the client's ids. */
  readonly unexpectedIds = new Set<string>();
  rejectedBatches = 0;
  abandonedBatches = 0;
  /** When the last 202 arrived (ms since epoch). */
  lastAcceptedAt = 0;

  constructor(private readonly options: IngestClientOptions) {}

  async sendBatch(events: ActivityInput[]): Promise<BatchOutcome> {
    const ids = new Set(events.map((e) => e.eventId!));
    for (const id of ids) this.sent.add(id);
    const body = JSON.stringify({ events });
    const firstTry = Date.now();
    for (let attempt = 1; ; attempt++) {
      const { outcome, retryAfter, acceptedIds } = await this.post(body);
      if (outcome === 202) {
        for (const id of acceptedIds) (ids.has(id) ? this.accepted : this.unexpectedIds).add(id);
        this.lastAcceptedAt = Date.now();
        return 'accepted';
      }
      if (typeof outcome === 'number' && outcome >= 400 && outcome < 500 && outcome !== 408 && outcome !== 429) {
        this.rejectedBatches++;
        return 'rejected';
      }
      if (Date.now() - firstTry > this.options.giveUpAfterMs) {
        this.abandonedBatches++;
        return 'abandoned';
      }
      await sleep(retryDelayMs(attempt, retryAfter, this.options.maxRetryDelayMs));
    }
  }

  private async post(
    body: string,
  ): Promise<{ outcome: Attempt['outcome']; retryAfter: string | null; acceptedIds: string[] }> {
    const startedAt = Date.now();
    const began = performance.now();
    let outcome: Attempt['outcome'];
    let retryAfter: string | null = null;
    let acceptedIds: string[] = [];
    try {
      const res = await fetch(`${this.options.baseUrl}/api/v1/activities/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      const text = await res.text();
      outcome = res.status;
      retryAfter = res.headers.get('retry-after');
      if (res.status === 202) acceptedIds = (JSON.parse(text) as { eventIds: string[] }).eventIds;
    } catch (err) {
      outcome = (err as Error).name === 'TimeoutError' ? 'timeout' : 'network';
    }
    this.attempts.push({ startedAt, latencyMs: performance.now() - began, outcome });
    return { outcome, retryAfter, acceptedIds };
  }
}
