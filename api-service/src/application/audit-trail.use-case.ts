import { randomBytes } from 'node:crypto';
import type { Logger } from '@uap/shared/runtime';
import {
  auditIdOf,
  decodeAuditCursor,
  encodeAuditCursor,
  type AuditCursorPosition,
  type AuditFilters,
} from '../domain/audit-query';
import { DomainError } from '../domain/domain-error';
import type { AuditEntry, AuditLog, AuditRecord } from './ports/audit-log.port';

export interface AuditTrailConfig {
  /** Records older than this many days are swept; 0 keeps them forever. */
  retentionDays: number;
  /** The waits between attempts of an append: three retries by default. */
  retryDelaysMs?: readonly number[];
}

export interface AuditListRequest {
  filters: AuditFilters;
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  nextCursor: string | null;
}

const CURSOR_REJECTIONS = {
  malformed: 'is not a cursor issued by this listing',
  'filters-changed': 'belongs to a listing with different filters; send the same filters as the first page',
} as const;

const DAY_MS = 24 * 3600 * 1000;

/**
 * Who changed what in the platform's administration: records as the HTTP layer hands them over, a listing newest
 * first, and the retention sweep. An append is retried with the same id, which the store keeps once, so a retry
 * after a lost acknowledgement never makes a second record.
 */
export class AuditTrailUseCase {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retryDelaysMs: readonly number[];

  constructor(
    private readonly config: AuditTrailConfig,
    private readonly deps: {
      log: AuditLog;
      logger: Logger;
      now?: () => Date;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {
    this.now = deps.now ?? (() => new Date());
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.retryDelaysMs = config.retryDelaysMs ?? [100, 500, 2_000];
  }

  /** Appends the record, retried after each delay; rejects with the last error once the retries are spent. */
  async record(entry: AuditEntry): Promise<AuditRecord> {
    const record: AuditRecord = { id: auditIdOf(entry.at, randomBytes(6).toString('hex')), ...entry };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deps.log.append(record);
        return record;
      } catch (err) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) throw err;
        await this.sleep(delay);
      }
    }
  }

  async list(request: AuditListRequest): Promise<AuditPage> {
    const { filters, limit } = request;
    let cursor: AuditCursorPosition | undefined;
    if (request.cursor !== undefined) {
      const decoded = decodeAuditCursor(request.cursor, filters);
      if (!decoded.ok) {
        throw new DomainError('VALIDATION_FAILED', 'cursor does not fit this query', {
          errors: [{ path: 'cursor', message: CURSOR_REJECTIONS[decoded.reason], rule: 'cursor-not-issued' }],
        });
      }
      cursor = decoded.position;
    }
    // One record more than asked tells whether another page exists without a second query.
    const rows = await this.deps.log.list({ ...filters, limit: limit + 1, ...(cursor ? { cursor } : {}) });
    const records = rows.slice(0, limit);
    const last = records[records.length - 1];
    return {
      records,
      nextCursor: rows.length > limit && last !== undefined ? encodeAuditCursor(last, filters) : null,
    };
  }

  /** Deletes what retention no longer keeps; idempotent, so every replica may sweep on its own schedule. */
  async sweep(): Promise<number> {
    if (this.config.retentionDays === 0) return 0;
    return this.deps.log.deleteBefore(new Date(this.now().getTime() - this.config.retentionDays * DAY_MS));
  }

  /** Sweeps now and then every `intervalMs` until stopped; a failed sweep is logged and tried again next time. */
  startRetention(intervalMs: number): { stop(): void } {
    const log = this.deps.logger.child({ component: 'audit-retention' });
    const run = () => {
      this.sweep()
        .then((deleted) => {
          if (deleted > 0) log.info({ deleted, retentionDays: this.config.retentionDays }, 'audit records swept');
        })
        .catch((err: unknown) => log.warn({ err }, 'audit retention sweep failed; retrying at the next interval'));
    };
    run();
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}
