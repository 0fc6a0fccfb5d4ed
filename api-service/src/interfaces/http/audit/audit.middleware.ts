import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AuditDetails, AuditEntry, AuditTarget } from '../../../application/ports/audit-log.port';
import { auditOutcomeOf } from '../../../domain/audit-query';
import { apiKeyOf } from '../auth.middleware';
import type { AuditedMethod, RouteSpec } from '../method-guard.middleware';
import { requestIdOf } from '../problem';

const TARGET = 'auditTarget';
const DETAILS = 'auditDetails';

/**
 * What the audit record of this request is about, set by the route once it knows (the created key's id, the
 * erasure's keyed hash); called again, it replaces the target and adds to the details. Details are plain values,
 * never a secret nor a personal id in clear.
 */
export function auditTarget(res: Response, target: AuditTarget | null, details?: AuditDetails): void {
  res.locals[TARGET] = target;
  if (details !== undefined) {
    res.locals[DETAILS] = { ...(res.locals[DETAILS] as AuditDetails | undefined), ...details };
  }
}

export interface AuditTrailOptions {
  /** Every route the app serves; those whose `audit` names an action for the request's method are recorded. */
  routes: readonly RouteSpec[];
  /** Appends one record, retrying as it sees fit; a rejection means the record is lost. */
  record: (entry: AuditEntry) => Promise<unknown>;
  /** With API keys on, a request no key authenticated is not recorded (it never got past authorize). */
  requireKey: boolean;
  logger: Logger;
  /** Counts records lost after the retries (uap_audit_write_failures_total). */
  onWriteFailure?: () => void;
  now?: () => Date;
}

/**
 * Records the admin actions routes declare (RouteSpec.audit), once each request is answered: placed after the
 * method guard (which names the route) and before `authorize`, so a refusal for want of scope (403) is recorded as
 * `denied`; the key is read when the answer is out, after `identify` ran. A 401 is not recorded:
 * nobody is known, and recording it would let anyone without a key fill the trail (the failed-auth metrics count
 * it). The answer goes out first; the record follows, so a slow store never slows an admin call, and a record that
 * cannot be written is logged and counted, never turned into an error for a change that did happen.
 */
export function auditTrail(options: AuditTrailOptions): RequestHandler {
  const actions = new Map<string, Partial<Record<string, string>>>();
  for (const route of options.routes) if (route.audit) actions.set(route.path, route.audit);
  const log = options.logger.child({ component: 'audit' });
  const now = options.now ?? (() => new Date());
  return (req, res, next) => {
    const route = res.locals['route'] as string | undefined;
    const action = route === undefined ? undefined : actions.get(route)?.[req.method as AuditedMethod];
    if (action === undefined) {
      next();
      return;
    }
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      const status = res.statusCode;
      const key = apiKeyOf(res);
      if (status === 401 || (options.requireKey && key === undefined)) return;
      const record: AuditEntry = {
        at: now(),
        actor: { keyId: key?.id ?? null, label: key?.label ?? null },
        action,
        target: (res.locals[TARGET] as AuditTarget | null | undefined) ?? null,
        requestId: requestIdOf(res),
        outcome: auditOutcomeOf(status),
        status,
        details: (res.locals[DETAILS] as AuditDetails | undefined) ?? null,
      };
      options.record(record).catch((err: unknown) => {
        options.onWriteFailure?.();
        // The record names no secret and no user in clear, so it may be logged whole: the trail can be mended.
        log.error({ err, record }, 'audit record lost after retries');
      });
    };
    res.on('finish', settle);
    // A client that leaves before the answer gets no 'finish', but the change happened all the same: the record
    // is made when the route answers into the closed socket (or at once, when part of the answer went out).
    res.on('close', () => {
      if (res.headersSent) settle();
    });
    const end = res.end;
    res.end = function (this: Response, ...args: Parameters<Response['end']>) {
      const result = (end as (...a: unknown[]) => Response).apply(this, args);
      if (res.destroyed) settle();
      return result;
    } as Response['end'];
    next();
  };
}
