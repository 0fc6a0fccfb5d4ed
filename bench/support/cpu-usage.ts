import { readdirSync, readFileSync } from 'node:fs';

/** Which process a /proc entry is, by its command line; unnamed processes are not counted. */
const ROLES: [string, (cmdline: string) => boolean][] = [
  ['api', (c) => c.includes('api-service/dist/main.js')],
  ['worker', (c) => c.includes('worker-service/dist/main.js')],
  ['kafka', (c) => c.includes('kafka.Kafka')],
  ['ferretdb', (c) => c.includes('ferretdb')],
  ['postgres', (c) => c.startsWith('postgres:') || c.includes('/bin/postgres ')],
  ['bare express', (c) => c.includes('bench/bare-server.ts')],
  ['stream subscriber', (c) => c.includes('bench/stream-subscriber.ts')],
  ['bench client', (c) => c.includes('bench/bench.ts')],
];

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by each role's processes, read from /proc. Empty off Linux. */
export function cpuSecondsByRole(): Map<string, number> {
  const totals = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return totals;
  }
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const role = ROLES.find(([, matches]) => matches(cmdline))?.[0];
      if (!role) continue;
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      totals.set(role, (totals.get(role) ?? 0) + ticks / TICKS_PER_SECOND);
    } catch {
      // the process ended between listing and reading
    }
  }
  return totals;
}

/** CPU used by each role between two snapshots, as a share of one core over `wallMs`. */
export function coresUsed(
  before: Map<string, number>,
  after: Map<string, number>,
  wallMs: number,
): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [role, seconds] of after) {
    const delta = seconds - (before.get(role) ?? 0);
    if (delta > 0) used[role] = Math.round((delta / (wallMs / 1000)) * 100) / 100;
  }
  return used;
}
