import { createHash } from 'node:crypto';
import { z } from 'zod';

export type SortOrder = 'asc' | 'desc';

/** The last row of a page in (time, id) order: the keyset a cursor resumes after. */
export interface KeysetKey {
  readonly time: Date;
  readonly id: string;
}

export type KeysetDecodeResult =
  | { readonly ok: true; readonly key: KeysetKey }
  | { readonly ok: false; readonly reason: 'malformed' | 'filters-changed' | 'sort-changed' };

/** Same filters in any spelling give the same fingerprint: callers pass them in a canonical form. */
export function fingerprintOf(canonical: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 22);
}

// Short keys keep cursors small in URLs. The cursor is opaque but not secret: tampering with it can
// only move the position within the same query, because filters are re-sent and checked on every page.
const payloadSchema = (id: z.ZodType<string>) =>
  z.strictObject({
    v: z.literal(1),
    t: z.int().min(-8.64e15).max(8.64e15),
    i: id,
    s: z.enum(['asc', 'desc']),
    f: z.string().length(22),
  });

export function encodeKeysetCursor(key: KeysetKey, fingerprint: string, sort: SortOrder): string {
  return Buffer.from(JSON.stringify({ v: 1, t: key.time.getTime(), i: key.id, s: sort, f: fingerprint })).toString(
    'base64url',
  );
}

/** Decodes a cursor and checks it belongs to the query (filters and sort) it is sent with. */
export function decodeKeysetCursor(
  cursor: string,
  fingerprint: string,
  sort: SortOrder,
  idSchema: z.ZodType<string>,
): KeysetDecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = payloadSchema(idSchema).safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  if (parsed.data.s !== sort) return { ok: false, reason: 'sort-changed' };
  if (parsed.data.f !== fingerprint) return { ok: false, reason: 'filters-changed' };
  return { ok: true, key: { time: new Date(parsed.data.t), id: parsed.data.i } };
}
