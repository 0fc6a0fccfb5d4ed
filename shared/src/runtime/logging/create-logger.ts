import pino, { type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export function createLogger(options: {
  name: string;
  level: LevelWithSilent;
  /** pretty formats in-process (synchronously, no worker thread), so no line is lost on exit. */
  format?: 'json' | 'pretty';
}): Logger {
  const settings = {
    name: options.name,
    level: options.level,
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
  };
  if (options.format !== 'pretty') return pino(settings);
  // Loaded only when asked for: JSON logs (production) never load pino-pretty and its dependencies.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pino(
    settings,
    pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }),
  );
}
