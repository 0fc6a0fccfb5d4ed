import { normaliseEventName } from './segment-event-name';

describe('normaliseEventName', () => {
  it.each([
    ['Order Completed', 'ORDER_COMPLETED'],
    ['videoPlayed', 'VIDEO_PLAYED'],
    ['VideoPlayed', 'VIDEO_PLAYED'],
    ['checkout-step 2', 'CHECKOUT_STEP_2'],
    ['step2Done', 'STEP2_DONE'],
    ['HTMLPage Viewed', 'HTML_PAGE_VIEWED'],
    ['  Signed  Up!  ', 'SIGNED_UP'],
    ['Café Visited', 'CAFE_VISITED'],
    ['ALREADY_SNAKE', 'ALREADY_SNAKE'],
    ['already_snake', 'ALREADY_SNAKE'],
    ['a.b/c', 'A_B_C'],
  ])('when the name is %j, then the type is %s', (name, type) => {
    expect(normaliseEventName(name)).toBe(type);
  });

  it.each([
    ['starting with a digit', '404 Viewed'],
    ['without a Latin letter or digit', '注文完了'],
    ['of punctuation only', '!!!'],
    ['empty', ''],
    ['longer than 64 characters once normalised', `E${'x'.repeat(64)}`],
  ])('when the name is %s, then it names no type (refused, never cut short)', (_label, name) => {
    expect(normaliseEventName(name)).toBeUndefined();
  });

  it('when a name normalises to exactly 64 characters, then it is kept whole', () => {
    expect(normaliseEventName(`e${'x'.repeat(63)}`)).toBe(`E${'X'.repeat(63)}`);
  });
});
