import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ActivityTypeSchema, type ActivityType } from '@uap/shared/contract';

export const HELP = `Usage: npm run loadgen -- [options]

Sends realistic activity traffic to a running API and reports what happened to it.

Options:
  --url <url>            API base URL                                  (default http://127.0.0.1:3000)
  --users <n>            distinct users; a few are much more active     (default 1000)
  --mix <TYPE=w,...>     activity type weights, any type name (one registered at runtime is sent with empty metadata)
                                                                        (default PAGE_VIEW=50,SEARCH=25,CLICK=15,LOGIN=5,LOGOUT=5)
  --rate <n>             target events per second, 0 = as fast as possible (default 200)
  --duration <s>         how long to send, in seconds (1-3600)          (default 10)
  --batch-size <n>       events per batch request (via @uap/client)    (default 1, max 500)
  --concurrency <n>      requests in flight at once (1-256)             (default 8)
  --api-key <key>        sent as Authorization: Bearer when given
  --no-progress          no live progress bar (the default when stderr is not a terminal)
  -h, --help             show this help

Exit status: 0 when every event was accepted, 1 when any was rejected or failed, 2 on bad options.`;

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

const MixSchema = z.string().transform((raw, ctx) => {
  const weights = new Map<ActivityType, number>();
  for (const part of raw.split(',')) {
    const [type, weight] = part.split('=');
    const parsedType = ActivityTypeSchema.safeParse(type?.trim());
    const parsedWeight = z.coerce.number().positive().safeParse(weight);
    if (!parsedType.success || !parsedWeight.success) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" is not TYPE=weight with TYPE an activity type name (upper snake case, e.g. PAGE_VIEW)`,
      });
      return z.NEVER;
    }
    weights.set(parsedType.data, parsedWeight.data);
  }
  return [...weights.entries()];
});

export const LoadgenOptionsSchema = z.strictObject({
  url: z.url().default('http://127.0.0.1:3000'),
  users: positiveInt(10_000_000).default(1000),
  mix: MixSchema.prefault('PAGE_VIEW=50,SEARCH=25,CLICK=15,LOGIN=5,LOGOUT=5'),
  rate: z.coerce.number().int().min(0).max(1_000_000).default(200),
  duration: positiveInt(3600).default(10),
  batchSize: positiveInt(500).default(1),
  concurrency: positiveInt(256).default(8),
  apiKey: z.string().min(1).optional(),
  progress: z.boolean(),
});
export type LoadgenOptions = z.output<typeof LoadgenOptionsSchema>;

const FLAG_NAMES: Record<string, string> = { batchSize: 'batch-size', apiKey: 'api-key' };

export type ParsedArgs = { help: true } | { help: false; options: LoadgenOptions } | { help: false; error: string };

export function parseLoadgenArgs(argv: string[], stderrIsTty: boolean): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        users: { type: 'string' },
        mix: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        'api-key': { type: 'string' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { help: false, error: (err as Error).message };
  }
  if (values['help']) return { help: true };
  const { 'batch-size': batchSize, 'api-key': apiKey, 'no-progress': noProgress, help: _help, ...rest } = values;
  const result = LoadgenOptionsSchema.safeParse({
    ...rest,
    batchSize,
    apiKey,
    progress: stderrIsTty && !noProgress,
  });
  if (!result.success) {
    return {
      help: false,
      error: result.error.issues
        .map((i) => `--${FLAG_NAMES[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`)
        .join('\n'),
    };
  }
  return { help: false, options: result.data };
}
