import { isResent } from './load-driver';

const resentOf = (batches: number, share: number) =>
  Array.from({ length: batches }, (_, i) => i).filter((i) => isResent(i, share));

describe('isResent', () => {
  it('when the share is 20 %, then every fifth batch is resent, exactly a fifth of them', () => {
    expect(resentOf(20, 0.2)).toEqual([4, 9, 14, 19]);
    expect(resentOf(1_000, 0.2)).toHaveLength(200);
  });

  it.each([
    [0, 0],
    [1, 100],
    [0.29, 29],
    [0.1, 10],
  ])('when the share is %s, then %s of 100 batches are resent', (share, expected) => {
    expect(resentOf(100, share)).toHaveLength(expected);
  });
});
