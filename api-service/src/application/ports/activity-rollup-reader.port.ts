import type { ActivityType } from '@uap/shared/contract';

/** One UTC hour of one type: its 60 per-minute counts. */
export interface HourCounts {
  /** The hour's start, epoch ms. */
  hour: number;
  type: ActivityType;
  minutes: readonly number[];
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
  /** Every hour with counts whose start lies in [from, to); hours and types without events may be left out. */
  hours(from: Date, to: Date): Promise<HourCounts[]>;
  coverage(): Promise<RollupCoverage>;
}
