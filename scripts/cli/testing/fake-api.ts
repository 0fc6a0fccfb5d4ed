import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake API saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  key: string | undefined;
  body: unknown;
}
export interface FakeAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}
export type FakeRoute = (req: SeenRequest) => FakeAnswer | Promise<FakeAnswer>;

/** A problem+json answer as the api's one error middleware writes it; `slug` becomes `urn:uap:problem:<slug>`. */
export function problemAnswer(status: number, slug: string, title: string, detail: string, errors?: unknown[]) {
  return {
    status,
    body: { type: `urn:uap:problem:${slug}`, title, status, detail, instance: '/', ...(errors ? { errors } : {}) },
  };
}

/**
 * A stand-in for the API on an ephemeral port, for a CLI's tests: answers from `route` (JSON, or problem+json
 * from 400 on), and records what it was asked, so a test sees the requests as the server would.
 */
export class FakeApi {
  readonly seen: SeenRequest[] = [];
  route: FakeRoute = () => problemAnswer(404, 'not-found', 'Not found', 'no route');
  private readonly server: Server = createServer((req, res) => {
    void this.answer(req).then(({ status = 200, body, headers = {} }) => {
      const type = status >= 400 ? 'application/problem+json' : 'application/json';
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.seen.length = 0;
    this.route = () => problemAnswer(404, 'not-found', 'Not found', 'no route');
  }

  private async answer(req: IncomingMessage): Promise<FakeAnswer> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const url = new URL(req.url ?? '/', 'http://fake');
    const seen: SeenRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      key: req.headers['x-api-key'] as string | undefined,
      body: raw ? JSON.parse(raw) : undefined,
    };
    this.seen.push(seen);
    return this.route(seen);
  }
}
