import type { Clock } from '../event-batcher';

/** Lets every pending promise chain run (fake fetch answers resolve on the microtask queue). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A clock tests move by hand: timers fire only inside advance(), in due order. */
export class FakeClock implements Clock {
  private current = Date.parse('2026-01-01T10:00:00.000Z');
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 1;
  /** Every delay a timer was set with, in order. */
  readonly delays: number[] = [];

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.delays.push(ms);
    this.timers.push({ id, at: this.current + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fn();
      await settle();
    }
    this.current = until;
  }
}
