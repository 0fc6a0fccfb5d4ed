import {
  ActivityTypeSchema,
  DEAD_LETTER_STATUSES,
  IsoDateTimeSchema,
  SourceIdSchema,
  UserIdSchema,
  payloadOf,
  type DeadLetterRecord,
} from '@uap/shared/contract';
import { Router } from 'express';
import { z } from 'zod';
import type { DeadLettersUseCase } from '../../../application/dead-letters.use-case';
import type { ReplayDeadLettersUseCase } from '../../../application/replay-dead-letters.use-case';
import {
  DEAD_LETTER_QUERY_LIMITS,
  LetterIdSchema,
  REASON_PATTERN,
  type DeadLetterFilters,
} from '../../../domain/dead-letter-query';
import { toFieldErrors } from '../../../domain/domain-error';
import { REPLAY_JOB_STATES, REPLAY_LIMITS, type ReplayJob, type ReplayRequest } from '../../../domain/replay-job';
import { auditTarget } from '../audit/audit.middleware';
import { jsonBody } from '../json-body.middleware';
import type { RouteSpec } from '../method-guard.middleware';
import { TYPE_FILTER_DESCRIPTION } from '../queries/activity-queries.router';
import {
  assertRange,
  dateParam,
  enumListParam,
  integerParam,
  invalid,
  once,
  parseQuery,
  stringParam,
} from '../query-params';

export const DEAD_LETTER_ROUTES: RouteSpec[] = [
  { path: '/api/v1/dead-letters', methods: ['GET'] },
  { path: '/api/v1/dead-letters/stats', methods: ['GET'] },
  { path: '/api/v1/dead-letters/replays', methods: ['POST'], audit: { POST: 'dead-letters.replay' } },
  {
    path: '/api/v1/dead-letters/replays/:jobId',
    methods: ['GET', 'DELETE'],
    audit: { DELETE: 'dead-letters.replay-cancel' },
  },
  { path: '/api/v1/dead-letters/:letterId', methods: ['GET'] },
];

const REPLAY_BODY_LIMIT_BYTES = 64 * 1024;
const JOB_ID = /^rj_[A-Za-z0-9_-]{12}$/;

const ReasonSchema = z.string().regex(REASON_PATTERN, 'must be a reason slug like schema-violation');
const StatusSchema = z.enum(DEAD_LETTER_STATUSES);
const statusParam = enumListParam('status', DEAD_LETTER_STATUSES);

const filterShape = {
  reason: stringParam('reason', ReasonSchema).meta({ description: 'Only letters with this dlq-reason.' }),
  type: stringParam('type', ActivityTypeSchema).meta({
    description: `Activity type of the payload. ${TYPE_FILTER_DESCRIPTION}`,
  }),
  userId: stringParam('userId', UserIdSchema).meta({ description: 'Only letters whose payload names this user.' }),
  sourceId: stringParam('sourceId', SourceIdSchema).meta({
    description: 'Only letters of events sent with an API key bound to this source (their source-id header).',
  }),
  status: statusParam.meta({
    description: `Statuses, repeated or comma-separated; any of ${DEAD_LETTER_STATUSES.join(', ')}.`,
  }),
  from: dateParam('from').meta({ description: 'Inclusive lower bound on failedAt (ISO-8601 with offset).' }),
  to: dateParam('to').meta({ description: 'Exclusive upper bound on failedAt (ISO-8601 with offset).' }),
};
const LIST_QUERY = z.strictObject({
  reason: filterShape.reason.optional(),
  type: filterShape.type.optional(),
  userId: filterShape.userId.optional(),
  sourceId: filterShape.sourceId.optional(),
  status: filterShape.status.optional(),
  from: filterShape.from.optional(),
  to: filterShape.to.optional(),
  limit: integerParam('limit', 1, DEAD_LETTER_QUERY_LIMITS.maxLimit)
    .optional()
    .meta({
      description: `Page size, 1-${DEAD_LETTER_QUERY_LIMITS.maxLimit} (default ${DEAD_LETTER_QUERY_LIMITS.defaultLimit}).`,
    }),
  cursor: once('cursor')
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9_-]+$/, 'cursor is not a cursor issued by this API')
    .optional()
    .meta({ description: 'page.nextCursor of the previous page; send the same filters with it.' }),
});
const STATS_QUERY = z.strictObject({ from: filterShape.from.optional(), to: filterShape.to.optional() });
const NO_QUERY = z.strictObject({});

export const ReplayRequestSchema = z
  .strictObject({
    filter: z
      .strictObject({
        reason: ReasonSchema.optional(),
        type: ActivityTypeSchema.optional(),
        userId: UserIdSchema.optional(),
        status: z.array(StatusSchema).min(1).max(3).optional(),
        from: IsoDateTimeSchema.optional(),
        to: IsoDateTimeSchema.optional(),
        letterIds: z.array(LetterIdSchema).min(1).max(REPLAY_LIMITS.maxLetterIds).optional(),
      })
      .default({})
      .describe('Which letters: the list filters, or letterIds (the only way to take parked letters).'),
    dryRun: z.boolean().default(false).describe('Re-validate and count only; nothing is published or changed.'),
    max: z.int().min(1).max(REPLAY_LIMITS.maxMax).optional().describe('Take at most this many letters.'),
    ratePerSec: z
      .int()
      .min(1)
      .max(REPLAY_LIMITS.maxRatePerSec)
      .default(REPLAY_LIMITS.defaultRatePerSec)
      .describe('Publishes per second at most.'),
  })
  .meta({ id: 'ReplayRequest' });

