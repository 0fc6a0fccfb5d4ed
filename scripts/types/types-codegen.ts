import type { ActivityTypeVersion, JsonSchema } from '@uap/shared/activity-types';

// JSON Schema → TypeScript, for the registry's metadata schemas. The api validates every event anyway, so
// the types only have to catch mistakes at compile time: where a keyword has no TypeScript equivalent
// (allOf, not, if/then, patterns, bounds) the type is looser than the schema, never stricter.

/** A TypeScript type, small enough to render deterministically. */
export type TsType =
  | { kind: 'keyword'; name: 'string' | 'number' | 'boolean' | 'null' | 'undefined' | 'unknown' | 'never' }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'union'; members: TsType[] }
  | { kind: 'array'; items: TsType }
  | { kind: 'object'; properties: TsProperty[]; index?: TsType };

export interface TsProperty {
  name: string;
  optional: boolean;
  type: TsType;
  doc?: string;
}

const keyword = (name: Extract<TsType, { kind: 'keyword' }>['name']): TsType => ({ kind: 'keyword', name });
const UNKNOWN = keyword('unknown');
const NEVER = keyword('never');
const ANY_OBJECT: TsType = { kind: 'object', properties: [], index: UNKNOWN };
const SCALAR_TYPES: Record<string, TsType> = {
  string: keyword('string'),
  number: keyword('number'),
  integer: keyword('number'),
  boolean: keyword('boolean'),
  null: keyword('null'),
};
/** Keywords that say what a value is; a schema with none of them beside anyOf/oneOf is that union. */
const SHAPE_KEYWORDS = ['type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'items'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converts one metadata schema; `$ref`s to the same document (`#/$defs/…`) are followed, a cycle is `unknown`. */
export function schemaToTsType(schema: unknown, root: unknown = schema, refs: readonly string[] = []): TsType {
  if (schema === true) return UNKNOWN;
  if (schema === false) return NEVER;
  if (!isObject(schema)) return UNKNOWN;
  const convert = (sub: unknown, seen = refs) => schemaToTsType(sub, root, seen);

  if (typeof schema['$ref'] === 'string') {
    const ref = schema['$ref'];
    const target = refs.includes(ref) ? undefined : resolveLocalRef(root, ref);
    return target === undefined ? UNKNOWN : convert(target, [...refs, ref]);
  }
  if ('const' in schema) return literal(schema['const']);
  if (Array.isArray(schema['enum'])) return union(schema['enum'].map(literal));
  const alternatives = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(alternatives) && !SHAPE_KEYWORDS.some((k) => k in schema)) {
    return union(alternatives.map((sub) => convert(sub)));
  }

  const declared = schema['type'];
  const types = Array.isArray(declared) ? declared : declared === undefined ? inferredTypes(schema) : [declared];
  if (types.length === 0) return UNKNOWN;
  return union(
    types.map((type) => {
      if (type === 'object') return objectType(schema, convert);
      if (type === 'array') return arrayType(schema, convert);
      return (typeof type === 'string' ? SCALAR_TYPES[type] : undefined) ?? UNKNOWN;
    }),
  );
}

function inferredTypes(schema: Record<string, unknown>): string[] {
  if (['properties', 'required', 'additionalProperties'].some((k) => k in schema)) return ['object'];
  if ('items' in schema) return ['array'];
  return [];
}

function objectType(schema: Record<string, unknown>, convert: (sub: unknown) => TsType): TsType {
  const required = new Set(
    Array.isArray(schema['required']) ? schema['required'].filter((r) => typeof r === 'string') : [],
  );
  const declared = isObject(schema['properties']) ? Object.entries(schema['properties']) : [];
  const properties: TsProperty[] = declared.map(([name, sub]) => {
    const description = isObject(sub) && typeof sub['description'] === 'string' ? sub['description'] : undefined;
    return { name, optional: !required.has(name), type: convert(sub), ...(description ? { doc: description } : {}) };
  });
  for (const name of required) {
    if (!declared.some(([declaredName]) => declaredName === name)) {
      properties.push({ name, optional: false, type: UNKNOWN });
    }
  }
  const additional = schema['additionalProperties'];
  const patterned = isObject(schema['patternProperties']) && Object.keys(schema['patternProperties']).length > 0;
  if (additional === false && !patterned) {
    return { kind: 'object', properties, ...(properties.length === 0 ? { index: NEVER } : {}) };
  }
  // An index signature must admit every declared property's type too (and undefined, for optional ones).
  const rest = patterned || additional === undefined ? UNKNOWN : convert(additional);
  const index = union([
    rest,
    ...properties.map((p) => p.type),
    ...(properties.some((p) => p.optional) ? [keyword('undefined')] : []),
  ]);
  return { kind: 'object', properties, index };
}

