import { makeActivityInputSchema } from '@uap/shared/contract';
import { ActivityGenerator } from './activity-generator';

describe('activity generator', () => {
  const schema = makeActivityInputSchema({ maxFutureSkewMs: 0, now: () => new Date() });

  it('when it generates many activities, then every one satisfies the contract', () => {
    const generator = new ActivityGenerator(50, [
      ['SEARCH', 1],
      ['LOGIN', 1],
      ['PAGE_VIEW', 1],
      ['PURCHASE', 1],
      ['LOGOUT', 1],
    ]);
    for (let i = 0; i < 2000; i++) {
      const activity = generator.next();
      expect(schema.safeParse(activity).error).toBeUndefined();
    }
  });

  it('when the mix weights one type 9:1, then that type dominates', () => {
    const generator = new ActivityGenerator(10, [
      ['CLICK', 9],
      ['LOGOUT', 1],
    ]);
    const clicks = Array.from({ length: 5000 }, () => generator.next()).filter((a) => a.type === 'CLICK').length;
    expect(clicks / 5000).toBeGreaterThan(0.85);
    expect(clicks / 5000).toBeLessThan(0.95);
  });
});
