import { setTimeout as sleep } from 'node:timers/promises';
import { UapHttpError } from '@uap/client';
import { apiTransport, failureLines, isNoAnswer } from '../cli/cli-api';
import type { CliIo } from '../cli/cli-io';
import { EXIT } from '../cli/exit-codes';
import { DlqClient, type LetterStats, type ReplayBody } from './dlq-client';
import {
  formatJobSummary,
  formatLetter,
  formatStats,
  letterTableHeader,
  letterTableRows,
  listFooter,
  replayExitCode,
} from './dlq-format';
import type { DlqCommand, DlqOptions } from './dlq-options';
import { expectedTotal, progressBar, progressLine, progressView, statsHelp } from './dlq-progress';

export interface DlqRunDeps {
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
  pollMs?: number;
  plainProgressEveryMs?: number;
  /** How long the job may stay unreachable (an API restart) before giving up on watching it. */
  pollGiveUpMs?: number;
  now?: () => number;
}

type Replay = Extract<DlqCommand, { name: 'replay' }>;

const KEY_NEEDED = 'dead letters need an API key with the admin scope';

/** Runs one command against the API; resolves to the process exit code. */
export async function runDlq(options: DlqOptions, io: CliIo, deps: DlqRunDeps = {}): Promise<number> {
  const client = new DlqClient(apiTransport(options, { requestTimeoutMs: 30_000 }), deps.signal);
  const { command } = options;
  try {
    switch (command.name) {
      case 'list':
        return await list(client, command, options.json, io);
      case 'show': {
        const letter = await client.show(command.letterId);
        io.out(options.json ? JSON.stringify(letter, null, 2) : formatLetter(letter));
        return EXIT.ok;
      }
      case 'stats': {
        const stats = await client.stats({ from: command.from, to: command.to });
        io.out(options.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
        return EXIT.ok;
      }
      case 'replay':
        return await new ReplayWatch(client, command, options, io, deps).run();
    }
  } catch (err) {
    if (deps.signal?.aborted) {
      io.err('dlq: interrupted');
      return EXIT.interrupted;
    }
    const lines = failureLines('dlq', err, options, KEY_NEEDED);
    if (lines === undefined) throw err;
    io.err(lines.join('\n'));
    return EXIT.error;
  }
}

async function list(
  client: DlqClient,
  command: Extract<DlqCommand, { name: 'list' }>,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const first = await client.list(command.filter, { limit: command.limit, cursor: command.cursor });
  if (!command.all) {
    if (json) io.out(JSON.stringify(first, null, 2));
    else {
      io.out(
        [
          letterTableHeader(),
          ...letterTableRows(first.data),
          listFooter(first.data.length, first.page.nextCursor),
        ].join('\n'),
      );
    }
    return EXIT.ok;
  }
  // --all streams page after page: one JSON document (or one table) however many letters there are.
  let page = first;
  let shown = 0;
  io.out(json ? '{"data":[' : letterTableHeader());
  for (;;) {
    if (json) {
      if (page.data.length > 0)
        io.out(page.data.map((l, i) => `${shown + i > 0 ? ',' : ''}${JSON.stringify(l)}`).join('\n'));
    } else if (page.data.length > 0) io.out(letterTableRows(page.data).join('\n'));
    shown += page.data.length;
    if (!page.page.hasMore || !page.page.nextCursor) break;
    page = await client.list(command.filter, { limit: command.limit, cursor: page.page.nextCursor });
  }
  io.out(
    json
      ? `],"page":${JSON.stringify({ limit: page.page.limit, nextCursor: null, hasMore: false })}}`
      : listFooter(shown, null),
  );
  return EXIT.ok;
}

/** Starts a replay job, then watches it until it is no longer running. */
class ReplayWatch {
  private readonly now: () => number;
  private jobId: string | undefined;

  constructor(
    private readonly client: DlqClient,
    private readonly command: Replay,
    private readonly options: DlqOptions,
    private readonly io: CliIo,
    private readonly deps: DlqRunDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  async run(): Promise<number> {
    try {
      return await this.watch();
    } catch (err) {
      if (this.jobId === undefined || !this.deps.signal?.aborted) throw err;
      this.io.progress.end();
      this.io.err(this.interruptedNote(this.jobId));
      return EXIT.interrupted;
    }
  }

  private async watch(): Promise<number> {
    const { command, io } = this;
    const scope = { filter: command.filter, letterIds: command.letterIds, max: command.max };
    const total = expectedTotal(scope, statsHelp(scope) ? await this.statsFor() : undefined);
    let job = await this.client.startReplay(this.body());
    this.jobId = job.jobId;
    io.err(`dlq: replay job ${job.jobId} started${job.dryRun ? ' (dry run)' : ''}`);
    const startedAt = this.now();
    let lastLineAt = startedAt;
    let unreachableSince: number | undefined;
    while (job.state === 'running') {
      await sleep(this.deps.pollMs ?? 500, undefined, this.deps.signal ? { signal: this.deps.signal } : {});
      try {
        job = await this.client.job(job.jobId);
        unreachableSince = undefined;
      } catch (err) {
        if (!isTransient(err)) throw err;
        // The API may be restarting; the job resumes there on its own, so keep watching for a while.
        unreachableSince ??= this.now();
        if (this.now() - unreachableSince > (this.deps.pollGiveUpMs ?? 60_000)) throw err;
        continue;
      }
      const view = progressView(job, (this.now() - startedAt) / 1000, total);
      if (io.progress.tty) {
        io.progress.show(progressBar(job, view));
      } else if (this.now() - lastLineAt >= (this.deps.plainProgressEveryMs ?? 2000) || job.state !== 'running') {
        io.progress.show(progressLine(job, view));
        lastLineAt = this.now();
      }
    }
    io.progress.end();
    io.out(this.options.json ? JSON.stringify(job, null, 2) : formatJobSummary(job));
    return replayExitCode(job);
  }

  private body(): ReplayBody {
    const { filter, letterIds, dryRun, max, rate } = this.command;
    return {
      filter: { ...filter, ...(letterIds ? { letterIds } : {}) },
      dryRun,
      ...(max === undefined ? {} : { max }),
      ...(rate === undefined ? {} : { ratePerSec: rate }),
    };
  }

  /** The stats only feed the ETA: any failure means no ETA, never a failed replay. */
  private async statsFor(): Promise<LetterStats | undefined> {
    try {
      return await this.client.stats({ from: this.command.filter.from, to: this.command.filter.to });
    } catch (err) {
      if (this.deps.signal?.aborted) throw err;
      return undefined;
    }
  }

  private interruptedNote(jobId: string): string {
    const url = this.client.urlOf(this.client.jobPath(jobId));
    const key = this.options.key ? ` -H 'x-api-key: …'` : '';
    return [
      `dlq: interrupted. Replay job ${jobId} keeps running on the server.`,
      `  watch it:  curl -s ${url}${key}`,
      `  cancel it: curl -s -X DELETE ${url}${key}   (letters it has not reached stay dead)`,
    ].join('\n');
  }
}

function isTransient(err: unknown): boolean {
  return isNoAnswer(err) || (err instanceof UapHttpError && err.retriable);
}
