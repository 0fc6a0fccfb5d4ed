import { buildCountSql, buildPageSql, toRecord } from './ferretdb-postgres-activity.reader';

const T = '"db"."activities_1"';

describe('FerretDB PostgreSQL reader SQL', () => {
  it('when several types are asked for, then each type is its own ordered branch limited to skip + limit, merged outside', () => {
    const { text, values } = buildPageSql(T, {
      filters: { types: ['LOGIN', 'CLICK', 'LOGIN'] },
      sort: 'asc',
      skip: 40,
      limit: 20,
    });
    expect(text.match(/UNION ALL/g)).toHaveLength(1);
    expect(text.match(/LIMIT 60\)/g)).toHaveLength(2);
    expect(text).toMatch(/ORDER BY o ASC, e ASC LIMIT 20 OFFSET 40$/);
    expect(values).toEqual(['"LOGIN"', '"CLICK"']);
  });

  it('when resuming after a cursor, then the keyset is a row comparison on the index expressions, as jsonb', () => {
    const { text, values } = buildPageSql(T, {
      filters: { userId: 'u"1', from: new Date(1000), to: new Date(5000) },
      sort: 'desc',
      after: { occurredAt: new Date(3000), eventId: 'e-1' },
      limit: 21,
    });
    expect(text).toContain(
      "WHERE (_jsonb -> 'userId') = $1::jsonb AND (_jsonb -> 'occurredAt') >= $2::jsonb AND (_jsonb -> 'occurredAt') < $3::jsonb " +
        "AND ((_jsonb -> 'occurredAt'), (_jsonb -> 'eventId')) < ($4::jsonb, $5::jsonb)",
    );
    expect(text).toMatch(/ORDER BY \(_jsonb -> 'occurredAt'\) DESC, \(_jsonb -> 'eventId'\) DESC LIMIT 21$/);
    // Values travel as parameters, JSON-encoded: a quote in a userId stays data.
    expect(values).toEqual(['"u\\"1"', '1000', '5000', '3000', '"e-1"']);
  });

  it('when counting, then at most upTo rows are visited', () => {
    const { text, values } = buildCountSql(T, { types: ['LOGIN', 'SEARCH'] }, 10_001);
    expect(text).toBe(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${T} WHERE (_jsonb -> 'type') IN ($1::jsonb, $2::jsonb) LIMIT 10001) AS matches`,
    );
    expect(values).toEqual(['"LOGIN"', '"SEARCH"']);
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
});
