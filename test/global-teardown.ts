type Stoppable = { stop(): Promise<unknown> };

/** Stops Testcontainers started by global-setup. Local services stay up for the next run (`npm run services:down`). */
export default async function globalTeardown(): Promise<void> {
  const containers = (globalThis as { __containers?: Stoppable[] }).__containers ?? [];
  await Promise.all(containers.map((c) => c.stop()));
}
