import { z } from 'zod';
import type { HttpFeature } from '../http-feature';
import { BAD_QUERY, json, problem, rules } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  activityStreamRouter,
  STREAM_PARAMS,
  STREAM_PATH,
  STREAM_ROUTES,
  StreamTicketSchema,
  type StreamHttpDeps,
} from './activity-stream.router';

/** One Server-Sent Event of the live stream, as a client's parser sees it (comments are not events). */
const StreamEventSchema = z
  .strictObject({
    event: z.enum(['activity', 'dropped', 'reset', 'reconnect']),
    id: z.string().optional().describe('activity and reset: the resume position (send it back as Last-Event-ID)'),
    data: z
      .string()
      .describe(
        'JSON. activity: an Activity (as the list shows it, without persistedAt); dropped: {count}; ' +
          'reset: {reason}; reconnect: {reason, retryMs}',
      ),
    retry: z.int().min(0).optional().describe('The reconnect delay hint, in ms'),
  })
  .meta({ id: 'StreamEvent' });

/** The live stream (SSE) and the single-use tickets browsers open it with. */
export function streamFeature(deps: StreamHttpDeps): HttpFeature {
  return {
    routes: STREAM_ROUTES,
    mount: (app) => app.use(activityStreamRouter(deps)),
    document: ({ registry, security, secured }) => {
      registry.registerPath({
        method: 'get',
        path: STREAM_PATH,
        tags: ['stream'],
        summary:
          'Live activities as Server-Sent Events, with the list’s userId, anonymousId and type filters; resumable',
        ...rules('token-not-issued', 'type-count-cap'),
        description:
          'Events: `activity` (data: the same JSON as the list; `id:` is a resume token), `dropped` (data: {count}) ' +
          'when this client fell behind its queue, `reset` when the resume position is older than the window (reload ' +
          'with the list API; the stream continues live), `reconnect` at the end of the connection’s lifetime or on ' +
          'shutdown. Comments every 15 s keep it alive; `retry:` hints the reconnect delay. Resume with the ' +
          'Last-Event-ID header (or lastEventId): no gap, no repeat, within at least the last 10,000 events or 60 s ' +
          'while the stream is read, and from the topic itself (its retention) once nobody was subscribed and it ' +
          'stopped reading. Browsers authenticate with ?ticket= from POST /api/v1/stream-tickets; a key is never ' +
          'accepted in the URL. from, to, cursor, page and limit are 400 here.',
        ...security,
        request: { query: STREAM_PARAMS.stream },
        responses: {
          200: {
            description: 'The event stream; the schema is that of one event (its fields as parsed by EventSource)',
            content: { 'text/event-stream': { schema: StreamEventSchema } },
          },
          400: BAD_QUERY,
          429: problem(
            PROBLEMS.tooManyRequests,
            'Too many open streams, in all or for this key; retry after Retry-After',
          ),
          503: problem(
            PROBLEMS.unavailable,
            'The stream could not start reading the topic (the broker is down), or the server is shutting down; ' +
              'retry after Retry-After',
          ),
          ...secured,
        },
      });
      registry.registerPath({
        method: 'post',
        path: '/api/v1/stream-tickets',
        tags: ['stream'],
        summary: 'A single-use ticket to open the live stream from a browser (60 s to connect)',
        ...security,
        request: { query: STREAM_PARAMS.none },
        responses: {
          201: { description: 'The ticket', content: json(StreamTicketSchema) },
          400: BAD_QUERY,
          ...secured,
        },
      });
    },
  };
}
