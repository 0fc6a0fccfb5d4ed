import type { Logger } from '../logging/create-logger';

export interface LifecycleOptions {
  /** Past this, shutdown stops waiting and the process exits with 1. */
  shutdownTimeoutMs: number;
  /** How the process ends; tests pass their own. */
  exit?: (code: number) => void;
}

/**
 * One start-up and shutdown story for every process: each resource is registered as soon as it is open, and on
 * SIGTERM or SIGINT (exit 0), or an uncaught error (exit 1), they are closed in reverse order within a deadline. A
 * resource that fails to close is logged and the others still close, so the broker and the store see clean
 * disconnects; what was not finished is redelivered (the worker) or refused with 503 (the api).
 */
export class Lifecycle {
  private readonly resources: Array<{ name: string; close: () => Promise<unknown> | void }> = [];
  private stopping: Promise<void> | undefined;
  private readonly exit: (code: number) => void;

  constructor(
    private readonly logger: Logger,
    private readonly options: LifecycleOptions,
  ) {
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Closes `close` at shutdown, before everything registered earlier. */
  onStop(name: string, close: () => Promise<unknown> | void): void {
    this.resources.push({ name, close });
  }

  /** Signals stop the process cleanly; an uncaught exception or rejection is logged and stops it with exit 1. */
  handleProcessEvents(): void {
    process.once('SIGTERM', () => void this.stop('SIGTERM'));
    process.once('SIGINT', () => void this.stop('SIGINT'));
    process.on('uncaughtException', (err) => {
      this.logger.fatal({ err }, 'uncaught exception');
      void this.stop('uncaughtException', 1);
    });
    process.on('unhandledRejection', (err) => {
      this.logger.fatal({ err }, 'unhandled rejection');
      void this.stop('unhandledRejection', 1);
    });
  }

  /** Closes every resource, last registered first, then exits; a second call waits for the first. */
  stop(reason: string, exitCode = 0): Promise<void> {
    this.stopping ??= this.closeAll(reason, exitCode);
    return this.stopping;
  }

  private async closeAll(reason: string, exitCode: number): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    const forced = setTimeout(() => {
      this.logger.error({ timeoutMs: this.options.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      this.exit(1);
    }, this.options.shutdownTimeoutMs);
    forced.unref();
    for (const { name, close } of [...this.resources].reverse()) {
      try {
        await close();
      } catch (err) {
        this.logger.warn({ err, resource: name }, 'close failed');
      }
    }
    clearTimeout(forced);
    this.logger.info('stopped');
    this.exit(exitCode);
  }
}
