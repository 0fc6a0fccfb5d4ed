import { DomainError } from '../domain/domain-error';
import type { ConsistencyToken, Receipt, ReceiptCodec } from '../domain/receipt';
import type { ActivityReader, ActivityRecord } from './ports/activity-reader.port';
import type { ConsumerProgress, ProgressSnapshot } from './ports/consumer-progress.port';
import type { DeadLetterStore } from './ports/dead-letter-store.port';

export type ReceiptState = 'pending' | 'persisted' | 'duplicate' | 'dead_lettered';

export interface ReceiptStatus {
  eventId: string;
  status: ReceiptState;
  acceptedAt: Date;
  topic: string;
  partition: number;
  offset: number;
  /** pending: messages ahead of this one on its partition not yet processed. */
  behind?: number;
  /** persisted: when the worker stored it. */
  persistedAt?: Date;
  /** duplicate: the position of the copy that was stored. */
  storedFrom?: { partition: number; offset: number };
  /** dead_lettered: why, and the letter in /api/v1/dead-letters. */
  reason?: string;
  deadLetterId?: string;
  /** When the group's progress was read. */
  checkedAt: Date;
}

export const RECEIPT_LIMITS = { maxWaitMs: 10_000, defaultConsistencyWaitMs: 2_000 } as const;

const isFinal = (status: ReceiptState) => status !== 'pending';

export interface ReceiptsDeps {
  codec: ReceiptCodec;
  /** The activities topic of this deployment: receipts and tokens of another are refused. */
  topic: string;
  progress: ConsumerProgress;
  reader: Pick<ActivityReader, 'findByEventId'>;
  deadLetters: Pick<DeadLetterStore, 'findBySource'>;
  now?: () => number;
}

/**
 * What became of an accepted event, from its receipt: the group's committed offset tells pending from
 * processed, the stored copy's position tells persisted from duplicate, the dead-letter index tells
 * dead-lettered. And read-your-writes: waiting until the group has processed past a token.
 */
export class ReceiptsUseCase {
  private readonly now: () => number;

  constructor(private readonly deps: ReceiptsDeps) {
    this.now = deps.now ?? Date.now;
  }

  decodeReceipt(text: string): Receipt {
    const receipt = this.deps.codec.decodeReceipt(text);
    if (!receipt || receipt.topic !== this.deps.topic) {
      throw new DomainError('VALIDATION_FAILED', 'Not a receipt issued by this API', {
        errors: [
          { path: 'receipt', message: 'malformed, altered or issued by another deployment', rule: 'token-not-issued' },
        ],
      });
    }
    return receipt;
  }

  decodeToken(text: string): ConsistencyToken {
    const token = this.deps.codec.decodeToken(text);
    if (!token || token.topic !== this.deps.topic) {
      throw new DomainError('VALIDATION_FAILED', 'Not a consistency token issued by this API', {
        errors: [
          {
            path: 'X-Consistency-Token',
            message: 'malformed, altered or issued by another deployment',
            rule: 'token-not-issued',
          },
        ],
      });
    }
    return token;
  }

  /** The receipt's status; with `waitMs`, waits (long-polls) up to that long for a final one. */
  async status(receiptText: string, waitMs = 0): Promise<ReceiptStatus> {
    const receipt = this.decodeReceipt(receiptText);
    const deadline = this.now() + Math.min(waitMs, RECEIPT_LIMITS.maxWaitMs);
    for (;;) {
      const status = await this.statusAt(receipt, await this.snapshot());
      if (isFinal(status.status) || this.now() >= deadline) return status;
      if (!(await this.nextSnapshotBefore(deadline))) return this.statusAt(receipt, await this.snapshot());
    }
  }

  /**
   * The receipt of a stored copy, signed for its own topic position: what its 202 carried (or, for a resend,
   * what the stored copy's 202 carried), so a reader can open an event's fate from the event.
   */
  receiptOf(record: Pick<ActivityRecord, 'eventId' | 'receivedAt' | 'storedFrom'>): string | undefined {
    if (!record.storedFrom) return undefined;
    return this.deps.codec.encodeReceipt({
      topic: this.deps.topic,
      partition: record.storedFrom.partition,
      offset: record.storedFrom.offset,
      eventId: record.eventId,
      acceptedAt: record.receivedAt,
    });
  }

  /** Waits until the group has processed past every position of the token; false if the time ran out first. */
  async awaitProcessed(token: ConsistencyToken, waitMs: number): Promise<boolean> {
    const deadline = this.now() + Math.min(waitMs, RECEIPT_LIMITS.maxWaitMs);
    for (;;) {
      if (processedPast(await this.snapshot(), token)) return true;
      if (this.now() >= deadline || !(await this.nextSnapshotBefore(deadline))) {
        return processedPast(await this.snapshot(), token);
      }
    }
  }

  /** The latest snapshot, or the next one when there is none yet; 503 when the broker cannot be asked. */
  currentProgress(): Promise<ProgressSnapshot> {
    return this.snapshot();
  }

  private async snapshot(): Promise<ProgressSnapshot> {
    const current = this.deps.progress.current();
    if (current) return current;
    try {
      return await this.deps.progress.next();
    } catch (err) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'The consumer group’s progress cannot be read from the broker', {
        retriable: true,
        cause: err,
      });
    }
  }

  /** True when a newer snapshot arrived before the deadline. */
  private async nextSnapshotBefore(deadline: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - this.now()));
    });
    const next = this.deps.progress.next().then(
      () => true,
      () => false,
    );
    return Promise.race([next, timeout]).finally(() => clearTimeout(timer));
  }

  private async statusAt(receipt: Receipt, snapshot: ProgressSnapshot): Promise<ReceiptStatus> {
    const base = {
      eventId: receipt.eventId,
      acceptedAt: receipt.acceptedAt,
      topic: receipt.topic,
      partition: receipt.partition,
      offset: receipt.offset,
      checkedAt: snapshot.at,
    };
    const progress = snapshot.partitions.find((p) => p.partition === receipt.partition);
    const committed = progress?.committed ?? 0;
    if (committed <= receipt.offset) return { ...base, status: 'pending', behind: receipt.offset - committed };
    const stored = await this.deps.reader.findByEventId(receipt.eventId);
    if (stored) {
      const from = stored.storedFrom;
      if (from && (from.partition !== receipt.partition || from.offset !== receipt.offset)) {
        return { ...base, status: 'duplicate', storedFrom: from };
      }
      return { ...base, status: 'persisted', ...(stored.persistedAt ? { persistedAt: stored.persistedAt } : {}) };
    }
    const letter = await this.deps.deadLetters.findBySource(receipt.topic, receipt.partition, receipt.offset);
    if (letter) return { ...base, status: 'dead_lettered', reason: letter.reason, deadLetterId: letter.letterId };
    // Processed, yet neither stored nor indexed: its dead letter is on its way into the index.
    return { ...base, status: 'pending', behind: 0 };
  }
}

function processedPast(snapshot: ProgressSnapshot, token: ConsistencyToken): boolean {
  return [...token.positions].every(([partition, offset]) => {
    const progress = snapshot.partitions.find((p) => p.partition === partition);
    return progress !== undefined && progress.committed > offset;
  });
}
