import { actorText } from './actor';

describe('actorText', () => {
  it('when an event is an anonymous visitor’s, then the user column names the anonymous id', () => {
    expect(actorText({ userId: 'user_42', anonymousId: 'anon-1' })).toBe('user_42');
    expect(actorText({ anonymousId: 'anon-1' })).toBe('anonymous anon-1');
  });
});