const SourceSchema = z.strictObject({
  topic: z.string().nullable(),
  partition: z.int().nullable(),
  offset: z.int().nullable(),
});
export const DeadLetterSummarySchema = z
  .strictObject({
    letterId: z.string(),
    reason: z.string(),
    error: z.string(),
    status: StatusSchema,
    replayCount: z.int(),
    failedAt: IsoDateTimeSchema,
    eventId: z.string().nullable(),
    userId: z.string().nullable(),
    type: z.string().nullable(),
    sourceId: z.string().nullable().describe('The source of the API key that sent the event, when it had one.'),
    source: SourceSchema,
    dlq: z.strictObject({ topic: z.string(), partition: z.int(), offset: z.int() }),
    payloadBytes: z.int(),
    replayedAt: IsoDateTimeSchema.nullable(),
    replayJob: z.string().nullable(),
  })
  .meta({ id: 'DeadLetterSummary' });
export const DeadLetterDetailSchema = DeadLetterSummarySchema.extend({
  key: z.string().nullable(),
  headers: z.array(z.strictObject({ name: z.string(), value: z.string() })),
  payload: z
    .strictObject({
      kept: z.boolean().describe('false when the payload was over 64 KB: read it at dlq.partition/dlq.offset'),
      encoding: z.enum(['json', 'utf8', 'base64']).nullable(),
      value: z.unknown().describe('The decoded JSON when it parses, else the text, else base64.'),
    })
    .describe('The raw value of the letter.'),
}).meta({ id: 'DeadLetter' });
export const DeadLetterListSchema = z
  .strictObject({
    data: z.array(DeadLetterSummarySchema),
    page: z.strictObject({ limit: z.int(), nextCursor: z.string().nullable(), hasMore: z.boolean() }),
  })
  .meta({ id: 'DeadLetterList' });
export const DeadLetterStatsSchema = z
  .strictObject({
    from: IsoDateTimeSchema.nullable(),
    to: IsoDateTimeSchema.nullable(),
    total: z.int(),
    byReason: z.record(z.string(), z.int()),
    byStatus: z.record(z.string(), z.int()),
    byReasonAndStatus: z.array(z.strictObject({ reason: z.string(), status: StatusSchema, count: z.int() })),
  })
  .meta({ id: 'DeadLetterStats' });
export const ReplayJobSchema = z
  .strictObject({
    jobId: z.string(),
    state: z.enum(REPLAY_JOB_STATES),
    dryRun: z.boolean(),
    request: z.unknown().describe('The replay request as accepted, with its defaults.'),
    counts: z.strictObject({
      scanned: z.int(),
      wouldPass: z.int(),
      passed: z.int().describe('Dry run: equals wouldPass. Otherwise: equals published.'),
      published: z.int(),
      skipped: z.int(),
      stillFailing: z.record(z.string(), z.int()),
    }),
    progress: z.record(z.string(), z.int()).describe('Per DLQ partition, the last offset handled.'),
    samples: z.array(z.strictObject({ letterId: z.string(), reason: z.string(), error: z.string() })),
    createdAt: IsoDateTimeSchema,
    updatedAt: IsoDateTimeSchema,
    finishedAt: IsoDateTimeSchema.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'ReplayJob' });

export const DEAD_LETTER_PARAMS = { list: LIST_QUERY, stats: STATS_QUERY, none: NO_QUERY } as const;

function toSummary(letter: DeadLetterRecord): z.input<typeof DeadLetterSummarySchema> {
  return {
    letterId: letter.letterId,
    reason: letter.reason,
    error: letter.error,
    status: letter.status,
    replayCount: letter.replayCount,
    failedAt: new Date(letter.failedAt).toISOString(),
    eventId: letter.eventId ?? null,
    userId: letter.userId ?? null,
    type: letter.type ?? null,
    sourceId: letter.sourceId ?? null,
    source: {
      topic: letter.sourceTopic ?? null,
      partition: letter.sourcePartition ?? null,
      offset: letter.sourceOffset ?? null,
    },
    dlq: { topic: letter.dlqTopic, partition: letter.dlqPartition, offset: letter.dlqOffset },
    payloadBytes: letter.payloadBytes,
    replayedAt: letter.replayedAt ? new Date(letter.replayedAt).toISOString() : null,
    replayJob: letter.replayJob ?? null,
  };
}

