import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { findApiKey, hasScope, scopeFor, type ApiKeyEntry } from '../../domain/api-key';
import type { KeyCheck, KeyFailure, KeyRing } from '../../domain/access/key-ring';
import type { TicketRedemption } from '../../domain/stream-ticket';
import { PROBLEMS, sendProblem } from './problem';

export interface AuthOptions {
  /**
   * The keys accepted (bootstrap `API_KEYS` and runtime keys), or 'disabled' when the API runs without
   * authentication (logged at start-up).
   */
  apiKeys: KeyRing | 'disabled';
  /** The clock that decides key expiry and rotation grace (tests set it). */
  now?: () => number;
  /** Where a `?ticket=` stands in for the key (the live stream: EventSource cannot send headers). */
  tickets?: { path: string; redeem: (ticket: string) => TicketRedemption };
  /** Paths served without a key; each also covers its sub-paths (`/docs` covers `/docs/x`). */
  publicPaths: readonly string[];
  /**
   * Paths of the Segment-compatible surface: a key may also come as HTTP Basic (the key as user name, an empty
   * password) or as `writeKey` in the body. A request there without a key in its headers is authorized only once
   * its body is read, by the route's `authorizeWriteKey` step, through the same checks as any other.
   */
  writeKeyPaths?: readonly string[];
}

type Credential = { key: string } | { failure: string } | undefined;

/**
 * Why a request was answered 401, in `res.locals.authFailureReason` (the failed-auth limiter and metrics read it):
 * the key's own reason, `missing` without any, `malformed` for a credential that cannot be read or is ambiguous.
 */
export type AuthFailureReason = KeyFailure | 'missing' | 'malformed';

/** The 401 detail for a key the ring refused; the same challenge goes with every one. */
function keyFailureDetail(check: Extract<KeyCheck, { ok: false }>): string {
  switch (check.reason) {
    case 'unknown':
      return 'The API key is not valid';
    case 'expired':
      return `The API key expired at ${check.at?.toISOString() ?? 'an earlier time'}`;
    case 'revoked':
      return 'The API key was revoked';
    case 'rotated':
      return `The API key was rotated and its grace period ended at ${check.at?.toISOString() ?? 'an earlier time'}`;
  }
}

function failAuth(res: Response, reason: AuthFailureReason, detail: string): void {
  res.locals['authFailure'] = detail;
  res.locals['authFailureReason'] = reason;
}

const BEARER = /^Bearer +(\S+) *$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const CHALLENGE = 'Bearer realm="api"';
const WRITE_KEY_CHALLENGE = 'Basic realm="api"';
/** Where `authorize` leaves the rest of its work for `authorizeWriteKey`, on a write-key path. */
const WRITE_KEY_STEP = 'writeKeyStep';

type WriteKeyStep = (req: Request, res: Response, next: NextFunction, writeKey: unknown) => void;

/** Express matches paths case-insensitively and ignores a trailing slash; the public check must agree. */
export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  const normalized = path.replace(/\/+$/, '').toLowerCase() || '/';
  return publicPaths.some((p) => {
    const base = p.replace(/\/+$/, '').toLowerCase() || '/';
    return normalized === base || normalized.startsWith(`${base}/`);
  });
}

/** The key of an Authorization header: Bearer everywhere, Basic (Segment's write key) where `basic` allows it. */
function authorizationKey(authorization: string, basic: boolean): { key: string } | { failure: string } {
  const bearer = BEARER.exec(authorization);
  if (bearer) return { key: bearer[1]! };
  const encoded = basic ? BASIC.exec(authorization)?.[1] : undefined;
  if (encoded === undefined) {
    return {
      failure: basic
        ? 'Send the write key as "Authorization: Basic <base64(key:)>" or "Authorization: Bearer <key>"'
        : 'Only the Bearer scheme is supported: send "Authorization: Bearer <key>"',
    };
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon >= 0 && colon < decoded.length - 1) {
    return { failure: 'Send the write key as the Basic user name, with an empty password' };
  }
  return { key: colon >= 0 ? decoded.slice(0, colon) : decoded };
}

