import type { ActivityType } from '@uap/shared';

/** One UTC hour of the worker's rollups: per type, 60 per-minute counts. */
export interface HourCounts {
  hour: Date;
  counts: ReadonlyMap<ActivityType, readonly number[]>;
}

/** Whether the rollups count every stored event, or started after events were already stored. */
export interface RollupCoverage {
  complete: boolean;
  reason?: string;
}

/**
 * Read side of the stats rollups (written by the worker). Rejects with a retriable SERVICE_UNAVAILABLE
 * DomainError when the store cannot answer.
 */
export interface RollupReader {
  /** Every hour document whose hour starts in [from, to); hours without events have none. */
  hours(from: Date, to: Date): Promise<HourCounts[]>;
  coverage(): Promise<RollupCoverage>;
}
