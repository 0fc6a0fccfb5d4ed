import type { StreamPosition } from '../../domain/stream-position';

/** Reads the activities topic into the live stream's hub, while there is someone to read for. */
export interface StreamFeed {
  /**
   * Starts the hub at `from` (a resume position, kept within what the topic still holds) or at the topic's
   * end, then reads on from there. Rejects with a retriable error when the broker cannot be reached.
   */
  start(from?: StreamPosition): Promise<void>;
  /** Stops reading and empties the hub. */
  stop(): Promise<void>;
}
