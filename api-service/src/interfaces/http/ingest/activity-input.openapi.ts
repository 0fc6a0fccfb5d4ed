import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { ActivityTypeCatalog, ActivityTypeVersion, JsonSchema } from '@uap/shared/activity-types';
import { ActivityEnvelopeSchema, MetadataSchema } from '@uap/shared/contract';
import { jsonSchemaOf, type ReferenceObject, type SchemaObject } from '../openapi/openapi-kit';

/** What the document asks of the registry: the types to offer, and whether each needs metadata. */
export type DocumentedActivityTypes = Pick<ActivityTypeCatalog, 'list' | 'check' | 'position'>;

const ACTIVITY_INPUT_ID = 'ActivityInput';
const activityInputId = (name: string) => `ActivityInput_${name}`;
const activityMetadataId = (name: string) => `ActivityMetadata_${name}`;
const schemaRef = (id: string) => `#/components/schemas/${id}`;

// Rendered once, by the generator that renders the rest of the document: the same fields validate.
const ENVELOPE = jsonSchemaOf(ActivityEnvelopeSchema);
const GENERIC_METADATA_RULES = String(MetadataSchema.meta()?.description ?? '');
const REF_KEYWORDS = new Set(['$ref', '$dynamicRef', '$recursiveRef']);

/**
 * Registers one input variant per type the registry offers (active or deprecated: retired ones are refused),
 * each with its metadata schema, and `ActivityInput`, their oneOf discriminated by `type`. Returns its $ref.
 */
export function registerActivityInput(registry: OpenAPIRegistry, types: DocumentedActivityTypes): ReferenceObject {
  const offered = types.list().filter((type) => type.status !== 'retired');
  for (const type of offered) {
    registry.registerComponent('schemas', activityMetadataId(type.name), metadataComponent(type));
    // The registry validates an absent metadata as {}: when {} fails the type's schema, metadata is required.
    const requiresMetadata = types.check(type.name, {}).kind !== 'planned';
    registry.registerComponent('schemas', activityInputId(type.name), variantComponent(type, requiresMetadata));
  }
  const refused =
    'Types the registry does not offer are refused (unless its policy for unplanned types says otherwise; ' +
    'GET /api/v1/activity-types); retired ones always are.';
  const input: SchemaObject =
    offered.length === 0
      ? { not: {}, description: `No activity type is planned. ${refused}` }
      : {
          type: 'object',
          description: `One variant per planned activity type, chosen by \`type\`. ${refused}`,
          oneOf: offered.map((type) => ({ $ref: schemaRef(activityInputId(type.name)) })),
          discriminator: {
            propertyName: 'type',
            mapping: Object.fromEntries(offered.map((type) => [type.name, schemaRef(activityInputId(type.name))])),
          },
        };
  return registry.registerComponent('schemas', ACTIVITY_INPUT_ID, input).ref;
}

function variantComponent(type: ActivityTypeVersion, requiresMetadata: boolean): SchemaObject {
  const deprecated = type.status === 'deprecated';
  const description = [
    type.description,
    deprecated ? 'Deprecated: still accepted, with a warning in the answer; plan to send another type.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    type: 'object',
    ...(description ? { description } : {}),
    ...(deprecated ? { deprecated: true } : {}),
    'x-activity-type-version': type.version,
    properties: {
      ...structuredClone(ENVELOPE.properties),
      // `enum` too: some generators read a one-value enum, not `const`, as a literal type.
      type: { type: 'string', const: type.name, enum: [type.name] },
      metadata: { $ref: schemaRef(activityMetadataId(type.name)) },
    },
    required: [...(ENVELOPE.required ?? []), 'type', ...(requiresMetadata ? ['metadata'] : [])],
    // Who did it: the contract's refinement (CONTRACT_RULES.actor), which has no JSON Schema of its own.
    anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }],
    additionalProperties: false,
  };
}

/**
 * The type's schema with the contract's rules for any metadata: an object (a root type of ["object", "null"]
 * narrows to what is accepted), described with the limits no schema states. `additionalProperties: true` only
 * spells out the default, and is left out beside `unevaluatedProperties`, which it would switch off.
 */
function metadataComponent(type: ActivityTypeVersion): SchemaObject {
  const schema = rebased(type.metadataSchema, schemaRef(activityMetadataId(type.name))) as JsonSchema;
  const open = !('additionalProperties' in schema) && !('unevaluatedProperties' in schema);
  const description = [typeof schema['description'] === 'string' ? schema['description'] : '', GENERIC_METADATA_RULES]
    .filter(Boolean)
    .join(' ');
  return { ...schema, type: 'object', ...(open ? { additionalProperties: true } : {}), description } as SchemaObject;
}

/**
 * A copy of a registry schema that resolves where the document puts it: local refs (`#/$defs/x`) move under
 * `base`, and `$schema` goes (the document's dialect applies). Keys are rewritten wherever they occur, data
 * (`const`, `examples`) included: OpenAPI tools resolve every `$ref` key they meet, and no metadata the
 * contract accepts holds a key that starts with "$", so no acceptable value changes.
 */
function rebased(value: unknown, base: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rebased(item, base));
  if (value === null || typeof value !== 'object') return value;
  const entries: Array<[string, unknown]> = [];
  for (const [key, member] of Object.entries(value)) {
    if (key === '$schema') continue;
    if (REF_KEYWORDS.has(key) && typeof member === 'string' && member.startsWith('#')) {
      entries.push([key, `${base}${member.slice(1)}`]);
    } else entries.push([key, rebased(member, base)]);
  }
  // fromEntries defines own properties, so a "__proto__" property name stays a property.
  return Object.fromEntries(entries);
}
