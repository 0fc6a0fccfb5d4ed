import { EventIdSchema } from '@uap/shared/contract';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import type { HttpFeature } from '../http-feature';
import {
  json,
  jsonSchemaOf,
  problem,
  ReceiptTokenSchema,
  rules,
  sourcePolicyResponses,
  UNAVAILABLE,
  type ReferenceObject,
  type SchemaObject,
} from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import type { SourceLookup } from '../request-source';
import { ACTIVITY_INGEST_ROUTES, activitiesRouter, type BodyLimits } from './activities.router';
import { registerActivityInput } from './activity-input.openapi';

const WarningsSchema = z
  .array(
    z.strictObject({
      index: z.int().min(0).describe('Index of the event in the batch (0 for a single event)'),
      type: z.string(),
      message: z.string(),
    }),
  )
  .optional()
  .describe('Accepted, but worth fixing: a deprecated type, an unplanned one, metadata flagged against its schema');
const SingleAcceptedSchema = z
  .strictObject({
    eventId: EventIdSchema,
    status: z.literal('accepted'),
    receipt: ReceiptTokenSchema,
    warnings: WarningsSchema,
  })
  .meta({ id: 'SingleAccepted' });
const BatchAcceptedSchema = z
  .strictObject({
    accepted: z.int().min(1),
    eventIds: z.array(EventIdSchema),
    receipts: z.array(ReceiptTokenSchema).describe('One per event, in the order of eventIds.'),
    consistencyToken: z
      .string()
      .describe('The highest offset per partition this request touched: send it as X-Consistency-Token on a read.'),
    warnings: WarningsSchema,
  })
  .meta({ id: 'BatchAccepted' });
// The answers of an api that issues no receipts (RECEIPTS_ENABLED=false): the document states what this one sends.
const SingleAcceptedWithoutReceiptSchema = SingleAcceptedSchema.omit({ receipt: true }).meta({
  id: 'SingleAcceptedWithoutReceipt',
});
const BatchAcceptedWithoutReceiptsSchema = BatchAcceptedSchema.omit({ receipts: true }).meta({
  id: 'BatchAcceptedWithoutReceipts',
});

/**
 * POST /api/v1/activities and /batch: 202 only after the broker acknowledged the events. The bodies are
 * documented from the catalog the use case validates with, as it is when the document is built: one variant
 * per planned type.
 */
export function ingestFeature(ingest: IngestActivityUseCase, limits: BodyLimits, sourceOf?: SourceLookup): HttpFeature {
  let batchBody: SchemaObject | undefined;
  return {
    routes: ACTIVITY_INGEST_ROUTES,
    mount: (app) => app.use('/api/v1/activities', activitiesRouter(ingest, limits, sourceOf)),
    document: ({ registry, apiKeys, security, secured }) => {
      const input = registerActivityInput(registry, ingest.types);
      // The use case's own batch schema, so the document shows the limits this process enforces; its
      // events are the registry's variants. It does not change with the registry: rendered once.
      batchBody ??= jsonSchemaOf(ingest.batch);
      const ingestBody = (schema: SchemaObject | ReferenceObject, limit: number) => ({
        description:
          `JSON, at most ${limit} bytes. May be sent with Content-Encoding: gzip (x-gzip); the limit then applies to ` +
          'the decompressed bytes, and inflation stops with 413 the moment they pass it. Any other encoding is 415.',
        required: true,
        content: { 'application/json': { schema } },
      });
      const ingestErrors: RouteConfig['responses'] = {
        400: problem(
          PROBLEMS.validation,
          'Invalid event(s), malformed JSON or corrupt gzip; `errors` lists every invalid field',
        ),
        413: problem(PROBLEMS.payloadTooLarge, 'Body over the byte limit, compressed or decompressed'),
        415: problem(
          PROBLEMS.unsupportedMediaType,
          'Body not sent as application/json, or in a Content-Encoding other than gzip (then Accept-Encoding: gzip)',
        ),
        503: UNAVAILABLE,
        ...secured,
        ...(apiKeys ? sourcePolicyResponses({ typeNotAllowed: true }) : {}),
      };
      // Links to features that may not be mounted: buildOpenApiDocument drops those whose operation is absent.
      const singleLinks = {
        ...(ingest.issuesReceipts
          ? { GetReceipt: { operationId: 'getReceipt', parameters: { receipt: '$response.body#/receipt' } } }
          : {}),
        GetActivity: { operationId: 'getActivity', parameters: { eventId: '$response.body#/eventId' } },
      };
      registry.registerPath({
        method: 'post',
        path: '/api/v1/activities',
        tags: ['ingest'],
        summary: 'Ingest one activity',
        ...rules('future-occurred-at', 'metadata-content', 'planned-type', 'type-not-allowed', 'user-or-anonymous-id'),
        description:
          'Answers 202 only after the broker acknowledged the event. Resend with the same eventId to retry safely. ' +
          'An API key bound to a source stamps its sourceId on the event, and that source’s policy applies.',
        ...security,
        request: { body: ingestBody(input, limits.singleBytes) },
        responses: {
          202: ingest.issuesReceipts
            ? {
                description: 'Accepted and durable; Location points at its receipt',
                headers: { Location: { schema: { type: 'string' }, description: '/api/v1/receipts/{receipt}' } },
                content: json(SingleAcceptedSchema),
                links: singleLinks,
              }
            : {
                description: 'Accepted and durable',
                content: json(SingleAcceptedWithoutReceiptSchema),
                links: singleLinks,
              },
          ...ingestErrors,
        },
      });
      registry.registerPath({
        method: 'post',
        path: '/api/v1/activities/batch',
        tags: ['ingest'],
        summary: 'Ingest a batch of activities (all or nothing)',
        ...rules('future-occurred-at', 'metadata-content', 'planned-type', 'type-not-allowed', 'user-or-anonymous-id'),
        description:
          'One invalid event rejects the whole batch; a valid batch is published in one acknowledged send. An API key ' +
          'bound to a source stamps its sourceId on every event, and that source’s policy applies.',
        ...security,
        request: { body: ingestBody(withEvents(batchBody, input), limits.batchBytes) },
        responses: {
          202: {
            description: 'All accepted and durable',
            content: json(ingest.issuesReceipts ? BatchAcceptedSchema : BatchAcceptedWithoutReceiptsSchema),
            ...(ingest.issuesReceipts
              ? {
                  links: {
                    GetFirstReceipt: {
                      operationId: 'getReceipt',
                      parameters: { receipt: '$response.body#/receipts/0' },
                    },
                  },
                }
              : {}),
          },
          ...ingestErrors,
        },
      });
    },
  };
}

function withEvents(batch: SchemaObject, input: ReferenceObject): SchemaObject {
  const events = batch.properties?.['events'];
  if (!events || !('type' in events) || events.type !== 'array') {
    throw new Error('the batch schema has no events array');
  }
  return { ...batch, properties: { ...batch.properties, events: { ...events, items: input } } };
}
