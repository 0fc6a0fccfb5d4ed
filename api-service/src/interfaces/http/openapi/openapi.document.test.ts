import { validate } from '@readme/openapi-parser';
import pino from 'pino';
import request from 'supertest';
import { appRoutes, createApp, type AppConfig } from '../../../app';
import { staticKeyRing } from '../../../domain/access/key-ring';
import { IngestActivityUseCase } from '../../../application/ingest-activity.use-case';
import { QueryActivitiesUseCase } from '../../../application/query-activities.use-case';
import { InMemoryActivityReader } from '../../../testing/in-memory-activity.reader';
import { ActivityStatsUseCase } from '../../../application/activity-stats.use-case';
import { InMemoryRollupReader } from '../../../testing/in-memory-rollup.reader';
import { fullOpenApiDocument, TEST_APP_CONFIG, TEST_INGEST_CONFIG, TEST_RECEIPTS } from '../../../testing/test-app';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { BEYOND_SCHEMA_RULES } from '../../../domain/domain-error';
import type { OpenApiDocument } from './openapi.document';
import { toOpenApiPath } from './openapi-kit';
import { OPENAPI_EXAMPLES } from './openapi.examples';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function appWith(options: { queries: boolean; maxBatchEvents?: number; config?: Partial<AppConfig> }) {
  const ingest = new IngestActivityUseCase(
    { ...TEST_INGEST_CONFIG, ...(options.maxBatchEvents ? { maxBatchEvents: options.maxBatchEvents } : {}) },
    { publisher: { publish: async () => [] }, receipts: TEST_RECEIPTS },
  );
  const queries = options.queries ? new QueryActivitiesUseCase({ reader: new InMemoryActivityReader() }) : undefined;
  const stats = options.queries
    ? new ActivityStatsUseCase(
        { retentionDays: 0 },
        { reader: new InMemoryActivityReader(), rollups: new InMemoryRollupReader([]) },
      )
    : undefined;
  const deps = {
    logger: pino({ level: 'silent' }),
    ingest,
    ...(queries ? { queries } : {}),
    ...(stats ? { stats } : {}),
    readiness: [],
    config: { ...TEST_APP_CONFIG, ...options.config },
  };
  return { app: createApp(deps), routes: appRoutes(deps) };
}

async function served(app: ReturnType<typeof appWith>['app']): Promise<OpenApiDocument> {
  const res = await request(app).get('/openapi.json').expect(200);
  expect(res.type).toBe('application/json');
  return res.body as OpenApiDocument;
}

/** "METHOD /path" for every operation of the document, in OpenAPI path syntax. */
function documentedOperations(document: OpenApiDocument): string[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item ?? {})
      .filter((key) => HTTP_METHODS.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe('OpenAPI document', () => {
  it.each([
    ['with the read endpoints and API keys', true, true],
    ['ingest only, without API keys', false, false],
  ])('when the app is built %s, then /openapi.json is a valid OpenAPI 3.1 document', async (_label, queries, keys) => {
    const security: AppConfig['security'] = {
      apiKeys: staticKeyRing([]),
      publicPaths: ['/healthz', '/openapi.json'],
      rateLimit: { windowMs: 60_000, max: 100 },
      corsOrigins: [],
    };
    const { app } = appWith({ queries, config: keys ? { security } : {} });
    const document = await served(app);

    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(Object.keys(document.components?.securitySchemes ?? {}).length > 0).toBe(keys);
  });

  it('when the validator is given a broken document, then it reports it (the check above can fail)', async () => {
    const document = await served(appWith({ queries: true }).app);
    const broken = structuredClone(document) as unknown as { paths: Record<string, Record<string, unknown>> };
    delete (broken.paths['/healthz']!['get'] as { responses?: unknown }).responses;
    broken.paths['/metrics']!['get'] = { responses: { 200: { content: {} } } };

    const result = await validate(broken as never);
    expect(result.valid).toBe(false);
  });

  it.each([true, false])(
    'when queries=%s, then every route the app serves is documented with its methods, and nothing more',
    async (queries) => {
      const { app, routes } = appWith({ queries });
      const document = await served(app);
      const expected = routes.flatMap((r) =>
        r.methods.map((m) => `${m.toUpperCase()} ${toOpenApiPath(r.documentedAs ?? r.path)}`),
      );

      expect(documentedOperations(document).sort()).toEqual([...new Set(expected)].sort());
      expect(routes.some((r) => r.path === '/openapi.json')).toBe(true);
      expect(routes.some((r) => r.path === '/metrics')).toBe(true);
    },
  );

  it('when the batch limit is configured, then the documented batch body carries that limit', async () => {
    const document = await served(appWith({ queries: false, maxBatchEvents: 37 }).app);
    const body = document.paths?.['/api/v1/activities/batch']?.post?.requestBody as {
      content: Record<string, { schema: { properties: { events: { maxItems: number; minItems: number } } } }>;
    };

    expect(body.content['application/json']!.schema.properties.events).toMatchObject({ minItems: 1, maxItems: 37 });
  });

  it('when a client reads the document, then metadata is an object schema and errors are problem+json', async () => {
    const document = await served(appWith({ queries: true }).app);
    const schemas = document.components?.schemas ?? {};

    // A stored event's objects (metadata, and the Segment envelope's) are documented as one storable object.
    expect(schemas['EventObject']).toMatchObject({ type: 'object', additionalProperties: true });
    expect(schemas['Problem']).toMatchObject({ required: expect.arrayContaining(['type', 'title', 'status']) });
    const post = document.paths?.['/api/v1/activities']?.post;
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(['202', '400', '413', '415', '431', '503']);
    expect(JSON.stringify(post?.responses?.['415'])).toContain('application/problem+json');
    const byId = document.paths?.['/api/v1/activities/{eventId}']?.get;
    expect(byId?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'eventId', in: 'path', required: true })]),
    );
    const list = document.paths?.['/api/v1/activities']?.get;
    const names = (list?.parameters ?? []).map((p) => ('name' in p ? p.name : ''));
    expect(names.sort()).toEqual([
      'anonymousId',
      'cursor',
      'from',
      'limit',
      'page',
      'sort',
      'sourceId',
      'to',
      'type',
      'userId',
    ]);
  });
});

