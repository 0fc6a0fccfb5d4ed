import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemType, type ProblemKind } from './problem';

export const HEADERS_TOO_LARGE: ProblemKind = {
  status: 431,
  title: 'Request header fields too large',
  slug: 'headers-too-large',
};
export const HEADERS_TOO_LARGE_WHY =
  'The request line and headers together are over 16 KiB (Node’s limit), a long query string included; ' +
  'nothing was processed';

/**
 * Requests Node's HTTP parser refuses (bad Content-Length, control characters in headers, oversized
 * headers, unknown methods) never reach express; by default Node answers them with a bare
 * `400 Bad Request`. This answers them as problem+json too, without echoing anything from the request.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const kind = err.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : PROBLEMS.badRequest;
    const body = JSON.stringify({
      type: problemType(kind),
      title: kind.title,
      status: kind.status,
      detail: 'The HTTP request is malformed and was not processed',
      instance: '/',
    });
    socket.end(
      `HTTP/1.1 ${kind.status} ${kind.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
