import { SseParser } from './sse-parser';

describe('SSE parser', () => {
  it('when the server sends the retry hint, a comment and an activity, then each comes out in order', () => {
    const parser = new SseParser();
    expect(
      parser.feed('retry: 3000\n: live activity stream\n\nid: p1\nevent: activity\ndata: {"a":1}\n\n: heartbeat\n\n'),
    ).toEqual([
      { kind: 'retry', ms: 3000 },
      { kind: 'comment', text: 'live activity stream' },
      { kind: 'event', event: 'activity', id: 'p1', data: '{"a":1}' },
      { kind: 'comment', text: 'heartbeat' },
    ]);
  });

  it('when an event arrives split at every character, then it is parsed the same once complete', () => {
    const parser = new SseParser();
    const text = 'id: 7\r\nevent: dropped\r\ndata: {"count":3}\r\n\r\n';
    const items = [...text].flatMap((char) => parser.feed(char));
    expect(items).toEqual([{ kind: 'event', event: 'dropped', id: '7', data: '{"count":3}' }]);
  });

  it('when lines end in \\r, \\n or \\r\\n, then all three end a line', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\rdata: b\r\ndata: c\n\n')).toEqual([
      { kind: 'event', event: 'message', data: 'a\nb\nc' },
    ]);
  });

  it('when a chunk ends in \\r, then the line waits to see whether \\n follows', () => {
    const parser = new SseParser();
    expect(parser.feed('data: x\r')).toEqual([]);
    expect(parser.feed('\n\r\n')).toEqual([{ kind: 'event', event: 'message', data: 'x' }]);
  });

  it('when an event is not yet ended by a blank line, then nothing comes out', () => {
    const parser = new SseParser();
    expect(parser.feed('event: reset\ndata: {}\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ kind: 'event', event: 'reset', data: '{}' }]);
  });

  it('when fields have no space after the colon, no value, or are unknown, then they follow the spec', () => {
    const parser = new SseParser();
    expect(parser.feed('event:reconnect\ndata\ndata:  two spaces\nfoo: bar\nretry: soon\n\n')).toEqual([
      { kind: 'event', event: 'reconnect', data: '\n two spaces' },
    ]);
  });

  it('when an id holds a NUL, then it is ignored', () => {
    const parser = new SseParser();
    expect(parser.feed('id: a\0b\ndata: x\n\n')).toEqual([{ kind: 'event', event: 'message', data: 'x' }]);
  });
});
