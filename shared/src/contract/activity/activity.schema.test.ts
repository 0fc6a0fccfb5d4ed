import { anActivity, anActivityInput } from '../../testing/activity.fixtures';
import {
  ActivityEventSchema,
  makeActivityInputSchema,
  ACTIVITY_LIMITS,
  CONTRACT_RULES,
  NESTED_ARRAY_MESSAGE,
} from './activity.schema';
import { SOURCE_ID_PATTERN } from './activity.types';

const NOW = new Date('2026-01-01T10:00:00.000Z');
const schema = makeActivityInputSchema({ maxFutureSkewMs: 5 * 60_000, now: () => NOW });

function issuesOf(input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { child: value };
  return value;
}

describe('activity input schema', () => {
  it('when the input is complete and valid, then it parses', () => {
    expect(issuesOf(anActivityInput())).toEqual([]);
  });

  it('when only userId and type are given, then it parses', () => {
    expect(issuesOf({ userId: 'u', type: 'LOGOUT' })).toEqual([]);
  });

  it('when the type is any well-formed name, then the contract accepts it (whether it is planned is the registry’s call)', () => {
    expect(issuesOf(anActivityInput({ type: 'VIDEO_PLAY' }))).toEqual([]);
    expect(issuesOf(anActivityInput({ type: 'SEARCH', metadata: {} }))).toEqual([]);
  });

  it.each([
    ['an empty userId', { userId: '' }, 'userId'],
    ['a userId of 129 chars', { userId: 'a'.repeat(129) }, 'userId'],
    ['a userId with a space', { userId: 'a b' }, 'userId'],
    ['a type that is not upper snake case', { type: 'teleport' }, 'type'],
    ['a type of 65 characters', { type: `T${'E'.repeat(64)}` }, 'type'],
    ['a non-UUID eventId', { eventId: 'abc' }, 'eventId'],
    ['a date without offset', { occurredAt: '2026-01-01T10:00:00' }, 'occurredAt'],
    ['a date 6 minutes ahead', { occurredAt: '2026-01-01T10:06:00Z' }, 'occurredAt'],
    ['an unknown field', { extra: 1 }, ''],
    ['a $-key in metadata', { metadata: { $where: 'x' } }, 'metadata.$where'],
    ['a dotted key in metadata', { metadata: { 'a.b': 1 } }, 'metadata.a.b'],
    ['a constructor key in metadata', { metadata: { nested: { constructor: 1 } } }, 'metadata.nested.constructor'],
    ['metadata nested 6 deep', { metadata: nested(6) }, 'metadata'],
    ['metadata over 8 KB', { metadata: { blob: 'x'.repeat(ACTIVITY_LIMITS.metadataMaxBytes) } }, 'metadata'],
    ['a NUL inside a metadata string', { metadata: { q: 'a\u0000b' } }, 'metadata.q'],
    ['a NUL in a SEARCH query', { type: 'SEARCH', metadata: { query: 'x\u0000' } }, 'metadata.query'],
    [
      'a NUL in a string nested in an array',
      { metadata: { tags: ['ok', { deep: '\u0000' }] } },
      'metadata.tags.1.deep',
    ],
    ['a lone high surrogate in a metadata string', { metadata: { q: 'a\uD800b' } }, 'metadata.q'],
    ['a lone low surrogate in a metadata string', { metadata: { q: '\uDC00' } }, 'metadata.q'],
    ['a lone surrogate in a metadata key', { metadata: { ['k\uD83D']: 1 } }, 'metadata.k'],
    ['an array directly inside an array', { metadata: { a: [[1]] } }, 'metadata.a.0'],
    ['a nested array inside an object in an array', { metadata: { a: [{ b: [1, []] }] } }, 'metadata.a.0.b.1'],
  ])('when it has %s, then it is rejected at that path', (_label, override, path) => {
    const issues = issuesOf({ ...anActivityInput(), ...override });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((i) => i.startsWith(path))).toBe(true);
  });

  it('when metadata carries __proto__ as an own key, then it is rejected', () => {
    const metadata = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(issuesOf({ ...anActivityInput(), metadata })).toEqual([expect.stringContaining('metadata.__proto__')]);
  });

  it('when metadata nests arrays, then each array inside an array is named with the rule that refuses it', () => {
    const result = schema.safeParse(anActivityInput({ metadata: { grid: [[1], [2, [3]]] } }));
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['metadata', 'grid', 0], message: NESTED_ARRAY_MESSAGE }),
      expect.objectContaining({ path: ['metadata', 'grid', 1], message: NESTED_ARRAY_MESSAGE }),
      expect.objectContaining({ path: ['metadata', 'grid', 1, 1], message: NESTED_ARRAY_MESSAGE }),
    ]);
    expect(result.error?.issues[0]).toMatchObject({ params: { rule: CONTRACT_RULES.metadataContent } });
    expect(NESTED_ARRAY_MESSAGE).toMatch(/^nested arrays are not supported: FerretDB/);
  });

  it.each([
    ['a date 4 minutes ahead', { occurredAt: '2026-01-01T10:04:00Z' }],
    ['a date with a +02:00 offset', { occurredAt: '2026-01-01T11:00:00+02:00' }],
    ['metadata nested exactly 5 deep', { metadata: nested(5) }],
    ['an emoji (a paired surrogate) in a metadata string', { metadata: { q: 'caf\u00e9 \uD83D\uDE00' } }],
    ['a SEARCH with a 512-char query', { type: 'SEARCH', metadata: { query: 'q'.repeat(512) } }],
    ['a userId of 128 chars with every allowed symbol', { userId: `${'a'.repeat(120)}_.:@-Z09` }],
    ['arrays of scalars and of objects that hold arrays', { metadata: { tags: ['a'], rows: [{ cells: [1, 2] }] } }],
  ])('when it has %s, then it is accepted', (_label, override) => {
    expect(issuesOf({ ...anActivityInput(), ...override })).toEqual([]);
  });
});

describe('activity event schema (what the worker accepts from the topic)', () => {
  it.each([
    ['a NUL in the user agent', { context: { userAgent: 'curl\u0000' } }, 'context.userAgent'],
    ['a NUL in a metadata value', { metadata: { q: 'a\u0000b' } }, 'metadata.q'],
    ['an array inside an array in metadata', { metadata: { a: [[1]] } }, 'metadata.a.0'],
  ])('when a producer other than the API sends %s, then it is rejected at that path', (_label, override, path) => {
    const result = ActivityEventSchema.safeParse({ ...anActivity(), ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('the source an event came from', () => {
  it.each(['web', 'ios', 'backend-eu-1', `a${'b'.repeat(39)}`])(
    'when an event carries the source id %s, then it is valid',
    (sourceId) => {
      expect(ActivityEventSchema.safeParse({ ...anActivity(), sourceId }).success).toBe(true);
      expect(SOURCE_ID_PATTERN.test(sourceId)).toBe(true);
    },
  );

  it.each(['', 'Web', '1web', '-web', 'web_app', 'web.app', `a${'b'.repeat(40)}`])(
    'when an event carries the malformed source id "%s", then it is rejected at sourceId',
    (sourceId) => {
      const result = ActivityEventSchema.safeParse({ ...anActivity(), sourceId });
      expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['sourceId']);
    },
  );

  it('when a client sends a sourceId in its input, then it is refused (only the API stamps it, from the key)', () => {
    expect(issuesOf({ ...anActivityInput(), sourceId: 'web' })).toEqual([expect.stringMatching(/Unrecognized key/)]);
  });
});
