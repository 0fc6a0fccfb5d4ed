/** Counts rows and bytes as the download passes through; the counter never holds the data. */
export class ExportProgress {
  rows = 0;
  bytes = 0;
  private readonly startedAt: number;

  constructor(
    private readonly format: 'ndjson' | 'csv',
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /**
   * Rows end with a line feed in both formats. CSV quotes could hold a raw line feed, but the API's cells
   * never do (JSON escapes them, ids and types cannot contain one), and the header row is not a row.
   */
  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    let at = chunk.indexOf(10);
    while (at !== -1) {
      this.rows += 1;
      at = chunk.indexOf(10, at + 1);
    }
  }

  get dataRows(): number {
    return this.format === 'csv' ? Math.max(0, this.rows - 1) : this.rows;
  }

  line(): string {
    const seconds = Math.max((this.now() - this.startedAt) / 1000, 0.001);
    const rate = Math.round(this.dataRows / seconds);
    return `${this.dataRows} rows, ${formatBytes(this.bytes)} in ${seconds.toFixed(1)}s (${rate} rows/s, ${formatBytes(this.bytes / seconds)}/s)`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
