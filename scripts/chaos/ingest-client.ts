import { UapClient, type BatchOutcome } from '@uap/client';
import type { ActivityInput } from '@uap/shared/contract';
import type { Attempt } from './response-stats';

export interface IngestClientOptions {
  baseUrl: string;
  apiKey: string;
  /** A request that takes longer counts as a hang ('timeout'). */
  requestTimeoutMs: number;
  /** A batch still not accepted after this long is abandoned (its ids stay sent, not accepted). */
  giveUpAfterMs: number;
  maxRetryDelayMs: number;
}

export type { BatchOutcome };

/**
 * A realistic client of the batch endpoint: the SDK (@uap/client), which sets the eventIds and, on
 * 503, 5xx, 429 or no answer, resends the very same batch after Retry-After or a jittered backoff.
 * Every attempt and every id the API acknowledged is recorded through the SDK's hooks, so the
 * figures come from what the client saw, not from the server.
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
  private readonly sdk: UapClient;

  constructor(options: IngestClientOptions) {
    this.sdk = new UapClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      requestTimeoutMs: options.requestTimeoutMs,
      retry: {
        baseDelayMs: 100,
        maxDelayMs: options.maxRetryDelayMs,
        // Capped, so a scenario stays bounded even if the API asks for a long wait.
        maxRetryAfterMs: options.maxRetryDelayMs,
        maxAttempts: Number.MAX_SAFE_INTEGER,
        giveUpAfterMs: options.giveUpAfterMs,
      },
      onAttempt: ({ startedAt, latencyMs, outcome }) => this.attempts.push({ startedAt, latencyMs, outcome }),
      onAccepted: (events, response) => {
        const ids = new Set(events.map((e) => e.eventId!));
        for (const id of response?.eventIds ?? []) (ids.has(id) ? this.accepted : this.unexpectedIds).add(id);
        this.lastAcceptedAt = Date.now();
      },
    });
  }

  async sendBatch(events: ActivityInput[]): Promise<BatchOutcome> {
    for (const event of events) this.sent.add(event.eventId!);
    const outcome = await this.sdk.sendBatch(events);
    if (outcome === 'rejected') this.rejectedBatches++;
    if (outcome === 'abandoned') this.abandonedBatches++;
    return outcome;
  }
}
