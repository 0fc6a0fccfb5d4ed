import { AnonymousIdSchema, UserIdSchema, type ActivityEvent } from '@uap/shared/contract';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { StreamFilter, StreamMessage, Subscription } from '../../../application/activity-stream.hub';
import type { LiveActivityStream } from '../../../application/live-activity-stream';
import { QUERY_LIMITS } from '../../../domain/activity-query';
import { decodePosition, MAX_POSITION_LENGTH } from '../../../domain/stream-position';
import type { StreamTickets } from '../../../domain/stream-ticket';
import { apiKeyOf } from '../auth.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { PROBLEMS, sendProblem } from '../problem';
import { invalid, once, parseQuery, stringParam } from '../query-params';
import { registryFieldsOf, TYPE_FILTER_DESCRIPTION, typeParam } from '../queries/activity-queries.router';

export const STREAM_PATH = '/api/v1/activities/stream';
export const STREAM_ROUTES: RouteSpec[] = [
  { path: STREAM_PATH, methods: ['GET'] },
  { path: '/api/v1/stream-tickets', methods: ['POST'] },
];

export interface StreamLimits {
  maxConnections: number;
  maxConnectionsPerKey: number;
  heartbeatMs: number;
  maxLifetimeMs: number;
  /** The `retry:` hint: how long EventSource waits before reconnecting. */
  retryMs: number;
  retryAfterSeconds: number;
}

const STREAM_QUERY = z.strictObject({
  userId: stringParam('userId', UserIdSchema)
    .optional()
    .meta({ description: 'Only activities with this userId (not those of the anonymous ids the user linked).' }),
  anonymousId: stringParam('anonymousId', AnonymousIdSchema)
    .optional()
    .meta({ description: 'Only activities with this anonymousId (an anonymous visitor’s, and its links).' }),
  type: typeParam.optional().meta({
    description: `Activity types, repeated or comma-separated, at most ${QUERY_LIMITS.maxTypes}. ${TYPE_FILTER_DESCRIPTION}`,
  }),
  lastEventId: once('lastEventId')
    .min(1)
    .max(MAX_POSITION_LENGTH)
    .regex(/^[A-Za-z0-9_-]+$/, 'not an event id of this stream')
    .optional()
    .meta({
      description: 'Resume after this SSE id (as the Last-Event-ID header does, for clients that cannot send it).',
    }),
  ticket: once('ticket')
    .max(1_024)
    .optional()
    .meta({ description: 'A ticket from POST /api/v1/stream-tickets, for browsers (EventSource sends no headers).' }),
});
const NO_QUERY = z.strictObject({});
const ALLOWED = ['userId', 'anonymousId', 'type', 'lastEventId', 'ticket'];

export const STREAM_PARAMS = { stream: STREAM_QUERY, none: NO_QUERY } as const;

export const StreamTicketSchema = z
  .strictObject({
    ticket: z.string().describe('Use once within 60 s as ?ticket= on GET /api/v1/activities/stream.'),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'StreamTicket' });

/** The same JSON as the list endpoint shows (the event is not stored yet, so no persistedAt); the hub keeps it. */
export function toStreamJson(event: ActivityEvent): string {
  return JSON.stringify(toDto(event));
}

function toDto(event: ActivityEvent) {
  return {
    eventId: event.eventId,
    ...(event.userId === undefined ? {} : { userId: event.userId }),
    ...(event.anonymousId === undefined ? {} : { anonymousId: event.anonymousId }),
    type: event.type,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
    metadata: event.metadata,
    context: event.context,
    schemaVersion: event.schemaVersion,
    ...registryFieldsOf(event),
    ...(event.segment === undefined ? {} : { segment: event.segment }),
    ...(event.sourceId === undefined ? {} : { sourceId: event.sourceId }),
  };
}

function format(message: StreamMessage): string {
  switch (message.kind) {
    case 'activity':
      return `id: ${message.id}\nevent: activity\ndata: ${message.event.json}\n\n`;
    case 'dropped':
      return `event: dropped\ndata: ${JSON.stringify({ count: message.count })}\n\n`;
    case 'reset':
      return `id: ${message.id}\nevent: reset\ndata: ${JSON.stringify({ reason: message.reason })}\n\n`;
  }
}

/** Open streams of this process, so limits can be enforced and shutdown can end them all. */
export class StreamConnections {
  private readonly open = new Set<{ keyId: string; end: (reason: string) => void }>();

  count(keyId?: string): number {
    return keyId === undefined ? this.open.size : [...this.open].filter((c) => c.keyId === keyId).length;
  }

  add(connection: { keyId: string; end: (reason: string) => void }): () => void {
    this.open.add(connection);
    return () => this.open.delete(connection);
  }

