import type { ActivityFilters, KeysetPosition, SortOrder } from '../domain/activity-query';
import type { ActivityReader, ActivityRecord } from './ports/activity-reader.port';

export interface ExportConfig {
  /** Rows per read; the export holds at most one such page at a time. */
  chunkSize: number;
}

export const DEFAULT_EXPORT_CONFIG: ExportConfig = { chunkSize: 500 };

export interface ExportRequest {
  filters: ActivityFilters;
  sort: SortOrder;
}

/**
 * Every activity matching the filters, in list order, as a walk of keyset pages. The next page is read
 * only when the caller asks for it (after it wrote the previous one out), so memory is one page however
 * large the export, and a slow client slows the reads down instead of piling rows up in the process.
 *
 * Same guarantee as following nextCursor: rows stored while the walk runs appear only if they sort after
 * the current position; no row appears twice, none that existed throughout is skipped.
 */
export class ExportActivitiesUseCase {
  constructor(
    private readonly config: ExportConfig,
    private readonly deps: { reader: ActivityReader },
  ) {}

  async *pages(request: ExportRequest, signal?: AbortSignal): AsyncGenerator<ActivityRecord[]> {
    const { filters, sort } = request;
    const limit = this.config.chunkSize;
    let after: KeysetPosition | undefined;
    while (!signal?.aborted) {
      const rows = await this.deps.reader.findPage({ filters, sort, limit, ...(after ? { after } : {}) });
      if (rows.length > 0) yield rows;
      const last = rows[rows.length - 1];
      // A short page is the last one: asking again would cost a query that finds nothing.
      if (rows.length < limit || last === undefined) return;
      after = { occurredAt: last.occurredAt, eventId: last.eventId };
    }
  }
}
