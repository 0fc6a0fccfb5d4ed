import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { apiKeyOf, isPublicPath } from './auth.middleware';
import { PROBLEMS, sendProblem } from './problem';
import type { SourceLookup } from './request-source';

export interface RateLimitOptions {
  windowMs: number;
  /** Requests per window and client; 0 turns the limiter off. */
  max: number;
  /** Probes, metrics and docs: never limited, so an orchestrator is not locked out by a busy client. */
  exemptPaths: readonly string[];
}

/**
 * Limits per API key, or per client IP (IPv6 by /56, so one host cannot rotate addresses) when no
 * valid key was presented. Counters are in this process's memory: each replica counts on its own.
 */
export function rateLimiter(options: RateLimitOptions): RequestHandler {
  if (options.max === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req) => isPublicPath(req.path, options.exemptPaths),
    keyGenerator: (req, res) => {
      const key = apiKeyOf(res);
      return key !== undefined ? `key:${key.id}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (req, res) => {
      const seconds = retryAfterSeconds(req);
      sendProblem(
        req,
        res,
        PROBLEMS.tooManyRequests,
        `Rate limit of ${options.max} requests per ${options.windowMs / 1000} s exceeded; retry in ${seconds} s`,
        { headers: { 'Retry-After': String(seconds) } },
      );
    },
  });
}

function retryAfterSeconds(req: Request): number {
  const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
  return resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 1;
}

/** Set once a request was counted against its source's limit, with that limit: a second pass counts nothing. */
const SOURCE_LIMIT_LOCAL = 'sourceRateLimit';
const MINUTE_MS = 60_000;

/**
 * The limit of the source a key is bound to (its rateLimitPerMinute, read from the catalog at request time), over
 * all of the source's keys together, in this replica's memory like the per-key limiter. Placed after the per-key
 * limiter, and again on the Segment surface after a body's writeKey named the key: each request counts once. A
 * request whose key has no source, or whose source has no limit, passes without touching a counter.
 */
export function sourceRateLimiter(sourceOf: SourceLookup): RequestHandler {
  const limiter = rateLimit({
    windowMs: MINUTE_MS,
    limit: (_req, res) => res.locals[SOURCE_LIMIT_LOCAL] as number,
    // The per-key limiter's RateLimit headers stay: this one answers with Retry-After when it refuses.
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: (_req, res) => `source:${apiKeyOf(res)!.sourceId!}`,
    handler: (req, res) => {
      const seconds = retryAfterSeconds(req);
      sendProblem(
        req,
        res,
        PROBLEMS.tooManyRequests,
        `Source "${apiKeyOf(res)!.sourceId!}" allows ${res.locals[SOURCE_LIMIT_LOCAL] as number} requests per ` +
          `minute (all its keys together); retry in ${seconds} s`,
        { headers: { 'Retry-After': String(seconds) } },
      );
    },
  });
  return (req, res, next) => {
    const sourceId = apiKeyOf(res)?.sourceId;
    if (sourceId === undefined || res.locals[SOURCE_LIMIT_LOCAL] !== undefined) {
      next();
      return;
    }
    const limit = sourceOf(sourceId)?.rateLimitPerMinute ?? null;
    if (limit === null) {
      next();
      return;
    }
    res.locals[SOURCE_LIMIT_LOCAL] = limit;
    void limiter(req, res, next);
  };
}