function credentialOf(req: Request, basic: boolean): Credential {
  const authorization = req.get('authorization');
  const headerKey = req.get('x-api-key');
  let fromAuthorization: string | undefined;
  if (authorization !== undefined) {
    const found = authorizationKey(authorization, basic);
    if ('failure' in found) return found;
    fromAuthorization = found.key;
  }
  // Two different keys in one request: refuse rather than guess which one the client meant.
  if (fromAuthorization !== undefined && headerKey !== undefined && fromAuthorization !== headerKey) {
    return { failure: 'Authorization and X-API-Key carry different keys; send one' };
  }
  const key = fromAuthorization ?? headerKey;
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
  const ring = options.apiKeys;
  const now = options.now ?? Date.now;
  const writeKeyPaths = options.writeKeyPaths ?? [];
  const isWriteKeyPath = (path: string) => writeKeyPaths.length > 0 && isPublicPath(path, writeKeyPaths);
  const identifyKey = (res: Response, key: string) => {
    const at = now();
    const check = ring.authenticate(key, at);
    if (check.ok) {
      res.locals['apiKey'] = check.key;
      ring.noteUse?.(check.key.id, at);
    } else failAuth(res, check.reason, keyFailureDetail(check));
  };
  const identify: RequestHandler = (req, res, next) => {
    if (isPublicPath(req.path, options.publicPaths)) {
      next();
      return;
    }
    const credential = credentialOf(req, isWriteKeyPath(req.path));
    const ticket = req.query['ticket'];
    if (
      credential === undefined &&
      options.tickets &&
      req.path === options.tickets.path &&
      typeof ticket === 'string'
    ) {
      const redeemed = options.tickets.redeem(ticket);
      // A ticket names its key by id: a key revoked, expired or rotated out since it was issued no longer counts.
      const entry = redeemed.ok && redeemed.keyId !== null ? ring.byId(redeemed.keyId, now()) : undefined;
      if (entry !== undefined) res.locals['apiKey'] = entry;
      else failAuth(res, 'unknown', redeemed.ok ? 'The key this ticket was issued for is gone' : redeemed.reason);
      next();
      return;
    }
    if (credential !== undefined && 'key' in credential) identifyKey(res, credential.key);
    else if (credential !== undefined) failAuth(res, 'malformed', credential.failure);
    next();
  };
  /**
   * The body's `writeKey`, read by the route: it stands in for a key the headers did not carry, and must be the
   * same key as one they did. Either way the request then takes the one decision below.
   */
  const afterBody: WriteKeyStep = (req, res, next, writeKey) => {
    const entry = apiKeyOf(res);
    if (typeof writeKey === 'string' && entry === undefined) identifyKey(res, writeKey);
    else if (typeof writeKey === 'string' && entry !== undefined && findApiKey(writeKey, [entry]) === undefined) {
      delete res.locals['apiKey'];
      failAuth(res, 'malformed', "The body's writeKey and the headers carry different keys; send one");
    }
    decide(req, res, next, false);
  };
  const authorize: RequestHandler = (req, res, next) => {
    if (isPublicPath(req.path, options.publicPaths)) {
      next();
      return;
    }
    decide(req, res, next, isWriteKeyPath(req.path));
  };
  /** 401 without a valid key, 403 without the scope; on a write-key path, a missing key waits for the body. */
  const decide = (req: Request, res: Response, next: NextFunction, bodyMayHoldKey: boolean) => {
    const entry = apiKeyOf(res);
    const scope = scopeFor(req.method, req.path);
    const writeKeyPath = isWriteKeyPath(req.path);
    if (bodyMayHoldKey) {
      res.locals[WRITE_KEY_STEP] = afterBody;
      if (entry === undefined && res.locals['authFailure'] === undefined) {
        next();
        return;
      }
    }
    if (entry === undefined) {
      const failure = res.locals['authFailure'] as string | undefined;
      // GET /api/v1/whoami answers a caller without a key too (no scopes), so a page can tell that it needs one
      // without a 401; a wrong key is still refused.
      if (scope === null && failure === undefined) {
        next();
        return;
      }
      if (failure === undefined) res.locals['authFailureReason'] = 'missing' satisfies AuthFailureReason;
      const challenge = failure === undefined ? CHALLENGE : `${CHALLENGE}, error="invalid_token"`;
      sendProblem(
        req,
        res,
        PROBLEMS.unauthorized,
        failure ??
          (writeKeyPath
            ? 'A write key is required: send it as the HTTP Basic user name (empty password), as "writeKey" in the ' +
              'body, or as "Authorization: Bearer <key>" or "X-API-Key: <key>"'
            : 'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"'),
        { headers: { 'WWW-Authenticate': writeKeyPath ? `${challenge}, ${WRITE_KEY_CHALLENGE}` : challenge } },
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

/**
 * On a write-key path (AuthOptions.writeKeyPaths), placed after the body parser: authorizes with the key the body
 * names (`keyOf`) if the headers named none, or checks that it is the same key. Passes when the API runs without
 * authentication, or when `authorize` left nothing to do here.
 */
export function authorizeWriteKey(keyOf: (body: unknown) => unknown): RequestHandler {
  return (req, res, next) => {
    const step = res.locals[WRITE_KEY_STEP] as WriteKeyStep | undefined;
    if (step === undefined) {
      next();
      return;
    }
    step(req, res, next, keyOf(req.body));
  };
}
