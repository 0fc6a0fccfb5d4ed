import { DomainError } from '../domain-error';
import {
  activeUsersRange,
  clampDaysToRetention,
  clampToRetention,
  defaultRange,
  retentionHorizon,
  type Range,
} from './insights-range';
import { MS_PER_DAY } from './insights-limits';

const d = (iso: string) => new Date(iso);
const isoRange = ({ from, to }: Range) => ({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
const NOW = d('2026-03-10T15:30:00.000Z');

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('active users range', () => {
  it('when from and to are absent, then the range is the 30 whole days up to the next UTC midnight', () => {
    expect(isoRange(activeUsersRange({}, NOW))).toEqual({
      from: '2026-02-09T00:00:00.000Z',
      to: '2026-03-11T00:00:00.000Z',
    });
  });

  it('when from and to fall inside days, then from is floored and to ceiled to UTC midnights', () => {
    expect(
      isoRange(activeUsersRange({ from: d('2026-01-01T23:59:59.999Z'), to: d('2026-01-03T00:00:00.001Z') }, NOW)),
    ).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-04T00:00:00.000Z' });
  });

  it('when only a future from is given, then the range still holds from’s whole day', () => {
    expect(isoRange(activeUsersRange({ from: d('2026-04-01T08:00:00Z') }, NOW))).toEqual({
      from: '2026-04-01T00:00:00.000Z',
      to: '2026-04-02T00:00:00.000Z',
    });
  });

  it('when the widened range spans 366 days, then it is accepted; 367, then it is a 400 under insights-range', () => {
    const from = d('2025-01-01T00:00:00Z');
    expect(activeUsersRange({ from, to: new Date(from.getTime() + 366 * MS_PER_DAY) }, NOW)).toBeDefined();
    const err = errorOf(() => activeUsersRange({ from, to: new Date(from.getTime() + 366 * MS_PER_DAY + 1) }, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors).toEqual([expect.objectContaining({ path: 'from', rule: 'insights-range' })]);
  });

  it('when from is not before to, then it is a 400 under range-order, even if widening would make a day', () => {
    const at = d('2026-01-01T10:00:00Z');
    expect(errorOf(() => activeUsersRange({ from: at, to: at }, NOW)).errors[0]?.rule).toBe('range-order');
  });
});

describe('top and funnel ranges', () => {
  it('when from and to are absent, then the range is the default length back from now', () => {
    expect(isoRange(defaultRange({}, NOW, 7 * MS_PER_DAY))).toEqual({
      from: '2026-03-03T15:30:00.000Z',
      to: '2026-03-10T15:30:00.000Z',
    });
  });

  it('when only a future from is given, then to lies just after it, so the range is never reversed', () => {
    const from = d('2026-05-01T00:00:00Z');
    expect(defaultRange({ from }, NOW, MS_PER_DAY)).toEqual({ from: from.getTime(), to: from.getTime() + 1 });
  });

  it('when from is after to, then it is a 400 under range-order', () => {
    expect(errorOf(() => defaultRange({ from: NOW, to: d('2026-01-01T00:00:00Z') }, NOW, 1)).errors[0]?.rule).toBe(
      'range-order',
    );
  });
});

describe('retention', () => {
  it('when retention is off, then the horizon is 0 and nothing is clamped', () => {
    expect(retentionHorizon(NOW, 0)).toBe(0);
    expect(clampToRetention({ from: 5, to: 10 }, 0)).toEqual({ from: 5, to: 10 });
  });

  it('when retention keeps 7 days, then top and funnel start at the horizon and active users at the next midnight', () => {
    const horizon = retentionHorizon(NOW, 7);
    expect(new Date(horizon).toISOString()).toBe('2026-03-03T15:30:00.000Z');
    const range = { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-03-11T00:00:00Z') };
    expect(isoRange(clampToRetention(range, horizon)).from).toBe('2026-03-03T15:30:00.000Z');
    expect(isoRange(clampDaysToRetention(range, horizon)).from).toBe('2026-03-04T00:00:00.000Z');
  });

  it('when the whole range lies before the horizon, then it becomes empty at to, not reversed', () => {
    const range = { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-01-02T00:00:00Z') };
    expect(clampDaysToRetention(range, retentionHorizon(NOW, 7))).toEqual({ from: range.to, to: range.to });
  });
});
