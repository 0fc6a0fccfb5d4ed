/**
 * What arrived on the live stream since the last paint. Events come faster than frames (1,000/s against 60
 * frames), so the feed paints once per frame, and only the newest `cap` rows: older ones would be pushed out
 * of the list in the same frame anyway. While paused it keeps counting, still bounded.
 */
export class FeedBuffer<T> {
  private items: T[] = [];
  private received = 0;
  private skipped = 0;

  constructor(readonly cap: number) {}

  push(item: T): void {
    this.received += 1;
    this.items.push(item);
    // Trim in chunks, not on every push: splice is O(n).
    if (this.items.length >= this.cap * 2) {
      this.skipped += this.items.length - this.cap;
      this.items = this.items.slice(-this.cap);
    }
  }

  /** Events waiting for the next paint (some may never be painted: see skippedCount). */
  get pending(): number {
    return this.items.length;
  }

  /** Every event received since the feed started. */
  get receivedCount(): number {
    return this.received;
  }

  /** Events that arrived but were never painted, because newer ones filled the rows first. */
  get skippedCount(): number {
    return this.skipped;
  }

  /** The newest `cap` waiting events, oldest first, and the buffer emptied. */
  drain(): T[] {
    const batch = this.items.length > this.cap ? this.items.slice(-this.cap) : this.items;
    this.skipped += this.items.length - batch.length;
    this.items = [];
    return batch;
  }
}