  /** Ends every stream with a `reconnect` event (SIGTERM: clients resume on another replica or after restart). */
  endAll(reason: string): void {
    for (const connection of [...this.open]) connection.end(reason);
  }
}

export interface StreamHttpDeps {
  live: Pick<LiveActivityStream, 'subscribe' | 'take' | 'unsubscribe'>;
  tickets: StreamTickets;
  connections: StreamConnections;
  limits: StreamLimits;
}

const BATCH = 200;

/**
 * GET /api/v1/activities/stream (Server-Sent Events) and POST /api/v1/stream-tickets. A stream never
 * blocks the hub: it takes its next events only when the socket has room (write() returned true or
 * 'drain' fired); while it cannot, the hub counts what this subscriber misses and says `dropped`.
 * The answer starts once the subscriber is placed (the feed started if it was idle), so every event
 * accepted after the client saw the stream open reaches it; a feed that cannot start is a 503.
 */
export function activityStreamRouter(deps: StreamHttpDeps): Router {
  const router = Router();
  router.post('/api/v1/stream-tickets', (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const { ticket, expiresAt } = deps.tickets.issue(apiKeyOf(res)?.id ?? null);
    res.status(201).json({ ticket, expiresAt: expiresAt.toISOString() });
  });
  router.get(STREAM_PATH, async (req, res) => {
    const query = parseQuery(STREAM_QUERY, ALLOWED, req.query);
    const resumeText = req.get('last-event-id') ?? query.lastEventId;
    const from = resumeText === undefined ? undefined : decodePosition(resumeText);
    if (resumeText !== undefined && from === undefined) {
      throw invalid([{ path: 'Last-Event-ID', message: 'not an event id of this stream', rule: 'token-not-issued' }]);
    }
    const keyId = apiKeyOf(res)?.id ?? `ip:${req.ip ?? 'unknown'}`;
    const { limits } = deps;
    if (
      deps.connections.count() >= limits.maxConnections ||
      deps.connections.count(keyId) >= limits.maxConnectionsPerKey
    ) {
      sendProblem(req, res, PROBLEMS.tooManyRequests, 'Too many open streams; close one or retry later', {
        headers: { 'Retry-After': String(limits.retryAfterSeconds) },
      });
      return;
    }
    await serve(req, res, deps, {
      keyId,
      filter: {
        ...(query.userId === undefined ? {} : { userId: query.userId }),
        ...(query.anonymousId === undefined ? {} : { anonymousId: query.anonymousId }),
        ...(query.type === undefined ? {} : { types: query.type }),
      },
      from,
    });
  });
  return router;
}

async function serve(
  req: Request,
  res: Response,
  deps: StreamHttpDeps,
  options: {
    keyId: string;
    filter: StreamFilter;
    from: ReturnType<typeof decodePosition>;
  },
): Promise<void> {
  const { live, limits } = deps;
  // Counted from now, so streams still starting count against the caps; ended before it opens: not opened.
  let endedEarly: string | undefined;
  let end = (reason: string) => void (endedEarly ??= reason);
  const forget = deps.connections.add({ keyId: options.keyId, end: (reason) => end(reason) });
  let sub: Subscription;
  try {
    sub = await live.subscribe(options.filter, options.from);
  } catch (err) {
    forget();
    throw err;
  }
  if (req.destroyed || endedEarly !== undefined) {
    live.unsubscribe(sub);
    forget();
    if (!req.destroyed) {
      sendProblem(req, res, PROBLEMS.unavailable, `The stream was not opened: ${endedEarly}`, {
        headers: { 'Retry-After': String(limits.retryAfterSeconds) },
      });
    }
    return;
  }
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Proxies (nginx) must not buffer an event stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: ${limits.retryMs}\n: live activity stream\n\n`);

  let waitingForDrain = false;
  let ended = false;
  const pump = () => {
    if (ended || waitingForDrain) return;
    for (;;) {
      const messages = live.take(sub, BATCH);
      if (messages.length === 0) return;
      if (!res.write(messages.map(format).join(''))) {
        waitingForDrain = true;
        res.once('drain', () => {
          waitingForDrain = false;
          pump();
        });
        return;
      }
    }
  };
  sub.notify = pump;
  const heartbeat = setInterval(() => !waitingForDrain && res.write(': heartbeat\n\n'), limits.heartbeatMs);
  const lifetime = setTimeout(() => end('the connection reached its maximum lifetime'), limits.maxLifetimeMs);
  function cleanUp() {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    live.unsubscribe(sub);
    forget();
  }
  end = (reason: string) => {
    if (ended) return;
    cleanUp();
    res.end(`event: reconnect\ndata: ${JSON.stringify({ reason, retryMs: limits.retryMs })}\n\n`);
  };
  req.on('close', cleanUp);
  res.on('error', cleanUp);
  pump();
}