describe('docs UI', () => {
  const { app } = appWith({ queries: true });

  it('when /docs is opened, then the page loads Swagger UI from this server only', async () => {
    const res = await request(app).get('/docs').expect(200);

    expect(res.type).toBe('text/html');
    const sources = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const source of sources) expect(source).toMatch(/^\/docs\//);
    expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('when the page asks for its assets, then each is served; other names get a 404 problem', async () => {
    const page = await request(app).get('/docs').expect(200);
    for (const [, source] of page.text.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const res = await request(app).get(source!);
      expect([source, res.status]).toEqual([source, 200]);
      expect(res.body.length ?? res.text.length).toBeGreaterThan(0);
    }
    const init = await request(app).get('/docs/docs-init.js').expect(200);
    expect(init.text).toContain("url: '/openapi.json'");

    const missing = await request(app).get('/docs/package.json').expect(404);
    expect(missing.type).toBe('application/problem+json');
    await request(app).get('/docs/..%2F..%2Fpackage.json').expect(404);
  });
});

describe('OpenAPI document: examples, scopes and rules', () => {
  // Every optional part mounted, as main.ts mounts them in production.
  const full = fullOpenApiDocument();
  const operations = Object.entries(full.paths ?? {}).flatMap(([path, item]) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const)
      .filter((method) => item[method])
      .map((method) => ({ key: `${method} ${path}`, path, method, operation: item[method]! })),
  );

  function validatorFor(schema: unknown) {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: full.components });
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    return ajv.compile(rewritten);
  }

  it('when a request line and headers pass Node’s limit (a long query string), then every operation documents the 431', () => {
    expect(full.components?.responses?.['HeadersTooLarge']).toBeDefined();
    expect(
      operations
        .filter(({ operation }) => !operation.responses?.['431'] || !('$ref' in operation.responses['431']))
        .map(({ key }) => key),
    ).toEqual([]);
  });

  it('when every mounted part is documented, then every operation has an example', () => {
    expect(operations.filter(({ key }) => !OPENAPI_EXAMPLES[key]).map(({ key }) => key)).toEqual([]);
    expect(Object.keys(OPENAPI_EXAMPLES).filter((key) => !operations.some((op) => op.key === key))).toEqual([]);
  });

  it('when examples are checked against the schemas they illustrate, then every one is valid', () => {
    const invalid: string[] = [];
    let checked = 0;
    for (const { key, operation } of operations) {
      const body = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {};
      const media = Object.values(body);
      const responses = Object.values(operation.responses ?? {}).flatMap((response) =>
        'content' in response && response.content ? Object.values(response.content) : [],
      );
      const parameters = (operation.parameters ?? []).filter((p) => 'name' in p);
      for (const item of [...media, ...responses, ...parameters] as Array<{ schema?: unknown; example?: unknown }>) {
        if (item.example === undefined || item.schema === undefined) continue;
        checked++;
        const validate = validatorFor(item.schema);
        if (!validate(item.example)) invalid.push(`${key}: ${JSON.stringify(validate.errors)}`);
      }
    }
    expect(invalid).toEqual([]);
    expect(checked).toBeGreaterThan(operations.length);
  });

  it('when a broken example is checked, then it is reported (the check above can fail)', () => {
    const list = operations.find(({ key }) => key === 'get /api/v1/activities')!;
    const schema = (list.operation.responses!['200'] as { content: Record<string, { schema: unknown }> }).content[
      'application/json'
    ]!.schema;
    expect(validatorFor(schema)({ data: 'not a list' })).toBe(false);
  });

  it.each([
    ['get /api/v1/activities', 'read'],
    ['post /api/v1/activities/batch', 'ingest'],
    ['delete /api/v1/users/{userId}/activities', 'admin'],
    ['get /api/v1/dead-letters', 'admin'],
    ['post /api/v1/stream-tickets', 'read'],
  ])('when %s is documented, then its security names the %s scope', (key, scope) => {
    const { operation } = operations.find((op) => op.key === key)!;
    expect(operation.security).toEqual([{ bearerKey: [scope] }, { apiKeyHeader: [scope] }]);
  });

  it('when an operation applies rules beyond its schema, then it lists them with a description', () => {
    const list = operations.find(({ key }) => key === 'get /api/v1/activities')!.operation as Record<string, unknown>;
    expect(list['x-rules-beyond-schema']).toEqual(
      expect.arrayContaining([
        { rule: 'range-order', description: BEYOND_SCHEMA_RULES['range-order'] },
        { rule: 'cursor-not-issued', description: BEYOND_SCHEMA_RULES['cursor-not-issued'] },
      ]),
    );
  });
});
