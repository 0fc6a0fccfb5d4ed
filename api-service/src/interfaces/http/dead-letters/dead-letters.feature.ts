import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { DeadLettersUseCase } from '../../../application/dead-letters.use-case';
import type { ReplayDeadLettersUseCase } from '../../../application/replay-dead-letters.use-case';
import type { HttpFeature } from '../http-feature';
import { ADMIN_FORBIDDEN, BAD_QUERY, json, problem, rules, toOpenApiPath, UNAVAILABLE } from '../openapi/openapi-kit';
import { PROBLEMS } from '../problem';
import {
  DEAD_LETTER_PARAMS,
  DEAD_LETTER_ROUTES,
  DeadLetterDetailSchema,
  DeadLetterListSchema,
  DeadLetterStatsSchema,
  deadLettersRouter,
  ReplayJobSchema,
  ReplayRequestSchema,
} from './dead-letters.router';

/** The dead-letter index and its replays (admin scope: raw payloads can hold personal data). */
export function deadLettersFeature(deps: {
  deadLetters: DeadLettersUseCase;
  replays: ReplayDeadLettersUseCase;
}): HttpFeature {
  return {
    routes: DEAD_LETTER_ROUTES,
    mount: (app) => app.use(deadLettersRouter(deps)),
    document: ({ registry, security, secured, apiKeys }) => {
      const admin = { tags: ['dead letters'], ...security };
      const adminErrors: RouteConfig['responses'] = {
        503: UNAVAILABLE,
        ...secured,
        ...(apiKeys ? { 403: ADMIN_FORBIDDEN } : {}),
      };
      const jobParams = z.object({ jobId: z.string().regex(/^rj_[A-Za-z0-9_-]{12}$/) });
      registry.registerPath({
        ...admin,
        method: 'get',
        path: '/api/v1/dead-letters',
        summary: 'List dead letters, newest first, with filters and cursor paging',
        ...rules('range-order', 'cursor-not-issued'),
        description: 'Raw payloads can hold personal data: admin scope only.',
        request: { query: DEAD_LETTER_PARAMS.list },
        responses: {
          200: {
            description: 'One page',
            content: json(DeadLetterListSchema),
            links: {
              GetDeadLetter: {
                operationId: 'getDeadLetter',
                parameters: { letterId: '$response.body#/data/0/letterId' },
              },
            },
          },
          400: BAD_QUERY,
          ...adminErrors,
        },
      });
      registry.registerPath({
        ...admin,
        method: 'get',
        path: '/api/v1/dead-letters/stats',
        summary: 'Dead letters per reason and per status',
        ...rules('range-order'),
        request: { query: DEAD_LETTER_PARAMS.stats },
        responses: {
          200: { description: 'Counts', content: json(DeadLetterStatsSchema) },
          400: BAD_QUERY,
          ...adminErrors,
        },
      });
      registry.registerPath({
        ...admin,
        method: 'get',
        path: toOpenApiPath('/api/v1/dead-letters/:letterId'),
        operationId: 'getDeadLetter',
        summary: 'One dead letter: payload (decoded when it parses), headers, error',
        request: {
          params: z.object({ letterId: z.string().regex(/^[0-9]{1,10}-[0-9]{1,19}$/) }),
          query: DEAD_LETTER_PARAMS.none,
        },
        responses: {
          200: { description: 'The letter', content: json(DeadLetterDetailSchema) },
          400: BAD_QUERY,
          404: problem(PROBLEMS.notFound, 'No letter with this id'),
          ...adminErrors,
        },
      });
      registry.registerPath({
        ...admin,
        method: 'post',
        path: '/api/v1/dead-letters/replays',
        summary: 'Start a replay (or a dry run) of the selected letters',
        ...rules('range-order'),
        description:
          'Each letter is re-validated with the current contract; valid ones are republished with their original ' +
          'key, eventId and headers (plus replay-job and replay-count) and marked replayed once the broker ' +
          'acknowledged. Stored exactly once through the worker’s eventId dedup, also when a job is resumed or run ' +
          'twice.',
        request: { query: DEAD_LETTER_PARAMS.none, body: { required: true, content: json(ReplayRequestSchema) } },
        responses: {
          202: {
            description: 'Started; Location points at the job',
            headers: { Location: { schema: { type: 'string' }, description: 'The job resource' } },
            content: json(ReplayJobSchema),
            links: {
              GetReplayJob: { operationId: 'getReplayJob', parameters: { jobId: '$response.body#/jobId' } },
              CancelReplayJob: { operationId: 'cancelReplayJob', parameters: { jobId: '$response.body#/jobId' } },
            },
          },
          400: problem(PROBLEMS.validation, 'Invalid request body'),
          409: problem(PROBLEMS.conflict, 'A running replay job has an overlapping filter'),
          413: problem(PROBLEMS.payloadTooLarge, 'Body over 64 KB'),
          415: problem(PROBLEMS.unsupportedMediaType, 'Body not sent as application/json'),
          ...adminErrors,
        },
      });
      registry.registerPath({
        ...admin,
        method: 'get',
        path: toOpenApiPath('/api/v1/dead-letters/replays/:jobId'),
        operationId: 'getReplayJob',
        summary: 'A replay job: state, counts, per-partition progress, samples of what still fails',
        request: { params: jobParams, query: DEAD_LETTER_PARAMS.none },
        responses: {
          200: { description: 'The job', content: json(ReplayJobSchema) },
          400: BAD_QUERY,
          404: problem(PROBLEMS.notFound, 'No such job'),
          ...adminErrors,
        },
      });
      registry.registerPath({
        ...admin,
        method: 'delete',
        path: toOpenApiPath('/api/v1/dead-letters/replays/:jobId'),
        operationId: 'cancelReplayJob',
        summary: 'Cancel a running replay job (letters not reached stay dead; none is lost)',
        request: { params: jobParams, query: DEAD_LETTER_PARAMS.none },
        responses: {
          200: { description: 'The job, cancelled', content: json(ReplayJobSchema) },
          400: BAD_QUERY,
          404: problem(PROBLEMS.notFound, 'No such job'),
          409: problem(PROBLEMS.conflict, 'The job has already ended'),
          ...adminErrors,
        },
      });
    },
  };
}
