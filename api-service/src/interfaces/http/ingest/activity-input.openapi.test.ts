import { validate } from '@readme/openapi-parser';
import { ActivityTypeCatalog, BUILT_IN_TYPE_VERSIONS } from '@uap/shared/activity-types';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { appFeatures } from '../../../app';
import { planType } from '../../../testing/activity-type.fixtures';
import { everyFeatureDeps } from '../../../testing/test-app';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/openapi.document';

function documentOf(catalog: ActivityTypeCatalog): OpenApiDocument {
  const deps = everyFeatureDeps({}, catalog);
  return buildOpenApiDocument(appFeatures(deps, undefined), { apiKeys: true });
}

type Schema = Record<string, unknown> & {
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
  oneOf?: Array<{ $ref: string }>;
  discriminator?: { propertyName: string; mapping: Record<string, string> };
};
const schemasOf = (document: OpenApiDocument) => (document.components?.schemas ?? {}) as Record<string, Schema>;
const ref = (id: string) => `#/components/schemas/${id}`;

function bodySchemas(document: OpenApiDocument) {
  const body = (path: string) =>
    (document.paths?.[path]?.post?.requestBody as { content: Record<string, { schema: Schema }> }).content[
      'application/json'
    ]!.schema;
  return {
    single: body('/api/v1/activities'),
    batchItems: body('/api/v1/activities/batch').properties!['events']!['items'],
  };
}

async function expectValid(document: OpenApiDocument): Promise<void> {
  const result = await validate(structuredClone(document) as never);
  expect(result.valid ? [] : result.errors).toEqual([]);
}

/** Validates a value against a component the way a client generated from the document would. */
function validatorOf(document: OpenApiDocument, id: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: document.components });
  return ajv.compile({ $ref: `doc#/components/schemas/${id}` });
}

