import { ActivityTypeCatalog } from '@uap/shared/activity-types';
import pino from 'pino';
import { appFeatures, createApp, type AppConfig, type AppDeps } from '../app';
import { IngestActivityUseCase, type IngestConfig } from '../application/ingest-activity.use-case';
import { IngestSegmentUseCase } from '../application/ingest-segment.use-case';
import type { ActivityPublisher } from '../application/ports/activity-publisher.port';
import { ReceiptCodec } from '../domain/receipt';
import { TokenSigner } from '../domain/token-signer';
import type { ReadinessCheck } from '../interfaces/http/health/health.router';
import { createApiMetrics } from '../infrastructure/metrics/api.metrics';
import { buildOpenApiDocument, type OpenApiDocument } from '../interfaces/http/openapi/openapi.document';

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
  /** Also serve the Segment surface (/v1), with the same publisher and clock. */
  segment?: boolean;
}) {
  const ingest = new IngestActivityUseCase(
    { ...TEST_INGEST_CONFIG, ...options.ingest },
    { publisher: options.publisher, receipts: TEST_RECEIPTS, ...(options.now ? { now: options.now } : {}) },
  );
  const segment = options.segment
    ? new IngestSegmentUseCase(
        { maxFutureSkewMs: TEST_INGEST_CONFIG.maxFutureSkewMs },
        { publisher: options.publisher, ...(options.now ? { now: options.now } : {}) },
      )
    : undefined;
  return createApp({
    logger: pino({ level: 'silent' }),
    ingest,
    ...(segment ? { segment } : {}),
    readiness: options.readiness ?? [],
    config: { ...TEST_APP_CONFIG, ...options.config },
  });
}

/**
 * The app's dependencies with every optional feature present, as main.ts wires them in production, for
 * what only needs the features' routes and documents: the use cases other than ingest are empty stand-ins
 * that nothing here calls.
 */
export function everyFeatureDeps(
  config: Partial<AppConfig> = {},
  types: ActivityTypeCatalog = new ActivityTypeCatalog(),
): AppDeps {
  const unused = <T>() => ({}) as T;
  return {
    logger: pino({ level: 'silent' }),
    // The built-in types unless given, so that the document (and the dashboard's types generated from it) is
    // deterministic.
    ingest: new IngestActivityUseCase(TEST_INGEST_CONFIG, {
      publisher: { publish: async () => [] },
      receipts: TEST_RECEIPTS,
      types,
    }),
    segment: new IngestSegmentUseCase(
      { maxFutureSkewMs: TEST_INGEST_CONFIG.maxFutureSkewMs },
      { publisher: { publish: async () => [] }, types },
    ),
    queries: unused(),
    profiles: unused(),
    deadLetters: { deadLetters: unused(), replays: unused() },
    receipts: { receipts: unused(), progress: unused(), refreshMs: 1_000 },
    stream: unused(),
    erasures: unused(),
    audit: unused(),
    access: unused(),
    exports: { exporter: unused() },
    stats: unused(),
    insights: unused(),
    violations: unused(),
    activityTypes: unused(),
    readiness: [],
    config: { ...TEST_APP_CONFIG, ...config },
  };
}

/** The OpenAPI document of an app with every feature and API keys on: every operation the api can serve. */
export function fullOpenApiDocument(): OpenApiDocument {
  return buildOpenApiDocument(appFeatures(everyFeatureDeps(), createApiMetrics()), { apiKeys: true });
}