function arrayType(schema: Record<string, unknown>, convert: (sub: unknown) => TsType): TsType {
  const items = schema['items'];
  if ('prefixItems' in schema || items === undefined) return { kind: 'array', items: UNKNOWN };
  return { kind: 'array', items: convert(items) };
}

function literal(value: unknown): TsType {
  const scalar = typeof value === 'string' || typeof value === 'boolean' || value === null;
  if (scalar || (typeof value === 'number' && Number.isFinite(value))) return { kind: 'literal', value };
  return UNKNOWN;
}

/** Flattened, without duplicates or `never`; any `unknown` member makes it `unknown`. */
function union(members: readonly TsType[]): TsType {
  const flat = members.flatMap((m) => (m.kind === 'union' ? m.members : [m]));
  if (flat.some((m) => m.kind === 'keyword' && m.name === 'unknown')) return UNKNOWN;
  const unique = new Map<string, TsType>();
  for (const member of flat) {
    if (!(member.kind === 'keyword' && member.name === 'never')) unique.set(renderType(member), member);
  }
  const kept = [...unique.values()];
  if (kept.length === 0) return NEVER;
  return kept.length === 1 ? kept[0]! : { kind: 'union', members: kept };
}

function resolveLocalRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

// ---- rendering

function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name);
}