describe('OpenAPI document: ingest bodies from the activity type registry', () => {
  it('when the registry holds the built-in types, then both bodies are a oneOf of one variant per type, discriminated by type', async () => {
    const document = documentOf(new ActivityTypeCatalog());
    const schemas = schemasOf(document);
    const names = BUILT_IN_TYPE_VERSIONS.map((type) => type.name).sort();

    expect(bodySchemas(document)).toEqual({
      single: { $ref: ref('ActivityInput') },
      batchItems: { $ref: ref('ActivityInput') },
    });
    expect(schemas['ActivityInput']!.oneOf).toEqual(names.map((name) => ({ $ref: ref(`ActivityInput_${name}`) })));
    expect(schemas['ActivityInput']!.discriminator).toEqual({
      propertyName: 'type',
      mapping: Object.fromEntries(names.map((name) => [name, ref(`ActivityInput_${name}`)])),
    });
    expect(schemas['ActivityInput_SEARCH']).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['type', 'metadata'],
      anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }],
      properties: { type: { const: 'SEARCH' }, metadata: { $ref: ref('ActivityMetadata_SEARCH') } },
    });
    expect(Object.keys(schemas['ActivityInput_SEARCH']!.properties!)).toEqual([
      'eventId',
      'userId',
      'anonymousId',
      'occurredAt',
      'sessionId',
      'type',
      'metadata',
    ]);
    expect(schemas['ActivityMetadata_SEARCH']).toMatchObject({
      type: 'object',
      required: ['query'],
      properties: { query: { type: 'string', minLength: 1, maxLength: 512 } },
      description: expect.stringContaining('8192 bytes'),
    });
    // {} passes every other built-in's schema, so their metadata may be left out.
    expect(schemas['ActivityInput_CLICK']!.required).toEqual(['type']);
    await expectValid(document);
  });

  it('when the registry gained VIDEO_PLAY, then the bodies offer its variant with its metadata schema and its description', async () => {
    const catalog = new ActivityTypeCatalog();
    planType(catalog, {
      metadataSchema: {
        type: 'object',
        required: ['videoId'],
        properties: { videoId: { type: 'string', minLength: 1 }, seconds: { type: 'integer', minimum: 0 } },
        additionalProperties: false,
      },
    });

    const document = documentOf(catalog);
    const schemas = schemasOf(document);

    expect(schemas['ActivityInput']!.oneOf).toContainEqual({ $ref: ref('ActivityInput_VIDEO_PLAY') });
    expect(schemas['ActivityInput']!.discriminator!.mapping['VIDEO_PLAY']).toBe(ref('ActivityInput_VIDEO_PLAY'));
    expect(schemas['ActivityInput_VIDEO_PLAY']).toMatchObject({
      description: 'A video started playing.',
      required: ['type', 'metadata'],
      anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }],
      properties: {
        userId: schemas['ActivityInput_SEARCH']!.properties!['userId'],
        type: { type: 'string', const: 'VIDEO_PLAY', enum: ['VIDEO_PLAY'] },
        metadata: { $ref: ref('ActivityMetadata_VIDEO_PLAY') },
      },
    });
    expect(schemas['ActivityMetadata_VIDEO_PLAY']).toMatchObject({
      type: 'object',
      required: ['videoId'],
      properties: { videoId: { type: 'string', minLength: 1 }, seconds: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    });
    const input = validatorOf(document, 'ActivityInput');
    expect(input({ userId: 'u1', type: 'VIDEO_PLAY', metadata: { videoId: 'v1', seconds: 3 } })).toBe(true);
    expect(input({ userId: 'u1', type: 'VIDEO_PLAY', metadata: { seconds: 3 } })).toBe(false);
    expect(input({ userId: 'u1', type: 'VIDEO_PLAY', metadata: { videoId: 'v1', extra: 1 } })).toBe(false);
    await expectValid(document);
  });

  it('when a type is retired, then it disappears from the bodies; a deprecated one stays, marked deprecated', async () => {
    const catalog = new ActivityTypeCatalog();
    planType(catalog, { name: 'SEARCH', status: 'retired' });
    planType(catalog, { name: 'LOGOUT', status: 'deprecated' });

    const document = documentOf(catalog);
    const schemas = schemasOf(document);

    expect(schemas['ActivityInput_SEARCH']).toBeUndefined();
    expect(schemas['ActivityMetadata_SEARCH']).toBeUndefined();
    expect(schemas['ActivityInput']!.discriminator!.mapping).not.toHaveProperty('SEARCH');
    expect(schemas['ActivityInput']!.oneOf).not.toContainEqual({ $ref: ref('ActivityInput_SEARCH') });
    expect(schemas['ActivityInput_LOGOUT']).toMatchObject({
      deprecated: true,
      description: expect.stringMatching(/^A user signed out\. Deprecated: still accepted/),
      'x-activity-type-version': 2,
    });
    expect(schemas['ActivityInput']!.discriminator!.mapping['LOGOUT']).toBe(ref('ActivityInput_LOGOUT'));
    await expectValid(document);
  });

  it('when a type’s schema has $defs and local $refs, then they point inside the document and it validates', async () => {
    const catalog = new ActivityTypeCatalog();
    planType(catalog, {
      metadataSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: {
          chapter: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            properties: { title: { type: 'string' }, next: { $ref: '#/$defs/chapter' } },
          },
          seconds: { type: 'integer', minimum: 0 },
        },
        properties: {
          chapter: { $ref: '#/$defs/chapter' },
          at: { $ref: '#/$defs/seconds' },
          until: { $ref: '#/properties/at' },
        },
      },
    });

    const document = documentOf(catalog);
    const metadata = schemasOf(document)['ActivityMetadata_VIDEO_PLAY']!;
    const base = ref('ActivityMetadata_VIDEO_PLAY');

    expect(metadata.properties).toEqual({
      chapter: { $ref: `${base}/$defs/chapter` },
      at: { $ref: `${base}/$defs/seconds` },
      until: { $ref: `${base}/properties/at` },
    });
    expect(JSON.stringify(metadata)).not.toContain('$schema');
    expect(catalog.current('VIDEO_PLAY')!.metadataSchema).toHaveProperty('$schema');
    await expectValid(document);
    const input = validatorOf(document, 'ActivityInput');
    const event = (metadata: unknown) => ({ userId: 'u1', type: 'VIDEO_PLAY', metadata });
    expect(input(event({ chapter: { title: 'one', next: { title: 'two' } }, at: 3, until: 9 }))).toBe(true);
    expect(input(event({ chapter: { next: { title: 2 } } }))).toBe(false);
    expect(input(event({ until: -1 }))).toBe(false);
  });

  it('when a ref is left pointing into the type’s own schema, then the document is invalid (the check above can fail)', async () => {
    const catalog = new ActivityTypeCatalog();
    planType(catalog, {
      metadataSchema: { type: 'object', $defs: { s: { type: 'integer' } }, properties: { at: { $ref: '#/$defs/s' } } },
    });
    const document = documentOf(catalog);
    const metadata = schemasOf(document)['ActivityMetadata_VIDEO_PLAY']!;
    metadata.properties!['at'] = { $ref: '#/$defs/s' };

    expect((await validate(structuredClone(document) as never)).valid).toBe(false);
  });

  it('when every type is retired, then the bodies accept no event and the document stays valid', async () => {
    const catalog = new ActivityTypeCatalog();
    for (const { name } of BUILT_IN_TYPE_VERSIONS) planType(catalog, { name, status: 'retired' });

    const document = documentOf(catalog);

    expect(schemasOf(document)['ActivityInput']).toMatchObject({ not: {} });
    expect(Object.keys(schemasOf(document)).filter((id) => id.startsWith('ActivityInput_'))).toEqual([]);
    await expectValid(document);
  });
});
