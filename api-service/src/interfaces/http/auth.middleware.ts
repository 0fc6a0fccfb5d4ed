import type { Request, RequestHandler, Response } from 'express';
import { findApiKey, hasScope, scopeFor, type ApiKeyEntry } from '../../domain/api-key';
import type { TicketRedemption } from '../../domain/stream-ticket';
import { PROBLEMS, sendProblem } from './problem';

export interface AuthOptions {
  /** The configured keys, or 'disabled' when the API runs without authentication (logged at start-up). */
  apiKeys: readonly ApiKeyEntry[] | 'disabled';
  /** Where a `?ticket=` stands in for the key (the live stream: EventSource cannot send headers). */
  tickets?: { path: string; redeem: (ticket: string) => TicketRedemption };
  /** Paths served without a key; each also covers its sub-paths (`/docs` covers `/docs/x`). */
  publicPaths: readonly string[];
}

type Credential = { key: string } | { failure: string } | undefined;

const BEARER = /^Bearer +(\S+) *$/i;
const CHALLENGE = 'Bearer realm="api"';

/** Express matches paths case-insensitively and ignores a trailing slash; the public check must agree. */
export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  const normalized = path.replace(/\/+$/, '').toLowerCase() || '/';
  return publicPaths.some((p) => {
    const base = p.replace(/\/+$/, '').toLowerCase() || '/';
    return normalized === base || normalized.startsWith(`${base}/`);
  });
}

function credentialOf(req: Request): Credential {
  const authorization = req.get('authorization');
  const headerKey = req.get('x-api-key');
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match) return { failure: 'Only the Bearer scheme is supported: send "Authorization: Bearer <key>"' };
    bearer = match[1];
  }
  // Two different keys in one request: refuse rather than guess which one the client meant.
  if (bearer !== undefined && headerKey !== undefined && bearer !== headerKey) {
    return { failure: 'Authorization and X-API-Key carry different keys; send one' };
  }
  const key = bearer ?? headerKey;
  return key === undefined ? undefined : { key };
}

/** The key that authenticated this request, if any (set by `identifyApiKey`). */
export function apiKeyOf(res: Response): ApiKeyEntry | undefined {
  return res.locals['apiKey'] as ApiKeyEntry | undefined;
}

/**
 * Two steps so the rate limiter can sit between them: `identify` only works out who is calling
 * (a valid key, or nobody), `authorize` then answers 401/403. Unauthenticated requests thus count
 * against their IP's limit before they are refused, which slows down key guessing.
 */
export function apiKeyAuth(options: AuthOptions): { identify: RequestHandler; authorize: RequestHandler } {
  if (options.apiKeys === 'disabled') {
    const pass: RequestHandler = (_req, _res, next) => next();
    return { identify: pass, authorize: pass };
  }
  const entries = options.apiKeys;
  const identify: RequestHandler = (req, res, next) => {
    if (isPublicPath(req.path, options.publicPaths)) {
      next();
      return;
    }
    const credential = credentialOf(req);
    const ticket = req.query['ticket'];
    if (
      credential === undefined &&
      options.tickets &&
      req.path === options.tickets.path &&
      typeof ticket === 'string'
    ) {
      const redeemed = options.tickets.redeem(ticket);
      const entry = redeemed.ok ? entries.find((e) => e.id === redeemed.keyId) : undefined;
      if (entry !== undefined) res.locals['apiKey'] = entry;
      else res.locals['authFailure'] = redeemed.ok ? 'The key this ticket was issued for is gone' : redeemed.reason;
      next();
      return;
    }
    if (credential !== undefined && 'key' in credential) {
      const entry = findApiKey(credential.key, entries);
      if (entry !== undefined) res.locals['apiKey'] = entry;
      else res.locals['authFailure'] = 'The API key is not valid';
    } else if (credential !== undefined) {
      res.locals['authFailure'] = credential.failure;
    }
    next();
  };
  const authorize: RequestHandler = (req, res, next) => {
    if (isPublicPath(req.path, options.publicPaths)) {
      next();
      return;
    }
    const entry = apiKeyOf(res);
    const scope = scopeFor(req.method, req.path);
    if (entry === undefined) {
      const failure = res.locals['authFailure'] as string | undefined;
      // GET /api/v1/whoami answers a caller without a key too (no scopes), so a page can tell that it needs one
      // without a 401; a wrong key is still refused.
      if (scope === null && failure === undefined) {
        next();
        return;
      }
      sendProblem(
        req,
        res,
        PROBLEMS.unauthorized,
        failure ?? 'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
        { headers: { 'WWW-Authenticate': failure === undefined ? CHALLENGE : `${CHALLENGE}, error="invalid_token"` } },
      );
      return;
    }
    if (!hasScope(entry, scope)) {
      sendProblem(
        req,
        res,
        PROBLEMS.forbidden,
        `This API key lacks the "${scope}" scope needed for ${req.method} ${scope === 'admin' ? req.path : ''}`.trim(),
      );
      return;
    }
    next();
  };
  return { identify, authorize };
}