function toDetail(letter: DeadLetterRecord): z.input<typeof DeadLetterDetailSchema> {
  const raw = payloadOf(letter);
  let payload: z.input<typeof DeadLetterDetailSchema>['payload'] = { kept: false, encoding: null, value: null };
  if (raw !== undefined && letter.payloadEncoding === 'utf8') {
    const text = raw.toString('utf8');
    try {
      payload = { kept: true, encoding: 'json', value: JSON.parse(text) as unknown };
    } catch {
      payload = { kept: true, encoding: 'utf8', value: text };
    }
  } else if (raw !== undefined) {
    payload = { kept: true, encoding: 'base64', value: letter.payload };
  }
  return { ...toSummary(letter), key: letter.key, headers: letter.headers, payload };
}

export function toJobDto(job: ReplayJob): z.input<typeof ReplayJobSchema> {
  const { filter } = job.request;
  return {
    jobId: job.jobId,
    state: job.state,
    dryRun: job.request.dryRun,
    request: {
      ...job.request,
      filter: {
        ...filter,
        ...(filter.from ? { from: new Date(filter.from).toISOString() } : {}),
        ...(filter.to ? { to: new Date(filter.to).toISOString() } : {}),
      },
    },
    counts: {
      ...job.counts,
      passed: job.request.dryRun ? job.counts.wouldPass : job.counts.published,
    },
    progress: job.progress,
    samples: job.samples,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    finishedAt: job.finishedAt ? new Date(job.finishedAt).toISOString() : null,
    error: job.error ?? null,
  };
}

function toReplayRequest(body: unknown): ReplayRequest {
  const parsed = ReplayRequestSchema.safeParse(body);
  if (!parsed.success) throw invalid(toFieldErrors(parsed.error.issues));
  const { filter, dryRun, max, ratePerSec } = parsed.data;
  const from = filter.from === undefined ? undefined : new Date(filter.from);
  const to = filter.to === undefined ? undefined : new Date(filter.to);
  assertRange({ from, to }, 'filter.from');
  return {
    filter: {
      ...(filter.reason === undefined ? {} : { reason: filter.reason }),
      ...(filter.type === undefined ? {} : { type: filter.type }),
      ...(filter.userId === undefined ? {} : { userId: filter.userId }),
      ...(filter.status === undefined ? {} : { statuses: [...new Set(filter.status)] }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(filter.letterIds === undefined ? {} : { letterIds: [...new Set(filter.letterIds)] }),
    },
    dryRun,
    ...(max === undefined ? {} : { max }),
    ratePerSec,
  };
}

function pathParam<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid([{ path: name, message: parsed.error.issues[0]?.message ?? 'invalid' }]);
  return parsed.data;
}

const JobIdSchema = z.string().regex(JOB_ID, 'must be a replay job id like rj_…');

/** The dead-letter index and its replays; admin scope (the auth middleware decides by path). */
export function deadLettersRouter(deps: {
  deadLetters: DeadLettersUseCase;
  replays: ReplayDeadLettersUseCase;
}): Router {
  const router = Router();
  router.get('/api/v1/dead-letters', async (req, res) => {
    const { limit, cursor, status, ...rest } = parseQuery(
      LIST_QUERY,
      [...Object.keys(filterShape), 'limit', 'cursor'],
      req.query,
    );
    const filters: DeadLetterFilters = { ...rest, ...(status === undefined ? {} : { statuses: status }) };
    assertRange(filters);
    const page = await deps.deadLetters.list(filters, limit, cursor);
    res.json({ data: page.data.map(toSummary), page: page.page });
  });
  router.get('/api/v1/dead-letters/stats', async (req, res) => {
    const range = parseQuery(STATS_QUERY, ['from', 'to'], req.query);
    assertRange(range);
    const stats = await deps.deadLetters.stats(range);
    res.json({ from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null, ...stats });
  });
  router.post('/api/v1/dead-letters/replays', ...jsonBody(REPLAY_BODY_LIMIT_BYTES), async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const replay = toReplayRequest(req.body);
    // Not the filter: it may name a user.
    auditTarget(res, null, { dryRun: replay.dryRun, ratePerSec: replay.ratePerSec });
    const job = await deps.replays.start(replay);
    auditTarget(res, { kind: 'replay-job', id: job.jobId });
    res.status(202).location(`/api/v1/dead-letters/replays/${job.jobId}`).json(toJobDto(job));
  });
  router.get('/api/v1/dead-letters/replays/:jobId', async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    res.json(toJobDto(await deps.replays.get(pathParam(JobIdSchema, 'jobId', req.params.jobId))));
  });
  router.delete('/api/v1/dead-letters/replays/:jobId', async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const jobId = pathParam(JobIdSchema, 'jobId', req.params.jobId);
    auditTarget(res, { kind: 'replay-job', id: jobId });
    const job = await deps.replays.cancel(jobId);
    auditTarget(res, { kind: 'replay-job', id: jobId }, { state: job.state });
    res.json(toJobDto(job));
  });
  router.get('/api/v1/dead-letters/:letterId', async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    res.json(toDetail(await deps.deadLetters.get(pathParam(LetterIdSchema, 'letterId', req.params.letterId))));
  });
  return router;
}
