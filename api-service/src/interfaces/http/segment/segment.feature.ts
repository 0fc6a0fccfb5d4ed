import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { SEGMENT_CALL_TYPES, SEGMENT_CALLS, type SegmentCall } from '@uap/shared/contract';
import { z } from 'zod';
import type { IngestSegmentUseCase } from '../../../application/ingest-segment.use-case';
import type { BeyondSchemaRule } from '../../../domain/domain-error';
import {
  SEGMENT_CALL_SCHEMAS,
  SEGMENT_LIMITS,
  SegmentBatchSchema,
} from '../../../domain/segment/segment-message.schema';
import type { HttpFeature } from '../http-feature';
import { json, problem, rules, sourcePolicyResponses, UNAVAILABLE } from '../openapi/openapi-kit';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, ProblemDetailsSchema } from '../problem';
import {
  SEGMENT_ALL_PATHS,
  SEGMENT_ROUTES,
  SEGMENT_SHORT_PATHS,
  segmentRouter,
  type SegmentRouterOptions,
} from './segment.router';

const WarningsSchema = z
  .array(z.strictObject({ index: z.int().min(0), type: z.string(), message: z.string() }))
  .optional()
  .describe('Accepted, but worth fixing: a deprecated type, an unplanned one, metadata flagged against its schema');

const SegmentSuccessSchema = z
  .strictObject({ success: z.literal(true), warnings: WarningsSchema })
  .meta({ id: 'SegmentSuccess' });

const SegmentBatchProblemSchema = ProblemDetailsSchema.extend({
  accepted: z.int().min(0).optional().describe('How many messages of the batch are stored.'),
  refused: z.int().min(1).optional().describe('How many were refused; `errors` names each by index (batch.3.event).'),
  refusedIndexes: z.array(z.int().min(0)).optional().describe('Every refused message’s index, ascending.'),
  warnings: WarningsSchema,
}).meta({ id: 'SegmentBatchProblem' });

// What a schema-valid message can still be refused for; each refusal names one of these (hooks and clients read it).
const MESSAGE_RULES: BeyondSchemaRule[] = [
  'planned-type',
  'type-not-allowed',
  'segment-type-metadata',
  'segment-event-time',
  'metadata-content',
  'user-or-anonymous-id',
];
const RULES: Record<SegmentCall | 'batch', BeyondSchemaRule[]> = {
  track: ['segment-event-name', ...MESSAGE_RULES],
  page: MESSAGE_RULES,
  screen: MESSAGE_RULES,
  identify: MESSAGE_RULES,
  group: MESSAGE_RULES,
  alias: MESSAGE_RULES,
  batch: ['segment-event-name', ...MESSAGE_RULES],
};

const SUMMARIES: Record<SegmentCall, string> = {
  track: 'Segment track: an action the user took',
  page: 'Segment page: a page view',
  screen: 'Segment screen: a mobile app screen view',
  identify: 'Segment identify: who the user is (their traits)',
  group: 'Segment group: the user joined a group, company or account',
  alias: 'Segment alias: a previous id belongs to this user',
};

const TYPE_OF: Record<SegmentCall, string> = {
  track:
    'Its type: the activity type listing `event` in its eventNames, else `event` in UPPER_SNAKE; `properties` are ' +
    'its metadata.',
  page: `Stored as a ${SEGMENT_CALL_TYPES.page} activity; \`properties\` are its metadata.`,
  screen: `Stored as a ${SEGMENT_CALL_TYPES.screen} activity; \`properties\` are its metadata.`,
  identify:
    `Stored as an ${SEGMENT_CALL_TYPES.identify} activity; \`traits\` are its metadata. With both userId and ` +
    'anonymousId it links the visitor to the user.',
  group: `Stored as a ${SEGMENT_CALL_TYPES.group} activity; \`traits\` are its metadata.`,
  alias:
    `Stored as an ${SEGMENT_CALL_TYPES.alias} activity whose anonymousId is \`previousId\`: it links that id to ` +
    'the user.',
};

const COMMON_DESCRIPTION =
  'Segment’s HTTP Tracking API: point an SDK’s host here and send the write key (an API key with the ingest ' +
  'scope) as the HTTP Basic user name, as `writeKey` in the body, or as our Bearer or X-API-Key header; a body ' +
  '`writeKey` beside a header key must be the same key. Answers 200 `{"success":true}` only after the broker ' +
  'acknowledged the events. eventId = UUIDv5(messageId): a retry is stored once. The stored time is corrected ' +
  'for the device’s clock skew, receivedAt − (sentAt − (originalTimestamp ?? timestamp)); everything else sent ' +
  '(context, integrations, fields the spec does not name) is kept in the event’s `segment`, the write key excepted. ' +
  'A write key bound to a source stamps its sourceId on the events; a paused source is 403, and a message whose ' +
  'type the source may not send is refused like any other (rule type-not-allowed).';

