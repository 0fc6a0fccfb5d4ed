import { IDENTITY_LINK_FIELD } from '@uap/shared/contract';
import { jsonbString } from '@uap/shared/runtime';
import type { IdentifyRecord, IdentityReader } from '../../application/ports/identity-reader.port';
import {
  decodeValue,
  IDENTIFY_PREDICATE,
  LINK_EXPRESSION,
  LINK_PREDICATE,
  READ_COLUMNS,
  storedField,
  type FieldSchema,
} from './ferretdb-layout';

const USER = READ_COLUMNS.userId;
const OCCURRED = READ_COLUMNS.occurredAt;
const EVENT = READ_COLUMNS.eventId;

/** How the identity reader reaches the activities table: FerretDbPostgresActivityReader.query (its pool, its 503s). */
export interface FerretDbActivitiesSql {
  query(build: (table: string) => { text: string; values: unknown[] }): Promise<Record<string, unknown>[]>;
}

/**
 * The anonymous ids whose earliest link names the user: the user's distinct links (uap_link_user_idx), each kept
 * when the earliest link of that id, by (occurredAt, eventId), is the user's (one row of uap_link_first_idx each).
 * The links a user made are few (one per browser or device, however often it identifies), so is the subquery's work.
 * The user's links state LINK_PREDICATE (nothing else there implies it); the earliest link's equality on the link
 * implies it.
 */
export function buildLinkedAnonymousIdsSql(table: string, userId: string): { text: string; values: string[] } {
  return {
    text:
      `SELECT mine.link FROM (SELECT DISTINCT ${LINK_EXPRESSION} AS link FROM ${table} WHERE ${USER} = $1::jsonb AND ${LINK_PREDICATE}) AS mine ` +
      `WHERE (SELECT earliest.${USER} FROM ${table} AS earliest WHERE ${storedField(IDENTITY_LINK_FIELD, 'earliest')} = mine.link ` +
      `ORDER BY earliest.${OCCURRED}, earliest.${EVENT} LIMIT 1) = $1::jsonb`,
    values: [jsonbString(userId)],
  };
}

/**
 * The user's latest IDENTIFY events, newest first, from uap_identify_idx (its predicate stated verbatim, which is
 * what lets PostgreSQL use a partial index): only the traits and their schema are read from each document.
 */
export function buildLatestIdentifiesSql(
  table: string,
  userId: string,
  limit: number,
): { text: string; values: string[] } {
  return {
    text:
      `SELECT _jsonb -> 'metadata' AS traits, _jsonb -> '$s' -> 'p' -> 'metadata' AS schema, ${OCCURRED} AS o, ${EVENT} AS e ` +
      `FROM ${table} WHERE ${USER} = $1::jsonb AND ${IDENTIFY_PREDICATE} ` +
      `ORDER BY ${OCCURRED} DESC, ${EVENT} DESC LIMIT ${limit}`,
    values: [jsonbString(userId)],
  };
}

/**
 * Identity links and IDENTIFY traits by SQL on FerretDB's PostgreSQL tables, over the api's partial indexes
 * (ferretdb-layout.ts), for the reason the activity reader reads that way: through its wire FerretDB uses no index.
 * Exact for the same reasons: ids are strings and compare bytewise, occurredAt is a Date stored as epoch ms.
 */
export class FerretDbPostgresIdentityReader implements IdentityReader {
  constructor(private readonly activities: FerretDbActivitiesSql) {}

  async linkedAnonymousIds(userId: string): Promise<string[]> {
    const rows = await this.activities.query((table) => buildLinkedAnonymousIdsSql(table, userId));
    return rows.map((row) => String(row['link'])).sort();
  }

  async latestIdentifies(userId: string, limit: number): Promise<IdentifyRecord[]> {
    const rows = await this.activities.query((table) => buildLatestIdentifiesSql(table, userId, limit));
    return rows.map((row) => ({
      eventId: String(row['e']),
      occurredAt: new Date(Number(row['o'])),
      traits: (row['traits'] === null
        ? {}
        : decodeValue(row['traits'], (row['schema'] as FieldSchema | null) ?? { t: 'object' })) as Record<
        string,
        unknown
      >,
    }));
  }
}
