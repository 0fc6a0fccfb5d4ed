import pino from 'pino';
import { AUDIT_ID_PATTERN, encodeAuditCursor } from '../domain/audit-query';
import { domainErrorOf } from '../testing/domain-error-of';
import { anAuditEntry, InMemoryAuditLog } from '../testing/in-memory-audit.log';
import { AuditTrailUseCase, type AuditListRequest } from './audit-trail.use-case';
import type { AuditRecord } from './ports/audit-log.port';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const logger = pino({ level: 'silent' });

function trail(log = new InMemoryAuditLog(), config: { retentionDays?: number } = {}) {
  const sleeps: number[] = [];
  const useCase = new AuditTrailUseCase(
    { retentionDays: config.retentionDays ?? 400 },
    {
      log,
      logger,
      now: () => NOW,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  );
  return { useCase, log, sleeps };
}

/** 30 records, three to a second (ties broken by id), alternating actions and outcomes. */
async function seeded(): Promise<{ useCase: AuditTrailUseCase; records: AuditRecord[] }> {
  const { useCase, log } = trail();
  for (let i = 0; i < 30; i++) {
    await useCase.record(
      anAuditEntry({
        at: at(Math.floor(i / 3)),
        action: i % 2 === 0 ? 'key.create' : 'source.update',
        outcome: i % 5 === 0 ? 'denied' : 'success',
        status: i % 5 === 0 ? 403 : 201,
        target: { kind: 'key', id: `k${i % 4}` },
        actor: { keyId: i % 3 === 0 ? 'bbbbbbbbbbbb' : 'aaaaaaaaaaaa', label: null },
      }),
    );
  }
  return { useCase, records: log.records };
}

const newestFirst = (records: AuditRecord[]) =>
  [...records].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id);

async function walk(useCase: AuditTrailUseCase, request: Omit<AuditListRequest, 'cursor'>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await useCase.list({ ...request, ...(cursor ? { cursor } : {}) });
    seen.push(...page.records.map((r) => r.id));
    if (page.nextCursor === null) return seen;
    cursor = page.nextCursor;
  }
  throw new Error('cursor walk did not end');
}

describe('AuditTrailUseCase', () => {
  describe('record', () => {
    it('when an entry is recorded, then it gets a time-ordered id and is stored once', async () => {
      const { useCase, log } = trail();
      const record = await useCase.record(anAuditEntry({ at: at(1) }));
      expect(record.id).toMatch(AUDIT_ID_PATTERN);
      expect(record.id.startsWith(at(1).getTime().toString(36).padStart(9, '0'))).toBe(true);
      expect(log.records).toEqual([record]);
    });

    it('when the store fails twice, then the append is retried with the same id and lands once', async () => {
      const { useCase, log, sleeps } = trail();
      log.failNext = 2;
      const record = await useCase.record(anAuditEntry());
      expect(log.appendCalls).toBe(3);
      expect(sleeps).toEqual([100, 500]);
      expect(log.records.map((r) => r.id)).toEqual([record.id]);
    });

    it('when the store keeps failing, then it rejects after three retries', async () => {
      const { useCase, log, sleeps } = trail();
      log.failNext = 10;
      await expect(useCase.record(anAuditEntry())).rejects.toThrow('the store did not answer');
      expect(log.appendCalls).toBe(4);
      expect(sleeps).toEqual([100, 500, 2_000]);
      expect(log.records).toEqual([]);
    });
  });

  describe('list', () => {
    it('when walked page by page, then every record comes once, newest first, ties by id', async () => {
      const { useCase, records } = await seeded();
      expect(await walk(useCase, { filters: {}, limit: 4 })).toEqual(newestFirst(records));
    });

    it('when filtered, then each page holds only matching records and the walk misses none', async () => {
      const { useCase, records } = await seeded();
      const matching = records.filter(
        (r) =>
          r.action === 'key.create' &&
          r.outcome === 'success' &&
          r.actor.keyId === 'aaaaaaaaaaaa' &&
          r.at >= at(2) &&
          r.at < at(8),
      );
      expect(matching.length).toBeGreaterThan(3);
      const filters = {
        action: 'key.create',
        outcome: 'success' as const,
        actorKeyId: 'aaaaaaaaaaaa',
        from: at(2),
        to: at(8),
      };
      expect(await walk(useCase, { filters, limit: 2 })).toEqual(newestFirst(matching));
      const byTarget = await walk(useCase, { filters: { targetId: 'k1' }, limit: 3 });
      expect(byTarget).toEqual(newestFirst(records.filter((r) => r.target?.id === 'k1')));
    });

    it('when the last page is full, then nextCursor is null only when nothing follows', async () => {
      const { useCase } = await seeded();
      const page = await useCase.list({ filters: {}, limit: 30 });
      expect(page.records).toHaveLength(30);
      expect(page.nextCursor).toBeNull();
      expect((await useCase.list({ filters: {}, limit: 29 })).nextCursor).not.toBeNull();
    });

    it('when a cursor is sent with other filters, then it is refused naming the rule', async () => {
      const { useCase } = await seeded();
      const { nextCursor } = await useCase.list({ filters: { action: 'key.create' }, limit: 2 });
      const err = await domainErrorOf(
        useCase.list({ filters: { action: 'source.update' }, limit: 2, cursor: nextCursor! }),
      );
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.errors).toEqual([expect.objectContaining({ path: 'cursor', rule: 'cursor-not-issued' })]);
    });

    it('when a cursor is malformed or names no audit id, then it is refused', async () => {
      const { useCase } = await seeded();
      for (const cursor of ['not-a-cursor', encodeAuditCursor({ at: at(1), id: 'not an id' }, {})]) {
        const err = await domainErrorOf(useCase.list({ filters: {}, limit: 2, cursor }));
        expect(err.errors[0]).toMatchObject({ path: 'cursor', message: 'is not a cursor issued by this listing' });
      }
    });
  });

  describe('retention', () => {
    it('when swept, then records older than the retention go and the younger stay', async () => {
      const { useCase, log } = trail(new InMemoryAuditLog(), { retentionDays: 10 });
      const old = await useCase.record(anAuditEntry({ at: new Date(NOW.getTime() - 10 * 86_400_000 - 1) }));
      const young = await useCase.record(anAuditEntry({ at: new Date(NOW.getTime() - 10 * 86_400_000) }));
      expect(await useCase.sweep()).toBe(1);
      expect(log.records.map((r) => r.id)).toEqual([young.id]);
      expect(log.records.some((r) => r.id === old.id)).toBe(false);
      expect(await useCase.sweep()).toBe(0);
    });

    it('when the retention is 0, then nothing is ever swept', async () => {
      const { useCase, log } = trail(new InMemoryAuditLog(), { retentionDays: 0 });
      await useCase.record(anAuditEntry({ at: new Date(0) }));
      expect(await useCase.sweep()).toBe(0);
      expect(log.records).toHaveLength(1);
    });

    it('when retention starts, then it sweeps at once and every interval until stopped', async () => {
      jest.useFakeTimers();
      try {
        const log = new InMemoryAuditLog();
        const deleteBefore = jest.spyOn(log, 'deleteBefore');
        const { useCase } = trail(log);
        const retention = useCase.startRetention(1_000);
        expect(deleteBefore).toHaveBeenCalledTimes(1);
        jest.advanceTimersByTime(2_500);
        expect(deleteBefore).toHaveBeenCalledTimes(3);
        retention.stop();
        jest.advanceTimersByTime(5_000);
        expect(deleteBefore).toHaveBeenCalledTimes(3);
      } finally {
        jest.useRealTimers();
      }
    });
  });
});
