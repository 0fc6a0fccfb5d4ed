import type { ParsedArgs } from '../cli/cli-args';
import { parseStrict } from '../cli/strict-args';

export interface ChaosOptions {
  /** The scenario ids to run: all of the chosen set unless `--only` names some. */
  only: Set<number>;
  /** False with `--no-build`: dist/ must be current. */
  build: boolean;
  /** `--cluster`: the cluster scenarios on three brokers instead of the single-broker ones. */
  cluster: boolean;
}

/** `ids`: the scenario ids of each set, which `--only` may name. */
export function parseChaosArgs(
  argv: string[],
  ids: { single: readonly number[]; cluster: readonly number[] },
): ParsedArgs<ChaosOptions> {
  const parsed = parseStrict(argv, {
    cluster: { type: 'boolean' },
    only: { type: 'string' },
    'no-build': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (!parsed.values) return { help: false, error: parsed.error };
  const { cluster = false, only: list, 'no-build': noBuild = false, help } = parsed.values;
  if (help) return { help: true };
  const available = cluster ? ids.cluster : ids.single;
  const only = new Set(list === undefined ? available : list.split(',').map(Number));
  if ([...only].some((id) => !available.includes(id))) {
    const needCluster = ` (${Math.min(...ids.cluster)}-${Math.max(...ids.cluster)} need --cluster)`;
    return {
      help: false,
      error: `--only takes ids ${available.join(', ')}${cluster ? ' with --cluster' : needCluster}`,
    };
  }
  return { help: false, options: { only, build: !noBuild, cluster } };
}
