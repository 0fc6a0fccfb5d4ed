import type { Express } from 'express';
import type { RouteSpec } from './method-guard.middleware';
import type { OpenApiContext, ReadConsistencyDocs } from './openapi/openapi-kit';

/**
 * One HTTP feature, declared once in its folder: its routes, how it mounts, and what it adds to the
 * OpenAPI document. createApp mounts the enabled features in list order, the method guard serves the
 * union of their routes, and buildOpenApiDocument asks each to register itself, so the three cannot drift.
 */
export interface HttpFeature {
  /** Every path and method it serves; the method guard answers 404/405 for anything else. */
  readonly routes: readonly RouteSpec[];
  /** Mounts its routers and middleware; called once, when the app is built. */
  mount(app: Express): void;
  /** Registers its operations (and only those) in the OpenAPI registry. */
  document(api: OpenApiContext): void;
  /**
   * Paths that take a write key the way Segment's SDKs send it: HTTP Basic, or `writeKey` in the body (then
   * authorized after the body is read; see AuthOptions.writeKeyPaths).
   */
  readonly writeKeyPaths?: readonly string[];
  /** Receipts only: the read-your-writes headers its middleware adds to the reads of other features. */
  readonly readConsistency?: ReadConsistencyDocs;
}
