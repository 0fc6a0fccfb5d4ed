import type { Response } from 'express';
import type { IngestSource } from '../../application/ingest-pipeline';
import type { Source } from '../../domain/access/source';
import { apiKeyOf } from './auth.middleware';

/** A source by id, from the access catalog as this replica follows it (SecurityConfig.sourceOf). */
export type SourceLookup = (id: string) => Source | undefined;

/**
 * The source of the key that authenticated this request, read from the catalog at request time so that a pause or a
 * new list of allowed types applies to the very next request. Undefined, without any lookup, when the key is bound
 * to none (bootstrap keys, unbound runtime keys, auth disabled): unused sources cost the hot path nothing.
 */
export function requestSource(res: Response, sourceOf: SourceLookup | undefined): IngestSource | undefined {
  const sourceId = apiKeyOf(res)?.sourceId;
  if (sourceId === undefined) return undefined;
  // A key's record follows its source's in the access log, and sources are never deleted, so a miss means no
  // catalog is wired (a test of other concerns): the events still carry the key's source, no policy applies.
  return sourceOf?.(sourceId) ?? { id: sourceId, status: 'active', allowedTypes: null };
}
