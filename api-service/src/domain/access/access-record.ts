import { z } from 'zod';
import { API_SCOPES, type ApiScope } from '../api-key';
import { KEY_ID_PATTERN } from './runtime-key';
import { SOURCE_ID_PATTERN, SOURCE_NAME_MAX_LENGTH, SOURCE_STATUSES, type Actor, type Source } from './source';

/** A runtime key as the access log keeps it: its hash, never the key. */
export interface KeyFact {
  id: string;
  label: string;
  scopes: ApiScope[];
  sourceId?: string;
  /** SHA-256 hex of the whole key (runtime-key.ts says why SHA-256). */
  hash: string;
  createdAt: string;
  createdBy: Actor;
  expiresAt?: string;
  /** The key this one succeeded by rotation. */
  rotatedFrom?: string;
}

/**
 * What the access log holds, one fact per record. Facts are split so that compaction (which keeps the latest
 * record per key) can never undo a revocation: a key's own record is written once, its revocation, its rotation
 * end and its last use each have a compaction key of their own.
 */
export type AccessRecord =
  | { kind: 'key'; key: KeyFact }
  | { kind: 'key-revoked'; keyId: string; at: string; by: Actor }
  /** Rotation: the old key stays valid until `at`, then its successor alone. */
  | { kind: 'key-ends'; keyId: string; at: string; successorId: string; by: Actor }
  /** Last use, flushed by each replica at most once per KEY_USAGE_FLUSH_MS per key. */
  | { kind: 'key-used'; keyId: string; at: string }
  | { kind: 'source'; source: Source };

export const KEY_LABEL_MAX_LENGTH = 100;

const KeyId = z.string().regex(KEY_ID_PATTERN);
/** Last use is tracked for bootstrap keys too, named by their id (12 hex of the hash). */
const AnyKeyId = z.string().regex(/^[0-9a-f]{12}(?:[0-9a-f]{4})?$/);
const SourceId = z.string().regex(SOURCE_ID_PATTERN);
const Instant = z.iso.datetime();
const ActorSchema = z.object({
  keyId: z.string().max(64).nullable(),
  label: z.string().max(256).nullable(),
});

// Plain (not strict) objects: a newer replica may add fields, an older one reading them ignores what it
// does not know rather than skipping the whole fact.
const RecordSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('key'),
    key: z.object({
      id: KeyId,
      label: z.string().min(1).max(KEY_LABEL_MAX_LENGTH),
      scopes: z.array(z.enum(API_SCOPES)).min(1).max(API_SCOPES.length),
      sourceId: SourceId.optional(),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      createdAt: Instant,
      createdBy: ActorSchema,
      expiresAt: Instant.optional(),
      rotatedFrom: KeyId.optional(),
    }),
  }),
  z.object({ kind: z.literal('key-revoked'), keyId: KeyId, at: Instant, by: ActorSchema }),
  z.object({ kind: z.literal('key-ends'), keyId: KeyId, at: Instant, successorId: KeyId, by: ActorSchema }),
  z.object({ kind: z.literal('key-used'), keyId: AnyKeyId, at: Instant }),
  z.object({
    kind: z.literal('source'),
    source: z.object({
      id: SourceId,
      name: z.string().min(1).max(SOURCE_NAME_MAX_LENGTH),
      status: z.enum(SOURCE_STATUSES),
      rateLimitPerMinute: z.int().min(0).nullable(),
      allowedTypes: z.array(z.string().min(1).max(64)).nullable(),
      createdAt: Instant,
      updatedAt: Instant,
      createdBy: ActorSchema,
      updatedBy: ActorSchema,
    }),
  }),
]);

/** The compaction key: one per fact, so the latest record of a fact is kept and no fact replaces another. */
export function accessRecordKey(record: AccessRecord): string {
  switch (record.kind) {
    case 'key':
      return `key:${record.key.id}`;
    case 'key-revoked':
    case 'key-ends':
    case 'key-used':
      return `${record.kind}:${record.keyId}`;
    case 'source':
      return `source:${record.source.id}`;
  }
}

export function encodeAccessRecord(record: AccessRecord): string {
  return JSON.stringify(record);
}

/** undefined for anything that is not a well-formed record (a stray write, a kind this replica does not know). */
export function decodeAccessRecord(value: Buffer | string | null): AccessRecord | undefined {
  if (value === null) return undefined;
  try {
    const parsed = RecordSchema.safeParse(JSON.parse(value.toString()));
    return parsed.success ? (parsed.data as AccessRecord) : undefined;
  } catch {
    return undefined;
  }
}
