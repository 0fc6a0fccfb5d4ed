import { watermarkOf } from './kafka-consumer-progress';

describe('watermarkOf', () => {
  const history = [
    { at: 1_000, end: 10 },
    { at: 2_000, end: 20 },
    { at: 3_000, end: 30 },
  ];

  it('when everything is processed, then the watermark is the snapshot time', () => {
    expect(watermarkOf(history, 30, 30, 3_500)).toEqual(new Date(3_500));
  });

  it('when the group is behind, then it is the latest time whose end offset was already committed', () => {
    expect(watermarkOf(history, 25, 30, 3_500)).toEqual(new Date(2_000));
    expect(watermarkOf(history, 20, 30, 3_500)).toEqual(new Date(2_000));
  });

  it('when the oldest unprocessed event is older than the history, then it is unknown', () => {
    expect(watermarkOf(history, 5, 30, 3_500)).toBeNull();
  });
});
