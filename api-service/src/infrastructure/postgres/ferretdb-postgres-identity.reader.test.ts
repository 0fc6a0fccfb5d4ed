import { IDENTIFY_PREDICATE, LINK_PREDICATE, READ_INDEXES } from './ferretdb-layout';
import {
  buildLatestIdentifiesSql,
  buildLinkedAnonymousIdsSql,
  FerretDbPostgresIdentityReader,
} from './ferretdb-postgres-identity.reader';

const T = '"db"."activities_1"';

describe('FerretDB PostgreSQL identity SQL', () => {
  it('when a user’s linked ids are asked for, then its links are kept only where the earliest link of the id is its own', () => {
    const { text, values } = buildLinkedAnonymousIdsSql(T, 'u"1');
    expect(text).toBe(
      `SELECT mine.link FROM (SELECT DISTINCT (_jsonb -> 'identityLink'::text) AS link FROM ${T} ` +
        "WHERE uap_user_id = $1::jsonb AND ((_jsonb -> 'identityLink'::text) IS NOT NULL)) AS mine " +
        `WHERE (SELECT earliest.uap_user_id FROM ${T} AS earliest WHERE (earliest._jsonb -> 'identityLink'::text) = mine.link ` +
        'ORDER BY earliest.uap_occurred_at, earliest.uap_event_id LIMIT 1) = $1::jsonb',
    );
    expect(values).toEqual(['"u\\"1"']);
  });

  it('when the latest identifies are asked for, then the query states the partial index’s predicate verbatim', () => {
    const { text, values } = buildLatestIdentifiesSql(T, 'u-1', 10_001);
    expect(text).toContain(`WHERE uap_user_id = $1::jsonb AND ${IDENTIFY_PREDICATE} ORDER BY`);
    expect(text).toMatch(/ORDER BY uap_occurred_at DESC, uap_event_id DESC LIMIT 10001$/);
    expect(values).toEqual(['"u-1"']);
    const predicates = Object.fromEntries(READ_INDEXES.map((index) => [index.suffix, index.where]));
    expect(predicates).toMatchObject({
      uap_identify_idx: IDENTIFY_PREDICATE,
      uap_link_user_idx: LINK_PREDICATE,
      uap_link_first_idx: LINK_PREDICATE,
    });
    expect(IDENTIFY_PREDICATE).toBe(`(uap_type = '"IDENTIFY"'::jsonb)`);
  });

  it('when rows come back, then links are sorted and traits decoded with their stored schema', async () => {
    const reader = new FerretDbPostgresIdentityReader({
      query: async (build) =>
        build(T).text.startsWith('SELECT mine.link')
          ? [{ link: 'b' }, { link: 'a' }]
          : [
              {
                traits: { plan: 'pro', since: 1000 },
                schema: {
                  t: 'object',
                  $s: { p: { plan: { t: 'string' }, since: { t: 'date' } }, $k: ['plan', 'since'] },
                },
                o: 2000,
                e: 'e-2',
              },
              { traits: null, schema: null, o: 1000, e: 'e-1' },
            ],
    });
    expect(await reader.linkedAnonymousIds('u-1')).toEqual(['a', 'b']);
    expect(await reader.latestIdentifies('u-1', 2)).toEqual([
      { eventId: 'e-2', occurredAt: new Date(2000), traits: { plan: 'pro', since: new Date(1000) } },
      { eventId: 'e-1', occurredAt: new Date(1000), traits: {} },
    ]);
  });
});
