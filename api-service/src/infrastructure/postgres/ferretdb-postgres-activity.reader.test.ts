import { FLAGGED_PREDICATE, READ_INDEXES } from './ferretdb-layout';
import { buildCountSql, buildPageSql, buildViolationPageSql, toRecord } from './ferretdb-postgres-activity.reader';

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
    expect(READ_INDEXES.filter((index) => index.where !== undefined).map((index) => index.where)).toEqual([
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
