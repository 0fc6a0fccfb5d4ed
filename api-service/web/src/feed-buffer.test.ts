import { FeedBuffer } from './feed-buffer';

describe('FeedBuffer', () => {
  it('when fewer events than the cap arrived, then drain returns them all, oldest first, and empties the buffer', () => {
    const buffer = new FeedBuffer<number>(5);
    [1, 2, 3].forEach((n) => buffer.push(n));

    expect(buffer.drain()).toEqual([1, 2, 3]);
    expect(buffer.pending).toBe(0);
    expect(buffer.drain()).toEqual([]);
  });

  it('when far more events than the cap arrive between paints, then only the newest cap are painted and the rest counted as skipped', () => {
    const buffer = new FeedBuffer<number>(200);
    for (let n = 1; n <= 1_000; n++) buffer.push(n);

    expect(buffer.pending).toBeLessThan(400);
    const batch = buffer.drain();
    expect(batch).toHaveLength(200);
    expect(batch[0]).toBe(801);
    expect(batch[199]).toBe(1_000);
    expect(buffer.receivedCount).toBe(1_000);
    expect(buffer.skippedCount).toBe(800);
  });
});
