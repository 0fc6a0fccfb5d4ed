import { stopLocalServices } from './support/local-services';

type Stoppable = { stop(): Promise<unknown> };
const globals = globalThis as { __containers?: Stoppable[]; __startedLocalServices?: boolean };

/**
 * Stops what global-setup started: Testcontainers, and the local Kafka and FerretDB when this run
 * started them (UAP_KEEP_SERVICES=1 keeps them for the next run). Services that were already running
 * stay up, and the run says so.
 */
export default async function globalTeardown(): Promise<void> {
  await Promise.all((globals.__containers ?? []).map((c) => c.stop()));
  if (globals.__startedLocalServices === undefined) return;
  if (globals.__startedLocalServices && process.env['UAP_KEEP_SERVICES'] !== '1') {
    await stopLocalServices();
    console.log(
      '\n[integration] stopped the local Kafka and FerretDB this run started (UAP_KEEP_SERVICES=1 keeps them)',
    );
  } else {
    console.log(
      '\n[integration] the local Kafka and FerretDB are still running (they were up before this run, or ' +
        'UAP_KEEP_SERVICES=1); stop them with: npm run services:down',
    );
  }
}
