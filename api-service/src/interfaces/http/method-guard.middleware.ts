import type { RequestHandler } from 'express';
import { PROBLEMS, sendProblem } from './problem';

/** A route the app serves, e.g. `{ path: '/api/v1/activities/:eventId', methods: ['GET'] }`. */
export interface RouteSpec {
  path: string;
  methods: string[];
  /** An alias (analytics.js's `/v1/t`): the path whose OpenAPI operation documents this route too. */
  documentedAs?: string;
  /** The audit action of each admin write here (`key.create`): the audit middleware records those requests. */
  audit?: Partial<Record<AuditedMethod, string>>;
}

export type AuditedMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `/a/b/` → [a, b]; an empty segment inside (`//a`, `/a//b`) is kept, since express would not route it. */
function segments(path: string): string[] {
  const parts = path.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function matches(pattern: string[], actual: string[]): boolean {
  return (
    pattern.length === actual.length &&
    pattern.every((p, i) => p.startsWith(':') || p.toLowerCase() === actual[i]!.toLowerCase())
  );
}

/**
 * Answers 404 for unknown paths and 405 (with Allow) for known paths with the wrong method, before
 * any router runs. Doing it up front means a router that serves GET on a path does not hide the POST
 * of another router, and a static path (`/activities/batch`) wins over a parameter (`/activities/:id`).
 */
export function methodGuard(routes: RouteSpec[]): RequestHandler {
  const compiled = routes.map((r) => ({
    path: r.path,
    pattern: segments(r.path),
    methods: r.methods.map((m) => m.toUpperCase()),
    params: segments(r.path).filter((s) => s.startsWith(':')).length,
  }));
  return (req, res, next) => {
    const actual = segments(req.path);
    const candidates = compiled.filter((r) => matches(r.pattern, actual));
    if (candidates.length === 0) {
      sendProblem(req, res, PROBLEMS.notFound, `No route for ${req.method} ${req.path}`);
      return;
    }
    const fewestParams = Math.min(...candidates.map((c) => c.params));
    const best = candidates.filter((c) => c.params === fewestParams);
    const allowed = new Set(best.flatMap((c) => c.methods));
    if (allowed.has('GET')) allowed.add('HEAD');
    // The pattern, never the raw path: metrics label requests with it, so ids do not explode the series.
    res.locals['route'] = (best.find((c) => c.methods.includes(req.method)) ?? best[0]!).path;
    if (allowed.has(req.method)) {
      next();
      return;
    }
    const allow = [...allowed].sort().join(', ');
    sendProblem(req, res, PROBLEMS.methodNotAllowed, `${req.method} is not allowed here; use ${allow}`, {
      headers: { Allow: allow },
    });
  };
}