function docComment(lines: readonly string[], indent: string): string[] {
  const text = lines.flatMap((line) => line.replace(/\*\//g, '*\\/').split(/\r?\n/));
  if (text.length === 1) return [`${indent}/** ${text[0]} */`];
  return [`${indent}/**`, ...text.map((line) => `${indent} *${line ? ` ${line}` : ''}`), `${indent} */`];
}

export function renderType(type: TsType, indent = ''): string {
  switch (type.kind) {
    case 'keyword':
      return type.name;
    case 'literal':
      return typeof type.value === 'string' ? quote(type.value) : String(type.value);
    case 'union':
      return type.members.map((m) => renderType(m, indent)).join(' | ');
    case 'array': {
      const items = renderType(type.items, indent);
      return type.items.kind === 'union' ? `(${items})[]` : `${items}[]`;
    }
    case 'object': {
      const inner = `${indent}  `;
      const lines = type.properties.flatMap((p) => [
        ...(p.doc ? docComment([p.doc], inner) : []),
        `${inner}${propertyKey(p.name)}${p.optional ? '?' : ''}: ${renderType(p.type, inner)};`,
      ]);
      if (type.index) lines.push(`${inner}[key: string]: ${renderType(type.index, inner)};`);
      return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
    }
  }
}

// ---- the module

/** `PAGE_VIEW` → `PageViewMetadata`. */
export function metadataTypeName(typeName: string): string {
  const pascal = typeName
    .split('_')
    .map((part) => part.charAt(0) + part.slice(1).toLowerCase())
    .join('');
  return `${pascal}Metadata`;
}

/** The type of an event's `metadata`: always an object (the contract says so), whatever the schema states. */
function metadataType(schema: JsonSchema): TsType {
  const type = schemaToTsType(schema);
  const objects = (type.kind === 'union' ? type.members : [type]).filter((m) => m.kind === 'object');
  return objects.length === 0 ? ANY_OBJECT : union(objects);
}

/** The api validates an absent metadata as `{}`: when `{}` fits, track() may leave it out. */
function acceptsEmpty(type: TsType): boolean {
  if (type.kind === 'union') return type.members.some(acceptsEmpty);
  return type.kind === 'object' && type.properties.every((p) => p.optional);
}

const HEADER = `// Generated by \`npm run types -- codegen\` from the activity type registry. Do not edit: run it again
// after the registry changes. One metadata type per active or deprecated activity type, and typedTracker(),
// whose track() takes only those types, each with its metadata. The api still validates every event.
import type { TrackEvent } from '@uap/client';`;

const TRACKER = `/** Wraps an SDK client (a UapClient, or anything with its track()) so that track() takes planned types only. */
export function typedTracker(client: { track(event: TrackEvent): string | undefined }): TypedTracker {
  return { track: (event: TrackEvent) => client.track(event) };
}`;

const TRACK_EVENT_BASE = `/** What every event takes besides its type and metadata (userId, eventId, occurredAt, sessionId). */
export type TrackEventBase = Omit<TrackEvent, 'type' | 'metadata'>;`;

interface Entry {
  name: string;
  typeName: string;
  /** The doc comment's lines: the description, the version, and @deprecated when it is. */
  doc: string[];
  metadata: TsType;
  /** The event type track() takes for it. */
  event: string;
}

/**
 * The TypeScript module for these types (a registry listing): retired types are left out, deprecated ones
 * are marked @deprecated. Sorted by name, so the same registry always gives the same file.
 */
export function generateTypesModule(types: readonly ActivityTypeVersion[]): string {
  const entries = entriesOf(types);
  const blocks = [
    HEADER,
    ...entries.map((e) =>
      [...docComment(e.doc, ''), `export type ${e.typeName} = ${renderType(e.metadata)};`].join('\n'),
    ),
    [
      '/** The metadata type of each planned activity type. */',
      entries.length === 0
        ? 'export type ActivityMetadataByType = Record<never, never>;'
        : ['export type ActivityMetadataByType = {', ...entries.map((e) => `  ${e.name}: ${e.typeName};`), '};'].join(
            '\n',
          ),
    ].join('\n'),
    TRACK_EVENT_BASE,
    [
      "/** An event of one planned type, with that type's metadata. */",
      entries.length === 0
        ? 'export type PlannedTrackEvent = never;'
        : ['export type PlannedTrackEvent =', ...entries.map((e) => `  | (${e.event})`)].join('\n') + ';',
    ].join('\n'),
    [
      '/** track() with one overload per planned activity type. */',
      'export interface TypedTracker {',
      ...entries.flatMap((e) => [...docComment(e.doc, '  '), `  track(event: ${e.event}): string | undefined;`]),
      // Last, because a call that matches no overload is explained by the last one: against the union,
      // TypeScript names the property that is wrong instead of a mismatch with the last type's name.
      '  /** Any planned event, e.g. one built elsewhere as a PlannedTrackEvent. */',
      '  track(event: PlannedTrackEvent): string | undefined;',
      '}',
    ].join('\n'),
    TRACKER,
  ];
  return `${blocks.join('\n\n')}\n`;
}

function entriesOf(types: readonly ActivityTypeVersion[]): Entry[] {
  const planned = types
    .filter((t) => t.status !== 'retired')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const typeNames = uniqueTypeNames(planned.map((t) => t.name));
  return planned.map(({ name, version, description, status, metadataSchema }) => {
    const typeName = typeNames.get(name)!;
    const metadata = metadataType(metadataSchema);
    const deprecated = `@deprecated ${name} is deprecated in the registry: the api accepts and flags its events.`;
    return {
      name,
      typeName,
      doc: [
        ...(description ? [description, ''] : []),
        `${name}, version ${version}.`,
        ...(status === 'deprecated' ? [deprecated] : []),
      ],
      metadata,
      event: `TrackEventBase & { type: ${quote(name)}; metadata${acceptsEmpty(metadata) ? '?' : ''}: ${typeName} }`,
    };
  });
}

/**
 * PascalCase names, unique: two names that differ only in underscores (`A_B`, `A__B`) would meet, so any
 * name after the first to claim a PascalCase name keeps its own spelling (`A__B_Metadata`).
 */
function uniqueTypeNames(sorted: readonly string[]): Map<string, string> {
  const byName = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of sorted) {
    const pascal = metadataTypeName(name);
    const chosen = taken.has(pascal) ? `${name}_Metadata` : pascal;
    taken.add(chosen);
    byName.set(name, chosen);
  }
  return byName;
}