/**
 * The Segment-compatible surface, `POST /v1/{track,page,screen,identify,group,alias,batch}`, documented from the
 * zod schemas the use case validates each message with. Its write key may come as HTTP Basic, hence the scheme.
 */
export function segmentFeature(segment: IngestSegmentUseCase, options: SegmentRouterOptions = {}): HttpFeature {
  return {
    routes: SEGMENT_ROUTES,
    writeKeyPaths: SEGMENT_ALL_PATHS,
    mount: (app) => app.use(segmentRouter(segment, options)),
    document: ({ registry, apiKeys, security, secured }) => {
      if (apiKeys) {
        registry.registerComponent('securitySchemes', 'writeKeyBasic', {
          type: 'http',
          scheme: 'basic',
          description: 'Segment’s write key: the API key as the user name, an empty password (/v1 only).',
        });
      }
      const segmentSecurity = apiKeys ? { security: [{ writeKeyBasic: [] }, ...(security.security ?? [])] } : {};
      const body = (schema: z.ZodType, limit: number, what: string) => ({
        description:
          `${what}, at most ${limit} bytes of JSON, read as JSON whatever the Content-Type says (browser SDKs send ` +
          'text/plain). May be sent with Content-Encoding gzip or deflate; the limit then applies to the inflated ' +
          'bytes.',
        required: true,
        content: { 'application/json': { schema } },
      });
      const errors = (refused: RouteConfig['responses'][number]): RouteConfig['responses'] => ({
        400: refused,
        413: problem(
          PROBLEMS.payloadTooLarge,
          `Body over ${SEGMENT_LIMITS.messageBytes} bytes (a call), over ${SEGMENT_LIMITS.batchBytes} bytes or ` +
            `${SEGMENT_LIMITS.batchMessages} messages (a batch), or a message of a batch over ` +
            `${SEGMENT_LIMITS.messageBytes} bytes; nothing is stored`,
        ),
        415: problem(
          PROBLEMS.unsupportedMediaType,
          'Body sent in a Content-Encoding other than gzip or deflate (then Accept-Encoding: gzip, deflate)',
        ),
        503: UNAVAILABLE,
        ...secured,
        ...(apiKeys ? sourcePolicyResponses({ typeNotAllowed: false }) : {}),
      });
      const ok = { description: 'Stored durably (acks=all)', content: json(SegmentSuccessSchema) };

      for (const call of SEGMENT_CALLS) {
        registry.registerPath({
          method: 'post',
          path: `/v1/${call}`,
          tags: ['segment'],
          operationId: `segment${call[0]!.toUpperCase()}${call.slice(1)}`,
          summary: SUMMARIES[call],
          description:
            `${TYPE_OF[call]}\n\n${COMMON_DESCRIPTION} A refused call stores nothing. Also served at ` +
            `\`${SEGMENT_SHORT_PATHS[`/v1/${call}`]}\`, the path Segment’s browser SDK (analytics.js) posts to.`,
          ...rules(...RULES[call]),
          ...segmentSecurity,
          request: { body: body(SEGMENT_CALL_SCHEMAS[call], SEGMENT_LIMITS.messageBytes, `One ${call} message`) },
          responses: {
            200: ok,
            ...errors(
              problem(
                PROBLEMS.validation,
                'The message was refused, or the body is no JSON; `errors` lists every rule',
              ),
            ),
          },
        });
      }
      registry.registerPath({
        method: 'post',
        path: '/v1/batch',
        tags: ['segment'],
        operationId: 'segmentBatch',
        summary: 'Segment batch: many calls at once, each with its type',
        description:
          'The batch’s `context` is merged under each message’s (the message’s values win) and its `sentAt` ' +
          'stands in for a message’s own. Each message is checked alone: the valid ones are stored and the ' +
          'refused ones are named by index in a 400 that says how many were stored (Segment would answer 200 and ' +
          `drop them unseen; SDKs do not retry a 400).\n\n${COMMON_DESCRIPTION} Also served at ` +
          `\`${SEGMENT_SHORT_PATHS['/v1/batch']}\`, where analytics.js sends its batches.`,
        ...rules(...RULES.batch),
        ...segmentSecurity,
        request: { body: body(SegmentBatchSchema, SEGMENT_LIMITS.batchBytes, 'A batch') },
        responses: {
          200: ok,
          ...errors({
            description:
              'Some messages were refused: `accepted` are stored, `refusedIndexes` and `errors` name the others. ' +
              'Or the batch itself is invalid or no JSON, and nothing is stored (problem type ' +
              'urn:uap:problem:validation-failed or malformed-json)',
            content: { [PROBLEM_CONTENT_TYPE]: { schema: SegmentBatchProblemSchema } },
          }),
        },
      });
    },
  };
}
