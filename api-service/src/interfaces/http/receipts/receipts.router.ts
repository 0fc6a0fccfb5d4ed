import { IsoDateTimeSchema } from '@uap/shared/contract';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type {
  ConsumerProgress,
  PartitionProgress,
  ProgressSnapshot,
} from '../../../application/ports/consumer-progress.port';
import { RECEIPT_LIMITS, type ReceiptStatus, type ReceiptsUseCase } from '../../../application/receipts.use-case';
import type { RouteSpec } from '../method-guard.middleware';
import { integerParam, invalid, parseQuery, stringParam } from '../query-params';

export const RECEIPT_ROUTES: RouteSpec[] = [
  { path: '/api/v1/receipts/:receipt', methods: ['GET'] },
  { path: '/api/v1/freshness', methods: ['GET'] },
];

export const CONSISTENCY_HEADERS = {
  token: 'X-Consistency-Token',
  maxWait: 'X-Consistency-Max-Wait-Ms',
  stale: 'X-Read-Stale',
  lag: 'X-Read-Lag',
  watermark: 'X-Read-Watermark',
} as const;

const RECEIPT_QUERY = z.strictObject({
  waitFor: stringParam('waitFor', z.enum(['final']))
    .optional()
    .meta({ description: 'final: long-poll until the status is final (not pending) or timeoutMs has passed.' }),
  timeoutMs: integerParam('timeoutMs', 0, RECEIPT_LIMITS.maxWaitMs)
    .optional()
    .meta({
      description: `How long to wait for a final status, at most ${RECEIPT_LIMITS.maxWaitMs} (default 5000); implies waitFor=final.`,
    }),
});
const NO_QUERY = z.strictObject({});
const DEFAULT_LONG_POLL_MS = 5_000;

export const ReceiptStatusSchema = z
  .strictObject({
    eventId: z.uuid(),
    status: z.enum(['pending', 'persisted', 'duplicate', 'dead_lettered']),
    acceptedAt: IsoDateTimeSchema,
    topic: z.string(),
    partition: z.int(),
    offset: z.int(),
    behind: z.int().optional().describe('pending: messages ahead of it on its partition not yet processed.'),
    persistedAt: IsoDateTimeSchema.optional().describe('persisted: when the worker stored it.'),
    storedFrom: z
      .strictObject({ partition: z.int(), offset: z.int() })
      .optional()
      .describe('duplicate: the position of the copy that was stored (an earlier resend or redelivery).'),
    reason: z.string().optional().describe('dead_lettered: the dlq-reason.'),
    deadLetterId: z.string().optional().describe('dead_lettered: GET /api/v1/dead-letters/{id} (admin scope).'),
    checkedAt: IsoDateTimeSchema.describe('When the consumer group’s progress was read.'),
  })
  .meta({ id: 'ReceiptStatus' });

const PartitionFreshnessSchema = z.strictObject({
  partition: z.int(),
  committed: z.int(),
  end: z.int(),
  lag: z.int(),
  watermark: IsoDateTimeSchema.nullable(),
  stalled: z
    .boolean()
    .describe(
      'The partition has lag and the group’s committed offset on it has not moved for longer than STALL_AFTER_MS, whichever worker owns it.',
    ),
  stalledSince: IsoDateTimeSchema.nullable().describe(
    'While stalled: when its committed offset was last seen to move (or lag was first seen at it); else null.',
  ),
});
export const FreshnessSchema = z
  .strictObject({
    at: IsoDateTimeSchema.describe('When the broker was asked.'),
    refreshMs: z.int().describe('The snapshot is refreshed this often; no read waits for a broker round trip.'),
    topic: z.string(),
    group: z.string(),
    lag: z.int().describe('Events accepted but not yet processed, over all partitions.'),
    watermark: IsoDateTimeSchema.nullable().describe(
      'Every event accepted before this time is processed; null when the oldest unprocessed event is older than the history this API keeps.',
    ),
    worst: PartitionFreshnessSchema.nullable(),
    stalled: z.array(z.int()).describe('The stalled partitions, longest stalled first.'),
    partitions: z.array(PartitionFreshnessSchema),
  })
  .meta({ id: 'Freshness' });

export const RECEIPT_PARAMS = { receipt: RECEIPT_QUERY, none: NO_QUERY } as const;

function toStatusDto(status: ReceiptStatus): z.input<typeof ReceiptStatusSchema> {
  return {
    eventId: status.eventId,
    status: status.status,
    acceptedAt: status.acceptedAt.toISOString(),
    topic: status.topic,
    partition: status.partition,
    offset: status.offset,
    ...(status.behind === undefined ? {} : { behind: status.behind }),
    ...(status.persistedAt ? { persistedAt: status.persistedAt.toISOString() } : {}),
    ...(status.storedFrom ? { storedFrom: status.storedFrom } : {}),
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    ...(status.deadLetterId === undefined ? {} : { deadLetterId: status.deadLetterId }),
    checkedAt: status.checkedAt.toISOString(),
  };
}

