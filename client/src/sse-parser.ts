export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export type SseItem =
  ({ kind: 'event' } & SseEvent) | { kind: 'comment'; text: string } | { kind: 'retry'; ms: number };

/**
 * The text/event-stream grammar (WHATWG HTML §9.2) without the transport: feed it decoded text in any
 * chunking, get back whole events, comments and `retry:` hints. Lines end in \n, \r\n or \r; a blank
 * line ends an event. Unlike EventSource, an event is kept even without data (`event: x` alone), and
 * an `id:` belongs to the event that carries it only.
 */
export class SseParser {
  private buffer = '';
  private fields: { event?: string; id?: string; data?: string[] } = {};

  feed(text: string): SseItem[] {
    this.buffer += text;
    const items: SseItem[] = [];
    let start = 0;
    for (;;) {
      const match = /\r\n|\r|\n/g;
      match.lastIndex = start;
      const found = match.exec(this.buffer);
      // A trailing \r may be the first half of \r\n: wait for the next chunk to tell.
      if (!found || (found[0] === '\r' && found.index === this.buffer.length - 1)) break;
      this.line(this.buffer.slice(start, found.index), items);
      start = found.index + found[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return items;
  }

  private line(line: string, items: SseItem[]): void {
    if (line === '') {
      const { event, id, data } = this.fields;
      if (event !== undefined || id !== undefined || data !== undefined) {
        items.push({
          kind: 'event',
          event: event || 'message',
          ...(id === undefined ? {} : { id }),
          data: (data ?? []).join('\n'),
        });
      }
      this.fields = {};
      return;
    }
    if (line.startsWith(':')) {
      items.push({ kind: 'comment', text: line.slice(1).replace(/^ /, '') });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.fields.event = value;
    else if (field === 'data') (this.fields.data ??= []).push(value);
    else if (field === 'id' && !value.includes('\0')) this.fields.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) items.push({ kind: 'retry', ms: Number(value) });
  }
}
