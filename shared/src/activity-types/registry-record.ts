import { z } from 'zod';
import { ACTIVITY_TYPE_NAME_PATTERN, isStorableString, UNSTORABLE_STRING_MESSAGE } from '../contract';
import {
  ACTIVITY_TYPE_STATUSES,
  EVENT_NAME_LIMITS,
  INVALID_METADATA_POLICIES,
  RANKABLE_FIELD_LIMITS,
  RANKABLE_FIELD_PATTERN,
  UNKNOWN_TYPE_POLICIES,
  type ActivityTypeVersion,
  type UnplannedPolicy,
} from './activity-type';

/**
 * What the registry's log holds, one record per change, in the order every replica applies them. `writeId`
 * is unique per write: two replicas racing to make version N of a type both append, every replica keeps the
 * first in log order, and each writer learns whether it won by reading its own writeId back.
 */
export type RegistryRecord =
  | { kind: 'version'; writeId: string; type: ActivityTypeVersion }
  | { kind: 'policy'; writeId: string; policy: UnplannedPolicy; createdAt: string; createdBy: string };

/**
 * The event names a type claims (ActivityTypeVersion.eventNames): matched exactly as sent, so no two may be equal.
 * The same rule for the log, the admin API and the CLI's plan files.
 */
export const EventNamesSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(EVENT_NAME_LIMITS.maxLength)
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses.
      .regex(/^[^\u0000-\u001F\u007F]*$/, 'must not contain control characters')
      .refine(isStorableString, UNSTORABLE_STRING_MESSAGE)
      .meta({ description: 'An event name as a sender spells it, matched exactly' }),
  )
  .max(EVENT_NAME_LIMITS.maxNames)
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (seen.has(name))
        ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(name)} is listed twice` });
      seen.add(name);
    });
  });

/** The metadata paths a type lets insights rank (ActivityTypeVersion.rankableFields); each listed once. */
export const RankableFieldsSchema = z
  .array(
    z
      .string()
      .regex(RANKABLE_FIELD_PATTERN, 'must be metadata.<name> with 1-4 names of letters, digits and _')
      .meta({ description: 'A metadata path, e.g. `metadata.query` or `metadata.page.path`' }),
  )
  .max(RANKABLE_FIELD_LIMITS.maxFields)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((field, index) => {
      if (seen.has(field)) ctx.addIssue({ code: 'custom', path: [index], message: `${field} is listed twice` });
      seen.add(field);
    });
  });

const VersionSchema = z.strictObject({
  name: z.string().regex(ACTIVITY_TYPE_NAME_PATTERN),
  version: z.int().min(1),
  description: z.string().max(1024),
  metadataSchema: z.record(z.string(), z.unknown()),
  eventNames: EventNamesSchema.optional(),
  rankableFields: RankableFieldsSchema.optional(),
  status: z.enum(ACTIVITY_TYPE_STATUSES),
  createdAt: z.iso.datetime(),
  createdBy: z.string().max(256),
});

const RecordSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('version'), writeId: z.string().min(1).max(64), type: VersionSchema }),
  z.strictObject({
    kind: z.literal('policy'),
    writeId: z.string().min(1).max(64),
    policy: z.strictObject({
      unknownTypes: z.enum(UNKNOWN_TYPE_POLICIES),
      invalidMetadata: z.enum(INVALID_METADATA_POLICIES),
    }),
    createdAt: z.iso.datetime(),
    createdBy: z.string().max(256),
  }),
]);

/** The key compaction keeps: versions never share one (each write is kept), the policy keeps its latest. */
export function registryRecordKey(record: RegistryRecord): string {
  return record.kind === 'policy' ? 'policy' : `type/${record.type.name}/${record.type.version}/${record.writeId}`;
}

export function encodeRegistryRecord(record: RegistryRecord): string {
  return JSON.stringify(record);
}

/** undefined for anything that is not a well-formed record: a stray write to the topic changes nothing. */
export function decodeRegistryRecord(value: Buffer | string | null): RegistryRecord | undefined {
  if (value === null) return undefined;
  try {
    const parsed = RecordSchema.safeParse(JSON.parse(value.toString()));
    return parsed.success ? (parsed.data as RegistryRecord) : undefined;
  } catch {
    return undefined;
  }
}
