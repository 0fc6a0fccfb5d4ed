import pino from 'pino';
import { createApp, type AppConfig } from '../app';
import { IngestActivityUseCase, type IngestConfig } from '../application/ingest-activity.use-case';
import type { ActivityPublisher } from '../application/ports/activity-publisher.port';
import { ReceiptCodec } from '../domain/receipt';
import { TokenSigner } from '../domain/token-signer';
import type { ReadinessCheck } from '../interfaces/http/health.router';

export const TEST_APP_CONFIG: AppConfig = {
  trustProxy: false,
  bodyLimits: { singleBytes: 64 * 1024, batchBytes: 1024 * 1024 },
  retryAfterSeconds: 5,
};

/** Signs receipts in tests; main takes its secret from RECEIPT_SECRET. */
export const TEST_SIGNER = new TokenSigner(Buffer.from('receipt-secret-for-tests-only-0123456789'));
export const TEST_RECEIPTS = new ReceiptCodec(TEST_SIGNER);

export const TEST_INGEST_CONFIG: IngestConfig = { maxFutureSkewMs: 5 * 60_000, maxBatchEvents: 500 };

/** createApp wired like main.ts, with a publisher of the test's choosing and a silent logger. */
export function testApp(options: {
  publisher: ActivityPublisher;
  readiness?: ReadinessCheck[];
  config?: Partial<AppConfig>;
  ingest?: Partial<IngestConfig>;
  now?: () => Date;
}) {
  const ingest = new IngestActivityUseCase(
    { ...TEST_INGEST_CONFIG, ...options.ingest },
    { publisher: options.publisher, receipts: TEST_RECEIPTS, ...(options.now ? { now: options.now } : {}) },
  );
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest,
    readiness: options.readiness ?? [],
    config: { ...TEST_APP_CONFIG, ...options.config },
  });
}
