/** E11000: a unique index said "already there"; for our inserts, that means already stored. */
export const DUPLICATE_KEY = 11000;

export type WriteErrorLike = {
  index?: number;
  code?: number;
  err?: { code?: number; errmsg?: string };
  errmsg?: string;
};

/** Mongoose copies the driver's WriteErrors into plain objects, losing the `code` getter; `err.code` survives. */
export function writeErrorsOf(err: unknown): WriteErrorLike[] {
  const list = (err as { writeErrors?: WriteErrorLike | WriteErrorLike[] } | null)?.writeErrors;
  if (list === undefined || list === null) return [];
  return Array.isArray(list) ? list : [list];
}

export const codeOf = (w: WriteErrorLike) => w.code ?? w.err?.code;
export const messageOf = (w: WriteErrorLike) => w.errmsg ?? w.err?.errmsg ?? 'write error';