function toPartitionDto(p: PartitionProgress): z.input<typeof PartitionFreshnessSchema> {
  return {
    partition: p.partition,
    committed: p.committed,
    end: p.end,
    lag: p.lag,
    watermark: p.watermark?.toISOString() ?? null,
    stalled: p.stalledSince !== null,
    stalledSince: p.stalledSince?.toISOString() ?? null,
  };
}

function toFreshnessDto(snapshot: ProgressSnapshot, refreshMs: number): z.input<typeof FreshnessSchema> {
  const worst = [...snapshot.partitions].sort(
    (a, b) => (a.watermark?.getTime() ?? -Infinity) - (b.watermark?.getTime() ?? -Infinity) || b.lag - a.lag,
  )[0];
  const stalled = snapshot.partitions
    .filter((p) => p.stalledSince !== null)
    .sort((a, b) => a.stalledSince!.getTime() - b.stalledSince!.getTime() || a.partition - b.partition);
  return {
    at: snapshot.at.toISOString(),
    refreshMs,
    topic: snapshot.topic,
    group: snapshot.group,
    lag: snapshot.lag,
    watermark: snapshot.watermark?.toISOString() ?? null,
    worst: worst === undefined ? null : toPartitionDto(worst),
    stalled: stalled.map((p) => p.partition),
    partitions: snapshot.partitions.map(toPartitionDto),
  };
}

export interface ReceiptsHttpDeps {
  receipts: ReceiptsUseCase;
  progress: ConsumerProgress;
  refreshMs: number;
}

/** GET /api/v1/receipts/{receipt} and GET /api/v1/freshness (read scope). */
export function receiptsRouter(deps: ReceiptsHttpDeps): Router {
  const router = Router();
  router.get('/api/v1/receipts/:receipt', async (req, res) => {
    const query = parseQuery(RECEIPT_QUERY, ['waitFor', 'timeoutMs'], req.query);
    // A timeout only means something for a wait, so it asks for one: the rule needs no second field.
    const waits = query.waitFor === 'final' || query.timeoutMs !== undefined;
    const waitMs = waits ? (query.timeoutMs ?? DEFAULT_LONG_POLL_MS) : 0;
    res.json(toStatusDto(await deps.receipts.status(String(req.params['receipt']), waitMs)));
  });
  router.get('/api/v1/freshness', async (req, res) => {
    parseQuery(NO_QUERY, [], req.query);
    const snapshot = deps.progress.current() ?? (await deps.receipts.currentProgress());
    res.json(toFreshnessDto(snapshot, deps.refreshMs));
  });
  return router;
}

/**
 * On every GET read: with X-Consistency-Token (a receipt or a batch's token), first wait until the
 * worker group has processed past it, at most X-Consistency-Max-Wait-Ms (default 2 s, at most 10 s),
 * and say X-Read-Stale: true if the time ran out; then X-Read-Lag and X-Read-Watermark from the
 * shared snapshot (no broker round trip of its own).
 */
export function readFreshness(deps: Omit<ReceiptsHttpDeps, 'refreshMs'>): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const tokenText = req.get(CONSISTENCY_HEADERS.token);
    // Checked with or without a token: a header the server would ignore is still a malformed request.
    const waitText = req.get(CONSISTENCY_HEADERS.maxWait);
    const waitMs = waitText === undefined ? RECEIPT_LIMITS.defaultConsistencyWaitMs : Number(waitText);
    if (!/^[0-9]{1,5}$/.test(waitText ?? '0') || waitMs > RECEIPT_LIMITS.maxWaitMs) {
      throw invalid([
        { path: CONSISTENCY_HEADERS.maxWait, message: `must be a whole number of ms, 0-${RECEIPT_LIMITS.maxWaitMs}` },
      ]);
    }
    if (tokenText !== undefined) {
      const token = deps.receipts.decodeToken(tokenText);
      const caughtUp = await deps.receipts.awaitProcessed(token, waitMs);
      res.setHeader(CONSISTENCY_HEADERS.stale, String(!caughtUp));
    }
    // The progress poller pauses while nothing asks: the first read after a pause waits for one snapshot.
    const snapshot = deps.progress.current() ?? (await deps.progress.next().catch(() => undefined));
    if (snapshot) {
      res.setHeader(CONSISTENCY_HEADERS.lag, String(snapshot.lag));
      res.setHeader(CONSISTENCY_HEADERS.watermark, snapshot.watermark?.toISOString() ?? 'unknown');
    }
    next();
  };
}
