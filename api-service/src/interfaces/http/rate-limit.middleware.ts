import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { apiKeyOf, isPublicPath } from './auth.middleware';
import { PROBLEMS, sendProblem } from './problem';

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
      const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 1;
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
