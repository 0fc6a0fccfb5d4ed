import { FLAGGED_PREDICATE, READ_INDEXES, SOURCE_EXPRESSION, SOURCE_PREDICATE } from './ferretdb-layout';
import {
  buildCountSql,
  buildPageSql,
  buildViolationPageSql,
  MAX_ANONYMOUS_BRANCHES,
  toRecord,
} from './ferretdb-postgres-activity.reader';

const T = '"db"."activities_1"';

describe('FerretDB PostgreSQL reader SQL', () => {
  it('when several types are asked for, then each type is its own ordered branch, merged outside', () => {
    const { text, values } = buildPageSql(T, {
      filters: { types: ['LOGIN', 'CLICK', 'LOGIN'] },
      sort: 'asc',
      limit: 20,
    });
    expect(text.match(/UNION ALL/g)).toHaveLength(1);
    expect(text.match(/LIMIT 20\)/g)).toHaveLength(2);
    expect(text).toMatch(/ORDER BY o ASC, e ASC LIMIT 20$/);
    expect(values).toEqual(['"LOGIN"', '"CLICK"']);
  });

  it('when an offset page is asked for, then a boundary key is found in the index first and the page is read from it', () => {
    const { text, values } = buildPageSql(T, {
      filters: { types: ['LOGIN', 'CLICK'] },
      sort: 'asc',
      skip: 40,
      limit: 20,
    });
    // The boundary reads only the read columns (index-only), each branch at most skip + 1 keys.
    expect(text).toMatch(
      /^WITH boundary AS MATERIALIZED \(SELECT o, e FROM \(\(SELECT uap_occurred_at AS o, uap_event_id AS e FROM/,
    );
    expect(text.match(/LIMIT 41\)/g)).toHaveLength(2);
    expect(text).toContain('ORDER BY o ASC, e ASC LIMIT 1 OFFSET 40)');
    expect(text.match(/\(uap_occurred_at, uap_event_id\) >= \(SELECT o, e FROM boundary\)/g)).toHaveLength(2);
    expect(text).toMatch(/ORDER BY o ASC, e ASC LIMIT 20$/);
    expect(text).not.toMatch(/OFFSET 40$/);
    expect(values).toEqual(['"LOGIN"', '"CLICK"']);
    expect(buildPageSql(T, { filters: {}, sort: 'desc', skip: 5, limit: 2 }).text).toContain(
      '(uap_occurred_at, uap_event_id) <= (SELECT o, e FROM boundary) ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 2',
    );
  });

  it('when resuming after a cursor, then the keyset is a row comparison on the read columns, as jsonb', () => {
    const { text, values } = buildPageSql(T, {
      filters: { userId: 'u"1', from: new Date(1000), to: new Date(5000) },
      sort: 'desc',
      after: { occurredAt: new Date(3000), eventId: 'e-1' },
      limit: 21,
    });
    expect(text).toContain(
      'WHERE uap_user_id = $1::jsonb AND uap_occurred_at >= $2::jsonb AND uap_occurred_at < $3::jsonb ' +
        'AND (uap_occurred_at, uap_event_id) < ($4::jsonb, $5::jsonb)',
    );
    expect(text).toMatch(/ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 21$/);
    // Values travel as parameters, JSON-encoded: a quote in a userId stays data.
    expect(values).toEqual(['"u\\"1"', '1000', '5000', '3000', '"e-1"']);
  });

  it('when one visitor is asked for, then the anonymousId is one more equality, on its indexed expression', () => {
    const { text, values } = buildPageSql(T, {
      filters: { anonymousId: 'a-1', types: ['LOGIN'] },
      sort: 'desc',
      limit: 21,
    });
    expect(text).toBe(
      `SELECT _jsonb FROM ${T} WHERE uap_type = $1::jsonb AND (_jsonb -> 'anonymousId'::text) = $2::jsonb ` +
        'ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 21',
    );
    expect(values).toEqual(['"LOGIN"', '"a-1"']);
  });

  it('when a source is asked for, then it is one more equality on the expression its partial index is built on', () => {
    const { text, values } = buildPageSql(T, {
      filters: { sourceId: 'web', from: new Date(1000) },
      sort: 'desc',
      after: { occurredAt: new Date(3000), eventId: 'e-1' },
      limit: 21,
    });
    expect(text).toBe(
      `SELECT _jsonb FROM ${T} WHERE (_jsonb -> 'sourceId'::text) = $1::jsonb AND uap_occurred_at >= $2::jsonb ` +
        'AND (uap_occurred_at, uap_event_id) < ($3::jsonb, $4::jsonb) ' +
        'ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 21',
    );
    expect(values).toEqual(['"web"', '1000', '3000', '"e-1"']);
    // `=` is strict, so the equality implies the index's `IS NOT NULL`: no extra clause is needed to make it eligible.
    const index = READ_INDEXES.find((i) => i.suffix === 'uap_source_idx');
    expect(index).toEqual({
      suffix: 'uap_source_idx',
      columns: `(${SOURCE_EXPRESSION}), uap_occurred_at DESC, uap_event_id DESC`,
      where: SOURCE_PREDICATE,
    });
    expect(SOURCE_PREDICATE).toBe("((_jsonb -> 'sourceId'::text) IS NOT NULL)");
  });

  it('when a source and several types are asked for, then each type’s branch carries the source', () => {
    const { text, values } = buildPageSql(T, {
      filters: { sourceId: 'ios', types: ['LOGIN', 'CLICK'] },
      sort: 'asc',
      limit: 5,
    });
    expect(text).toContain(`WHERE uap_type = $1::jsonb AND (_jsonb -> 'sourceId'::text) = $3::jsonb ORDER BY`);
    expect(text).toContain(`WHERE uap_type = $2::jsonb AND (_jsonb -> 'sourceId'::text) = $3::jsonb ORDER BY`);
    expect(text.match(/UNION ALL/g)).toHaveLength(1);
    expect(values).toEqual(['"LOGIN"', '"CLICK"', '"ios"']);
  });

  it('when a source is counted, then the capped count walks in page order, so that only an index stops it early', () => {
    const { text, values } = buildCountSql(T, { sourceId: 'backend', types: ['LOGIN'] }, 10_001);
    expect(text).toBe(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${T} WHERE (_jsonb -> 'sourceId'::text) = $1::jsonb ` +
        'AND uap_type IN ($2::jsonb) ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 10001) AS matches',
    );
    expect(values).toEqual(['"backend"', '"LOGIN"']);
  });

  it('when a user’s history is asked for, then the user and each linked id are ordered walks, merged without duplicates', () => {
    const { text, values } = buildPageSql(T, {
      filters: { userId: 'u-1', linkedAnonymousIds: ['a-1', 'a-2'] },
      sort: 'desc',
      after: { occurredAt: new Date(3000), eventId: 'e-1' },
      limit: 21,
    });
    const keyset = '(uap_occurred_at, uap_event_id) < ($2::jsonb, $3::jsonb)';
    const walk = (where: string) =>
      `(SELECT _jsonb, uap_occurred_at AS o, uap_event_id AS e FROM ${T} WHERE ${where} ` +
      'ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 21)';
    // A linked id's events that name the user are the user's own too (DISTINCT ON drops the copy); another user's
    // are that user's.
    const visitor = (n: number) =>
      `(_jsonb -> 'anonymousId'::text) = $${n}::jsonb AND (uap_user_id IS NULL OR uap_user_id = $1::jsonb)`;
    expect(text).toBe(
      `SELECT DISTINCT ON (o, e) _jsonb FROM (${[
        walk(`uap_user_id = $1::jsonb AND ${keyset}`),
        walk(`${visitor(4)} AND ${keyset}`),
        walk(`${visitor(5)} AND ${keyset}`),
      ].join(' UNION ALL ')}) AS branches ORDER BY o DESC, e DESC LIMIT 21`,
    );
    expect(values).toEqual(['"u-1"', '3000', '"e-1"', '"a-1"', '"a-2"']);
  });

  it('when a history has types, then the user has a walk per type and each linked id filters the types', () => {
    const { text } = buildPageSql(T, {
      filters: { userId: 'u-1', linkedAnonymousIds: ['a-1'], types: ['LOGIN', 'SEARCH'] },
      sort: 'asc',
      limit: 5,
    });
    expect(text).toContain('WHERE uap_user_id = $1::jsonb AND uap_type = $2::jsonb ORDER BY');
    expect(text).toContain('WHERE uap_user_id = $1::jsonb AND uap_type = $3::jsonb ORDER BY');
    expect(text).toContain(
      "WHERE (_jsonb -> 'anonymousId'::text) = $4::jsonb AND (uap_user_id IS NULL OR uap_user_id = $1::jsonb) AND uap_type IN ($2::jsonb, $3::jsonb) ORDER BY",
    );
    expect(text.match(/UNION ALL/g)).toHaveLength(2);
  });

  it('when a history has no linked id, then it is the user’s walk alone, as the list filtered by userId', () => {
    const history = buildPageSql(T, { filters: { userId: 'u-1', linkedAnonymousIds: [] }, sort: 'desc', limit: 21 });
    expect(history).toEqual(buildPageSql(T, { filters: { userId: 'u-1' }, sort: 'desc', limit: 21 }));
  });

  it('when a user linked more ids than walk one by one, then one branch walks each id under a LATERAL join, a page each', () => {
    const ids = Array.from({ length: MAX_ANONYMOUS_BRANCHES + 1 }, (_, i) => `a-${i}`);
    const { text, values } = buildPageSql(T, {
      filters: { userId: 'u-1', linkedAnonymousIds: ids },
      sort: 'desc',
      limit: 3,
    });
    expect(text.match(/UNION ALL/g)).toHaveLength(1);
    expect(text).toContain(
      '(SELECT walk.* FROM unnest($2::jsonb[]) AS visitor(id) CROSS JOIN LATERAL (SELECT _jsonb, uap_occurred_at AS o, ' +
        `uap_event_id AS e FROM ${T} WHERE (_jsonb -> 'anonymousId'::text) = visitor.id AND (uap_user_id IS NULL OR uap_user_id = $1::jsonb) ` +
        'ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 3) AS walk ORDER BY walk.o DESC, walk.e DESC LIMIT 3)',
    );
    expect(values).toEqual(['"u-1"', ids.map((id) => JSON.stringify(id))]);
  });

  it('when an offset page of a history is asked for, then the boundary is found among distinct keys too', () => {
    const { text } = buildPageSql(T, {
      filters: { userId: 'u-1', linkedAnonymousIds: ['a-1'] },
      sort: 'desc',
      skip: 40,
      limit: 20,
    });
    expect(text).toMatch(/^WITH boundary AS MATERIALIZED \(SELECT DISTINCT ON \(o, e\) o, e FROM /);
    expect(text).toContain('ORDER BY o DESC, e DESC LIMIT 1 OFFSET 40)');
    expect(text.match(/\(uap_occurred_at, uap_event_id\) <= \(SELECT o, e FROM boundary\)/g)).toHaveLength(2);
    expect(text).toMatch(/^WITH .* SELECT DISTINCT ON \(o, e\) _jsonb FROM .* ORDER BY o DESC, e DESC LIMIT 20$/);
  });

  it('when a history is counted, then the distinct keys of its capped walks are counted, up to upTo', () => {
    const { text, values } = buildCountSql(T, { userId: 'u-1', linkedAnonymousIds: ['a-1'] }, 10_001);
    expect(text).toBe(
      `SELECT count(*)::int AS n FROM (SELECT uap_type FROM (` +
        `(SELECT uap_occurred_at, uap_event_id, uap_type FROM ${T} WHERE uap_user_id = $1::jsonb LIMIT 10001) UNION ` +
        `(SELECT uap_occurred_at, uap_event_id, uap_type FROM ${T} WHERE (_jsonb -> 'anonymousId'::text) = $2::jsonb AND ` +
        '(uap_user_id IS NULL OR uap_user_id = $1::jsonb) LIMIT 10001)) AS branches LIMIT 10001) AS matches',
    );
    expect(values).toEqual(['"u-1"', '"a-1"']);
  });

  it('when violations of one kind and type are asked for, then one walk states the partial indexes’ predicate, the flag, the type and the keyset', () => {
    const { text, values } = buildViolationPageSql(T, {
      filters: { type: 'VIDEO_PLAY', kind: 'flagged' },
      after: { occurredAt: new Date(3000), eventId: 'e-1' },
      limit: 51,
    });
    expect(text).toBe(
      `SELECT _jsonb FROM ${T} WHERE (_jsonb ? 'flagged'::text) AND (_jsonb -> 'flagged'::text) = $1::jsonb ` +
        'AND uap_type = $2::jsonb AND (uap_occurred_at, uap_event_id) < ($3::jsonb, $4::jsonb) ' +
        'ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 51',
    );
    expect(values).toEqual(['"metadata"', '"VIDEO_PLAY"', '3000', '"e-1"']);
  });

  it('when violations of both kinds are asked for, then each flag is its own ordered branch, each repeating the predicate, merged outside', () => {
    const { text, values } = buildViolationPageSql(T, { filters: {}, limit: 51 });
    expect(text.match(/UNION ALL/g)).toHaveLength(1);
    expect(text.split(FLAGGED_PREDICATE)).toHaveLength(3);
    expect(text.match(/ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 51\)/g)).toHaveLength(2);
    expect(text).toMatch(/ORDER BY o DESC, e DESC LIMIT 51$/);
    expect(values).toEqual(['"unplanned"', '"metadata"']);
    // The predicate the query states is the one the partial indexes are built with, verbatim.
    expect(READ_INDEXES.filter((index) => index.suffix.startsWith('uap_flagged')).map((index) => index.where)).toEqual([
      FLAGGED_PREDICATE,
      FLAGGED_PREDICATE,
    ]);
  });

  it('when counting, then at most upTo rows are visited', () => {
    const { text, values } = buildCountSql(T, { types: ['LOGIN', 'SEARCH'] }, 10_001);
    expect(text).toBe(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${T} WHERE uap_type IN ($1::jsonb, $2::jsonb) LIMIT 10001) AS matches`,
    );
    expect(values).toEqual(['"LOGIN"', '"SEARCH"']);
  });

  it('when counting by type, then the same capped scan is grouped by the type column', () => {
    const { text, values } = buildCountSql(T, { from: new Date(1000), to: new Date(2000) }, 101, true);
    expect(text).toBe(
      `SELECT uap_type AS t, count(*)::int AS n FROM (SELECT uap_type FROM ${T} ` +
        'WHERE uap_occurred_at >= $1::jsonb AND uap_occurred_at < $2::jsonb LIMIT 101) AS matches GROUP BY uap_type',
    );
    expect(values).toEqual(['1000', '2000']);
  });

  it('when a stored row is decoded, then $s goes, dates come back from epoch ms and optional fields stay absent', () => {
    const record = toRecord({
      $s: {
        p: {
          eventId: { t: 'string' },
          userId: { t: 'string' },
          type: { t: 'string' },
          occurredAt: { t: 'date' },
          receivedAt: { t: 'date' },
          metadata: { t: 'object', $s: { p: { at: { t: 'date' } }, $k: ['at'] } },
          context: { t: 'object', $s: {} },
          schemaVersion: { t: 'int' },
        },
        $k: ['eventId', 'userId', 'type', 'occurredAt', 'receivedAt', 'metadata', 'context', 'schemaVersion'],
      },
      eventId: 'e',
      userId: 'u',
      type: 'LOGIN',
      occurredAt: 1000,
      receivedAt: 2000,
      metadata: { at: 3000 },
      context: {},
      schemaVersion: 1,
    });
    expect(record).toEqual({
      eventId: 'e',
      userId: 'u',
      type: 'LOGIN',
      occurredAt: new Date(1000),
      receivedAt: new Date(2000),
      metadata: { at: new Date(3000) },
      context: {},
      schemaVersion: 1,
    });
  });
  it('when a stored row is a visitor’s Segment event, then the record has its anonymousId and envelope, and no userId', () => {
    const record = toRecord({
      $s: {
        p: {
          eventId: { t: 'string' },
          anonymousId: { t: 'string' },
          type: { t: 'string' },
          occurredAt: { t: 'date' },
          receivedAt: { t: 'date' },
          metadata: { t: 'object', $s: {} },
          context: { t: 'object', $s: {} },
          schemaVersion: { t: 'int' },
          segment: {
            t: 'object',
            $s: {
              p: { call: { t: 'string' }, messageId: { t: 'string' }, context: { t: 'object', $s: { p: {}, $k: [] } } },
              $k: ['call', 'messageId', 'context'],
            },
          },
        },
        $k: [
          'eventId',
          'anonymousId',
          'type',
          'occurredAt',
          'receivedAt',
          'metadata',
          'context',
          'schemaVersion',
          'segment',
        ],
      },
      eventId: 'e',
      anonymousId: 'a-1',
      type: 'PAGE_VIEW',
      occurredAt: 1000,
      receivedAt: 2000,
      metadata: {},
      context: {},
      schemaVersion: 1,
      segment: { call: 'page', messageId: 'm-1', context: {} },
    });
    expect(record).toMatchObject({ anonymousId: 'a-1', segment: { call: 'page', messageId: 'm-1', context: {} } });
    expect(record).not.toHaveProperty('userId');
  });

  it('when a stored row carries the source of its key, then the record has it; a row without one has none', () => {
    const row = (extra: Record<string, unknown>) => {
      const fields = { eventId: 'e', userId: 'u', type: 'LOGIN', schemaVersion: 1, ...extra };
      const types = { eventId: 'string', userId: 'string', type: 'string', schemaVersion: 'int', sourceId: 'string' };
      const keys = Object.keys(fields);
      return {
        $s: { p: Object.fromEntries(keys.map((k) => [k, { t: types[k as keyof typeof types] }])), $k: keys },
        ...fields,
      };
    };
    expect(toRecord(row({ sourceId: 'web' }))).toMatchObject({ sourceId: 'web' });
    expect(toRecord(row({}))).not.toHaveProperty('sourceId');
  });

  it('when a stored row carries typeVersion, planned and violations, then the record has them as the worker wrote them', () => {
    const record = toRecord({
      $s: {
        p: {
          eventId: { t: 'string' },
          userId: { t: 'string' },
          type: { t: 'string' },
          occurredAt: { t: 'date' },
          receivedAt: { t: 'date' },
          metadata: { t: 'object', $s: {} },
          context: { t: 'object', $s: {} },
          schemaVersion: { t: 'int' },
          typeVersion: { t: 'int' },
          planned: { t: 'bool' },
          violations: {
            t: 'array',
            i: [
              {
                t: 'object',
                $s: { p: { pointer: { t: 'string' }, message: { t: 'string' } }, $k: ['pointer', 'message'] },
              },
            ],
          },
        },
        $k: [
          'eventId',
          'userId',
          'type',
          'occurredAt',
          'receivedAt',
          'metadata',
          'context',
          'schemaVersion',
          'typeVersion',
          'planned',
          'violations',
        ],
      },
      eventId: 'e',
      userId: 'u',
      type: 'VIDEO_PLAY',
      occurredAt: 1000,
      receivedAt: 2000,
      metadata: {},
      context: {},
      schemaVersion: 1,
      typeVersion: 4,
      planned: false,
      violations: [{ pointer: '/metadata/seconds', message: 'must be integer' }],
    });
    expect(record).toMatchObject({
      type: 'VIDEO_PLAY',
      typeVersion: 4,
      planned: false,
      violations: [{ pointer: '/metadata/seconds', message: 'must be integer' }],
    });
  });
});
