import type { ActivityEvent } from '../contract';
import type { UnplannedPolicy } from './activity-type';
import type { TypeVerdict } from './activity-type-catalog';

/** The registry as this replica follows it: one compiled check per event, and the policy for the unplanned. */
export interface ActivityTypeChecker {
  check(name: string, metadata: Record<string, unknown>): TypeVerdict;
  policy(): UnplannedPolicy;
}

export type TypeCheck = { ok: true; event: ActivityEvent } | { ok: false; error: string };

/**
 * What the worker (and a dead-letter replay, before it republishes) does with an event from the topic. The api stamps every event it validated with the type version it used (or `planned: false` when its
 * policy let an unplanned type in); those are stored as they are. Anything else came from a raw producer
 * (kcat, another service), or was dead-lettered by the api's policy: it is checked here, against the
 * registry and policy of now, and stamped the same way. A refusal names the pointer and the version.
 */
export function checkActivityType(event: ActivityEvent, types: ActivityTypeChecker): TypeCheck {
  if (event.typeVersion !== undefined || event.planned === false) return { ok: true, event };
  const verdict = types.check(event.type, event.metadata);
  const policy = types.policy();
  switch (verdict.kind) {
    case 'planned':
      return { ok: true, event: { ...event, typeVersion: verdict.version } };
    case 'invalid':
      if (policy.invalidMetadata === 'accept-and-flag') {
        return { ok: true, event: { ...event, typeVersion: verdict.version, violations: verdict.violations } };
      }
      return {
        ok: false,
        error: `${verdict.violations.map((v) => `${v.pointer}: ${v.message}`).join('; ')} (${event.type} v${verdict.version})`,
      };
    case 'retired':
      return { ok: false, error: `/type: ${event.type} was retired at version ${verdict.version}` };
    case 'unknown':
      if (policy.unknownTypes === 'accept') return { ok: true, event: { ...event, planned: false } };
      return { ok: false, error: `/type: ${event.type} is not a planned activity type` };
  }
}
