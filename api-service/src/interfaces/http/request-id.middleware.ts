import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// Sane means safe to echo into headers and logs: short, and no spaces, quotes or control characters.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function pickRequestId(candidate: string | undefined): string {
  return candidate !== undefined && SANE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}

/** Accepts the client's X-Request-Id when sane, otherwise generates one; every response carries it. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = pickRequestId(req.get(REQUEST_ID_HEADER));
    res.locals['requestId'] = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
