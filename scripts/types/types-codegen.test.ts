import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_TYPE_VERSIONS } from '@uap/shared/activity-types';
import ts from 'typescript';
import { generateTypesModule, metadataTypeName, renderType, schemaToTsType } from './types-codegen';
import { aTypeVersion } from './types-fixtures';

const ROOT = join(__dirname, '..', '..');

const render = (schema: unknown) => renderType(schemaToTsType(schema));

/** A custom type with nested objects, enums and a closed top level, next to the built-in ones. */
const CHECKOUT = aTypeVersion({
  name: 'CHECKOUT_STARTED',
  version: 3,
  description: 'A user opened the checkout.',
  metadataSchema: {
    type: 'object',
    required: ['cart'],
    additionalProperties: false,
    properties: {
      cart: {
        type: 'object',
        required: ['items', 'currency'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['sku', 'quantity'],
              properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
            },
          },
          currency: { enum: ['EUR', 'USD'] },
        },
      },
      plan: { enum: ['free', 'pro'], description: 'The plan chosen on the page.' },
      coupon: { type: ['string', 'null'] },
      channel: { oneOf: [{ const: 'web' }, { const: 'app' }] },
    },
  },
});
const OLD_SEARCH = aTypeVersion({ name: 'LEGACY_SEARCH', status: 'deprecated', description: 'Before SEARCH.' });
const GONE = aTypeVersion({ name: 'GONE_TYPE', status: 'retired' });
const REGISTRY = [...BUILT_IN_TYPE_VERSIONS, CHECKOUT, OLD_SEARCH, GONE];

describe('schemaToTsType', () => {
  it.each([
    [{ type: 'string' }, 'string'],
    [{ type: 'integer' }, 'number'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ enum: ['a', 1, true, null] }, `'a' | 1 | true | null`],
    [{ const: "it's" }, `'it\\'s'`],
    [{ enum: [{ a: 1 }] }, 'unknown'],
    [{ type: 'array', items: { type: 'boolean' } }, 'boolean[]'],
    [{ type: 'array', items: { enum: ['x', 'y'] } }, `('x' | 'y')[]`],
    [{ type: 'array' }, 'unknown[]'],
    [{ anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'string' }] }, 'string | number'],
    [{ oneOf: [{ type: 'string' }, {}] }, 'unknown'],
    [{ allOf: [{ type: 'string' }] }, 'unknown'],
    [{ not: { type: 'string' } }, 'unknown'],
    [true, 'unknown'],
    [false, 'never'],
  ])('when the schema is %j, then the type is %s', (schema, expected) => {
    expect(render(schema)).toBe(expected);
  });

  it('when additionalProperties is absent, then the object has an index signature of unknown', () => {
    expect(render({ type: 'object', required: ['a'], properties: { a: { type: 'string' }, b: {} } })).toBe(
      '{\n  a: string;\n  b?: unknown;\n  [key: string]: unknown;\n}',
    );
  });

  it('when additionalProperties is false, then only the declared properties are there', () => {
    expect(render({ type: 'object', properties: { a: { type: 'number' } }, additionalProperties: false })).toBe(
      '{\n  a?: number;\n}',
    );
    expect(render({ type: 'object', additionalProperties: false })).toBe('{\n  [key: string]: never;\n}');
  });

  it('when additionalProperties is a schema, then the index signature also admits the declared properties', () => {
    const schema = {
      type: 'object',
      required: ['n'],
      properties: { n: { type: 'number' }, flag: { type: 'boolean' } },
      additionalProperties: { type: 'string' },
    };
    expect(render(schema)).toBe(
      '{\n  n: number;\n  flag?: boolean;\n  [key: string]: string | number | boolean | undefined;\n}',
    );
  });

  it('when a key is required but not declared, then it is required as unknown; odd keys are quoted', () => {
    expect(render({ required: ['x-id'], additionalProperties: false })).toBe(`{\n  'x-id': unknown;\n}`);
  });

  it('when a property has a description, then it becomes its doc comment, unable to close it early', () => {
    expect(render({ properties: { a: { description: 'ends */ here' } }, additionalProperties: false })).toBe(
      '{\n  /** ends *\\/ here */\n  a?: unknown;\n}',
    );
  });

  it('when $ref points into the same document, then it is followed; remote and cyclic refs are unknown', () => {
    const root = {
      type: 'object',
      additionalProperties: false,
      properties: { money: { $ref: '#/$defs/money' }, remote: { $ref: 'https://x.test/s.json' }, node: { $ref: '#' } },
      $defs: { money: { type: 'number' } },
    };
    expect(render(root)).toBe(
      '{\n  money?: number;\n  remote?: unknown;\n  node?: {\n    money?: number;\n    remote?: unknown;\n    node?: unknown;\n  };\n}',
    );
  });
});

describe('metadataTypeName', () => {
  it.each([
    ['SEARCH', 'SearchMetadata'],
    ['PAGE_VIEW', 'PageViewMetadata'],
    ['V2_CHECKOUT_STEP', 'V2CheckoutStepMetadata'],
  ])('when the type is %s, then its metadata type is %s', (name, expected) => {
    expect(metadataTypeName(name)).toBe(expected);
  });
});

