import { hourIdOf, hourStartOf, MINUTES_PER_HOUR, type ActivityType } from '@uap/shared';
import type { ActivityRecord } from '../application/ports/activity-reader.port';
import type { HourCounts, RollupCoverage, RollupReader } from '../application/ports/activity-rollup-reader.port';

/** The rollups the worker would hold for these records; `calls` proves which hours were read. */
export class InMemoryRollupReader implements RollupReader {
  readonly calls: Array<{ from: Date; to: Date }> = [];
  coverageValue: RollupCoverage = { complete: true };

  constructor(private readonly records: readonly ActivityRecord[]) {}

  async hours(from: Date, to: Date): Promise<HourCounts[]> {
    this.calls.push({ from, to });
    const hours = new Map<string, { hour: Date; counts: Map<ActivityType, number[]> }>();
    for (const record of this.records) {
      const hour = hourStartOf(record.occurredAt);
      if (hour < from || hour >= to) continue;
      const entry = hours.get(hourIdOf(hour)) ?? { hour, counts: new Map() };
      hours.set(hourIdOf(hour), entry);
      const counts = entry.counts.get(record.type) ?? new Array<number>(MINUTES_PER_HOUR).fill(0);
      entry.counts.set(record.type, counts);
      counts[record.occurredAt.getUTCMinutes()]!++;
    }
    return [...hours.values()];
  }

  async coverage(): Promise<RollupCoverage> {
    return this.coverageValue;
  }
}
