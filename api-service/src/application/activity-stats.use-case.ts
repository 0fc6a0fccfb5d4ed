import { MS_PER_HOUR, MS_PER_MINUTE } from '@uap/shared/contract';
import {
  ceilTo,
  floorTo,
  STATS_LIMITS,
  StatsTally,
  type ActivityStats,
  type StatsQuery,
} from '../domain/activity-stats';
import { DomainError } from '../domain/domain-error';
import type { ActivityFilters, KeysetPosition } from '../domain/activity-query';
import type { ActivityReader } from './ports/activity-reader.port';
import type { RollupReader } from './ports/activity-rollup-reader.port';

export interface ActivityStatsConfig {
  /** The worker's RETENTION_DAYS (0: none). Ranges are clamped to what retention keeps. */
  retentionDays: number;
  /** Rows per read when counting events one by one. */
  pageSize?: number;
  /** Default STATS_LIMITS.maxEventsCounted. */
  maxEventsCounted?: number;
}

const DEFAULT_PAGE_SIZE = 1_000;

/**
 * Counts per bucket and type, exact: equal to counting the stored events of [from, to). Whole minutes
 * come from the worker's rollups; the partial minutes at unaligned ends (counted per type), and everything
 * of one userId or one sourceId (the rollups hold neither; read event by event), from the events through the
 * list's reader.
 */
export class ActivityStatsUseCase {
  private readonly now: () => Date;

  constructor(
    private readonly config: ActivityStatsConfig,
    /** `rollups` absent: none are kept (FerretDB without FERRETDB_POSTGRES_URL); everything is counted from events. */
    private readonly deps: { rollups?: RollupReader; reader: ActivityReader; now?: () => Date },
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  async stats(query: StatsQuery): Promise<ActivityStats> {
    // Retention deletes by occurredAt; past its horizon the store no longer holds what the rollups counted.
    const horizon = this.config.retentionDays > 0 ? this.now().getTime() - this.config.retentionDays * 86_400_000 : 0;
    const from = new Date(Math.min(Math.max(query.from.getTime(), horizon), query.to.getTime()));
    const { to, bucket } = query;
    const tally = new StatsTally(from, to, bucket, query.types);
    const base = { from, to, bucket };
    const rollups = this.deps.rollups;
    if (query.userId !== undefined || query.sourceId !== undefined || rollups === undefined) {
      const { userId, sourceId } = query;
      await this.countEvents(
        { ...(userId === undefined ? {} : { userId }), ...(sourceId === undefined ? {} : { sourceId }), from, to },
        tally,
      );
      return { ...base, ...tally.result(), source: 'events', exact: true };
    }
    const wholeFrom = ceilTo(from, MS_PER_MINUTE);
    const wholeTo = floorTo(to, MS_PER_MINUTE);
    if (wholeFrom >= wholeTo) {
      await this.countEvents({ from, to }, tally);
      return { ...base, ...tally.result(), source: 'events', exact: true };
    }
    const [hours, coverage] = await Promise.all([
      rollups.hours(floorTo(wholeFrom, MS_PER_HOUR), wholeTo),
      rollups.coverage(),
      from < wholeFrom ? this.countPartialMinute(from, wholeFrom, tally) : undefined,
      wholeTo < to ? this.countPartialMinute(wholeTo, to, tally) : undefined,
    ]);
    const first = wholeFrom.getTime();
    const end = wholeTo.getTime();
    for (const { hour, type, minutes } of hours) {
      const low = Math.max(0, (first - hour) / MS_PER_MINUTE);
      const high = Math.min(minutes.length, (end - hour) / MS_PER_MINUTE);
      tally.addMinutes(hour, type, minutes, low, high);
    }
    return {
      ...base,
      ...tally.result(),
      source: 'rollups',
      exact: coverage.complete,
      ...(coverage.complete ? {} : { inexactReason: coverage.reason ?? 'the rollups do not cover every stored event' }),
    };
  }

  /**
   * A range inside one minute lies in one bucket of any size, so only its count per type matters: one
   * grouped count instead of reading the events.
   */
  private async countPartialMinute(from: Date, to: Date, tally: StatsTally): Promise<void> {
    const cap = this.config.maxEventsCounted ?? STATS_LIMITS.maxEventsCounted;
    const { counts, exact } = await this.deps.reader.countByType(
      { from, to, ...(tally.types ? { types: tally.types } : {}) },
      cap + 1,
    );
    if (!exact) throw tooManyToCount(cap, 'from');
    for (const [type, count] of Object.entries(counts)) tally.add(from, type, count ?? 0);
  }

  /** Reads the matching events in keyset pages and tallies them; refuses past maxEventsCounted. */
  private async countEvents(range: ActivityFilters, tally: StatsTally): Promise<void> {
    const filters: ActivityFilters = { ...range, ...(tally.types ? { types: tally.types } : {}) };
    const limit = this.config.pageSize ?? DEFAULT_PAGE_SIZE;
    let after: KeysetPosition | undefined;
    const cap = this.config.maxEventsCounted ?? STATS_LIMITS.maxEventsCounted;
    for (let counted = 0; ;) {
      const rows = await this.deps.reader.findPage({ filters, sort: 'asc', limit, ...(after ? { after } : {}) });
      counted += rows.length;
      if (counted > cap) {
        throw tooManyToCount(
          cap,
          range.userId !== undefined ? 'userId' : range.sourceId !== undefined ? 'sourceId' : 'from',
        );
      }
      for (const row of rows) tally.add(row.occurredAt, row.type);
      const last = rows[rows.length - 1];
      if (rows.length < limit || last === undefined) return;
      after = { occurredAt: last.occurredAt, eventId: last.eventId };
    }
  }
}

function tooManyToCount(cap: number, path: 'from' | 'userId' | 'sourceId'): DomainError {
  return new DomainError('VALIDATION_FAILED', 'Too many events to count one by one', {
    errors: [
      {
        path,
        message:
          `more than ${cap} events to count from the events themselves ` +
          (path === 'from'
            ? 'in the partial minute at an end of the range; start and end the range on whole minutes'
            : `for this ${path} in the range; narrow from/to`),
        rule: 'stats-count-cap',
      },
    ],
  });
}
