import type { LetterDetail, LetterStats, LetterSummary, ReplayJobView } from './dlq-client';

/** Test fixture builders for the API's dead-letter documents. */
export function aLetter(overrides: Partial<LetterSummary> = {}): LetterSummary {
  return {
    letterId: '0-42',
    reason: 'schema-violation',
    error: 'type: Invalid option: expected one of "LOGIN"|"LOGOUT"',
    status: 'dead',
    replayCount: 0,
    failedAt: '2026-11-28T09:00:00.000Z',
    eventId: '5b0e8c1e-8d3c-4f57-9a43-1f1d1a6f3c11',
    userId: 'alice',
    type: null,
    source: { topic: 'user-activities', partition: 3, offset: 1187 },
    dlq: { topic: 'user-activities.dlq', partition: 0, offset: 42 },
    payloadBytes: 61,
    replayedAt: null,
    replayJob: null,
    ...overrides,
  };
}

export function aLetterDetail(overrides: Partial<LetterDetail> = {}): LetterDetail {
  return {
    ...aLetter(),
    key: 'alice',
    headers: [
      { name: 'dlq-reason', value: 'schema-violation' },
      { name: 'source-topic', value: 'user-activities' },
    ],
    payload: { kept: true, encoding: 'json', value: { userId: 'alice', type: 'REFUND' } },
    ...overrides,
  };
}

export function someStats(rows: Array<[reason: string, status: string, count: number]>): LetterStats {
  const byReason: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  for (const [reason, status, count] of rows) {
    byReason[reason] = (byReason[reason] ?? 0) + count;
    byStatus[status] = (byStatus[status] ?? 0) + count;
  }
  return {
    from: null,
    to: null,
    total: rows.reduce((sum, [, , count]) => sum + count, 0),
    byReason,
    byStatus,
    byReasonAndStatus: rows.map(([reason, status, count]) => ({ reason, status, count })),
  };
}

type JobOverrides = Partial<Omit<ReplayJobView, 'counts'>> & { counts?: Partial<ReplayJobView['counts']> };

export function aJob(overrides: JobOverrides = {}): ReplayJobView {
  const { counts, ...rest } = overrides;
  const job: ReplayJobView = {
    jobId: 'rj_AbCdEfGhIjKl',
    state: 'running',
    dryRun: false,
    counts: { scanned: 0, wouldPass: 0, passed: 0, published: 0, skipped: 0, stillFailing: {}, ...counts },
    progress: {},
    samples: [],
    createdAt: '2026-11-28T10:00:00.000Z',
    updatedAt: '2026-11-28T10:00:00.000Z',
    finishedAt: null,
    error: null,
    ...rest,
  };
  return job;
}