describe('generateTypesModule', () => {
  const code = generateTypesModule(REGISTRY);

  it('when types are retired, then they are left out; deprecated ones are marked @deprecated', () => {
    expect(code).not.toContain('GONE_TYPE');
    expect(code).toMatch(/@deprecated LEGACY_SEARCH[^\n]*\n \*\/\nexport type LegacySearchMetadata =/);
    expect(code).toMatch(
      /@deprecated LEGACY_SEARCH[^\n]*\n {3}\*\/\n {2}track\(event: TrackEventBase & \{ type: 'LEGACY_SEARCH'/,
    );
    expect(code).toContain('  CHECKOUT_STARTED: CheckoutStartedMetadata;');
  });

  it('when the metadata may be absent ({} fits its schema), then track() may leave it out', () => {
    expect(code).toContain(
      `track(event: TrackEventBase & { type: 'SEARCH'; metadata: SearchMetadata }): string | undefined;`,
    );
    expect(code).toContain(
      `track(event: TrackEventBase & { type: 'LOGIN'; metadata?: LoginMetadata }): string | undefined;`,
    );
  });

  it('when the registry lists the same types in another order, then the module is the same', () => {
    expect(generateTypesModule([...REGISTRY].reverse())).toBe(code);
  });

  it('when two names differ only in underscores, then the second keeps its own spelling', () => {
    const module = generateTypesModule([aTypeVersion({ name: 'A_B' }), aTypeVersion({ name: 'A__B' })]);
    expect(module).toContain('export type ABMetadata =');
    expect(module).toContain('export type A__B_Metadata =');
  });
});

describe('the generated module under strict TypeScript', () => {
  let dir: string;
  let diagnostics: Map<string, string[]>;

  const USAGES: Record<string, string> = {
    'correct-calls.ts': `
      const id: string | undefined = tracker.track({ type: 'SEARCH', userId: 'alice', metadata: { query: 'shoes' } });
      tracker.track({ type: 'LOGOUT', userId: 'alice' });
      tracker.track({ type: 'LOGIN', userId: 'alice', metadata: { method: 'sso', success: true, extra: [1] } });
      tracker.track({
        type: 'CHECKOUT_STARTED',
        userId: 'alice',
        sessionId: 's-1',
        occurredAt: '2026-12-05T10:00:00Z',
        metadata: { cart: { items: [{ sku: 'A1', quantity: 2 }], currency: 'EUR' }, plan: 'pro', coupon: null, channel: 'web' },
      });
      const plan: ActivityMetadataByType['CHECKOUT_STARTED']['plan'] = 'free';
      export { id, plan };`,
    'search-without-query.ts': `tracker.track({ type: 'SEARCH', userId: 'alice', metadata: { term: 'shoes' } });`,
    'unknown-type.ts': `tracker.track({ type: 'VIDEO_PLAYED', userId: 'alice' });`,
    'enum-value-not-planned.ts': `tracker.track({ type: 'CHECKOUT_STARTED', userId: 'alice', metadata: { cart: { items: [], currency: 'GBP' } } });`,
    'nested-required-missing.ts': `tracker.track({ type: 'CHECKOUT_STARTED', userId: 'alice', metadata: { cart: { items: [{ sku: 'A1' }], currency: 'EUR' } } });`,
    'key-not-planned.ts': `tracker.track({ type: 'CHECKOUT_STARTED', userId: 'alice', metadata: { cart: { items: [], currency: 'EUR' }, color: 'red' } });`,
  };
  const PRELUDE = `import type { UapClient } from '@uap/client';
import { typedTracker, type ActivityMetadataByType } from './client-types';
declare const client: UapClient;
const tracker = typedTracker(client);
export type Map = ActivityMetadataByType;
`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'types-codegen-'));
    await writeFile(join(dir, 'client-types.ts'), generateTypesModule(REGISTRY));
    for (const [file, body] of Object.entries(USAGES)) await writeFile(join(dir, file), `${PRELUDE}${body}\n`);

    // The repository's own strict settings and paths (@uap/client → client/src), on these files alone.
    const configPath = join(ROOT, 'tsconfig.test.json');
    const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configPath);
    const files = ['client-types.ts', ...Object.keys(USAGES)];
    const program = ts.createProgram({
      rootNames: files.map((f) => join(dir, f)),
      options: { ...options, noEmit: true },
    });
    diagnostics = new Map(
      files.map((file) => {
        const source = program.getSourceFile(join(dir, file))!;
        const found = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
        return [file, found.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))];
      }),
    );
  }, 60_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('when the module and correct calls are compiled, then there is no error', () => {
    expect(diagnostics.get('client-types.ts')).toEqual([]);
    expect(diagnostics.get('correct-calls.ts')).toEqual([]);
  });

  it.each([
    ['search-without-query.ts', "'query'"],
    ['unknown-type.ts', 'VIDEO_PLAYED'],
    ['enum-value-not-planned.ts', 'GBP'],
    ['nested-required-missing.ts', "'quantity'"],
    ['key-not-planned.ts', 'color'],
  ])('when %s is compiled, then it fails, naming %s', (file, named) => {
    const errors = diagnostics.get(file)!;
    expect(errors).toEqual([expect.stringContaining('No overload matches this call')]);
    expect(errors[0]).toContain(named);
  });
});
