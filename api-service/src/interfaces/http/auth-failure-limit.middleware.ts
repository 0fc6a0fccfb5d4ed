import type { RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Counter } from 'prom-client';
import { apiKeyOf, isPublicPath } from './auth.middleware';
import { PROBLEMS, sendProblem } from './problem';

export interface AuthFailureLimitOptions {
  /** Answers 401 from one address within the window that lock it out until the window ends; 0: no lockout. */
  limit: number;
  windowMs: number;
  /** Probes, metrics and docs: never locked out, so an orchestrator is not cut off by a guessing neighbour. */
  exemptPaths: readonly string[];
  /** uap_auth_failures_total{reason} and uap_auth_lockouts_total; counted even when the lockout is off. */
  metrics?: { authFailures: Counter<'reason'>; authLockouts: Counter };
  now?: () => number;
}

export const AUTH_FAILURE_REASONS = ['missing', 'malformed', 'unknown', 'expired', 'revoked', 'rotated'] as const;
type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number] | 'other';

/** Addresses tracked at most; past it the oldest window is forgotten first (a flood of addresses costs bounded memory). */
const MAX_TRACKED_ADDRESSES = 100_000;

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Why the request was answered 401: the auth middleware says so in `authFailureReason`; without it, a request that
 * named no key is `missing` and one whose key was refused `unknown`.
 */
function reasonOf(res: Response): AuthFailureReason {
  const reason = res.locals['authFailureReason'] as unknown;
  if (reason === undefined) return res.locals['authFailure'] === undefined ? 'missing' : 'unknown';
  return (AUTH_FAILURE_REASONS as readonly unknown[]).includes(reason) ? (reason as AuthFailureReason) : 'other';
}

/**
 * Locks out a client address that keeps failing authentication: its requests answered 401 are counted in a
 * window that opens with the first one; at `limit` every non-public request from it is answered 429 (with
 * Retry-After) until that window ends, valid key or not, so guessing keys costs the guesser a whole window per
 * `limit` tries. Counted when the answer is finished, after every step that may answer 401 (a body's write key
 * too). Addresses as the rate limiter keys them (IPv6 by /56). In this process's memory, like the rate limit: each
 * replica counts on its own, so with N replicas behind a balancer an address gets up to N × limit tries.
 */
export function authFailureLimiter(options: AuthFailureLimitOptions): RequestHandler {
  const { limit, windowMs, metrics } = options;
  if (limit === 0 && metrics === undefined) return (_req, _res, next) => next();
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  /** The windows at `limit`: while none is, a request looks nothing up (working out its address is not free). */
  let lockedOut = 0;
  /** When the last of them ends: past it, all are forgotten at once (an address need not come back to be freed). */
  let lockedUntil = 0;
  const current = (address: string, at: number): Window | undefined => {
    const window = windows.get(address);
    if (window !== undefined && at >= window.endsAt) {
      forget(address, window);
      return undefined;
    }
    return window;
  };
  const forget = (address: string, window: Window) => {
    windows.delete(address);
    if (window.failures >= limit) lockedOut--;
  };
  const countFailure = (address: string) => {
    const at = now();
    let window = current(address, at);
    if (window === undefined) {
      if (windows.size >= MAX_TRACKED_ADDRESSES) {
        const [oldest, old] = windows.entries().next().value!;
        forget(oldest, old);
      }
      window = { failures: 0, endsAt: at + windowMs };
      windows.set(address, window);
    }
    window.failures++;
    if (window.failures === limit) {
      lockedOut++;
      lockedUntil = Math.max(lockedUntil, window.endsAt);
      metrics?.authLockouts.inc();
    }
  };
  return (req, res, next) => {
    // Probes, metrics and docs never count nor get locked out; the path is only looked at when it matters.
    const exempt = () => isPublicPath(req.path, options.exemptPaths);
    if (limit > 0 && lockedOut > 0 && now() >= lockedUntil) {
      for (const [address, window] of windows) if (window.failures >= limit) forget(address, window);
    }
    if (limit > 0 && lockedOut > 0 && !exempt()) {
      const at = now();
      const window = current(ipKeyGenerator(req.ip ?? 'unknown'), at);
      if (window !== undefined && window.failures >= limit) {
        const seconds = Math.max(1, Math.ceil((window.endsAt - at) / 1000));
        sendProblem(
          req,
          res,
          PROBLEMS.tooManyRequests,
          `Too many requests with a missing or invalid API key from this address; retry in ${seconds} s`,
          { headers: { 'Retry-After': String(seconds) } },
        );
        return;
      }
    }
    // A request whose key is valid is not refused 401 (only a body's writeKey differing from it is, which tests no
    // guess): the hot path of valid keys adds no listener.
    if (apiKeyOf(res) !== undefined || exempt()) {
      next();
      return;
    }
    res.on('finish', () => {
      if (res.statusCode !== 401) return;
      metrics?.authFailures.inc({ reason: reasonOf(res) });
      if (limit > 0) countFailure(ipKeyGenerator(req.ip ?? 'unknown'));
    });
    next();
  };
}
