import { hourStartOf, MINUTES_PER_HOUR, type ActivityType } from '@uap/shared/contract';
import type { ActivityRecord } from '../application/ports/activity-reader.port';
import type { HourCounts, RollupCoverage, RollupReader } from '../application/ports/activity-rollup-reader.port';

/** The rollups the worker would hold for these records; `calls` proves which ranges were read. */
export class InMemoryRollupReader implements RollupReader {
  readonly calls: Array<{ from: Date; to: Date }> = [];
  coverageValue: RollupCoverage = { complete: true };

  constructor(private readonly records: readonly ActivityRecord[]) {}

  async hours(from: Date, to: Date): Promise<HourCounts[]> {
    this.calls.push({ from, to });
    const hours = new Map<string, { hour: number; type: ActivityType; minutes: number[] }>();
    for (const record of this.records) {
      const hour = hourStartOf(record.occurredAt);
      if (hour < from || hour >= to) continue;
      const key = `${hour.getTime()}|${record.type}`;
      const entry = hours.get(key) ?? {
        hour: hour.getTime(),
        type: record.type,
        minutes: new Array<number>(MINUTES_PER_HOUR).fill(0),
      };
      hours.set(key, entry);
      entry.minutes[record.occurredAt.getUTCMinutes()]!++;
    }
    return [...hours.values()];
  }

  async coverage(): Promise<RollupCoverage> {
    return this.coverageValue;
  }
}
