import type { MemorySample } from '../support/measure-results';
import { lowest, secondHalfSlopes, slopePerMinute, troughs } from './soak.measure';

const at = (atS: number, mb: number): MemorySample => ({ atS, rssMb: mb, heapMb: mb });

describe('soak memory slopes', () => {
  it('when memory grows 2 MB a minute, then the slope says 2 MB/min', () => {
    const samples = [0, 60, 120, 180].map((s) => at(s, 100 + (2 * s) / 60));
    expect(slopePerMinute(samples, (s) => s.heapMb)).toBeCloseTo(2, 6);
  });

  it('when a saw-tooth heap keeps the same troughs, then its second half is flat although samples differ', () => {
    // Every 60 s the heap climbs from 100 MB to 190 MB and is collected back to 100.
    const samples = Array.from({ length: 121 }, (_, i) => at(i * 5, 100 + ((i * 5) % 60) * 1.5));
    const { heapSlopeMbPerMin } = secondHalfSlopes(samples, 600);

    expect(troughs(samples.slice(60, 72), 60, (s) => s.heapMb).map((t) => t.heapMb)).toEqual([100]);
    expect(heapSlopeMbPerMin).toBeCloseTo(0, 6);
  });

  it('when a run has fewer than three minutes in its second half, then the slope is not a number', () => {
    expect(secondHalfSlopes([at(0, 1), at(40, 5), at(100, 9), at(170, 9)], 180).heapSlopeMbPerMin).toBeNaN();
  });

  it('when idle samples are taken, then the lowest of each reading is kept', () => {
    expect(
      lowest([
        { ...at(1, 50), bufferedEvents: 10 },
        { atS: 2, rssMb: 60, heapMb: 40, bufferedEvents: 0 },
      ]),
    ).toEqual({
      atS: 1,
      rssMb: 50,
      heapMb: 40,
      bufferedEvents: 0,
    });
  });
});
