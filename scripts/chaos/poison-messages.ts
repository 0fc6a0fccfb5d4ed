import { randomUUID } from 'node:crypto';
import {
  createActivityEvent,
  encodeActivityMessage,
  type ActivityInput,
  type DecodeFailureReason,
  type OutgoingMessage,
} from '@uap/shared/contract';

export interface PoisonMessage {
  reason: DecodeFailureReason;
  /** Set when the value carries a well-formed eventId: that id must never reach the store. */
  eventId?: string;
  message: { key: string; value: string | null; headers: Record<string, string> };
}

export function validMessage(input: ActivityInput): { eventId: string; message: OutgoingMessage } {
  const event = createActivityEvent(input, { receivedAt: new Date(), context: { ip: '127.0.0.1' } });
  return { eventId: event.eventId, message: encodeActivityMessage(event) };
}

const INVALID_JSON: Array<string | null> = [
  '{"eventId":',
  'not json at all',
  '',
  '\u0000\u0001\u0002',
  "{'single': 'quotes'}",
  '{"a":1}}',
  null,
];

/** Each one parses as a version-1 event except for one broken rule. */
const SCHEMA_VIOLATIONS: Array<(event: Record<string, unknown>) => void> = [
  (e) => (e['type'] = 'tele-port'),
  (e) => (e['userId'] = 'no spaces allowed'),
  (e) => (e['occurredAt'] = 'yesterday'),
  (e) => (e['metadata'] = { $where: 'sleep(1000)' }),
  (e) => (e['metadata'] = { 'a.b': 1 }),
  (e) => (e['admin'] = true),
  (e) => delete e['userId'],
  (e) => ((e['type'] = 'SEARCH'), (e['metadata'] = {})),
  (e) => (e['context'] = { ip: 'x'.repeat(100) }),
];

const UNKNOWN_VERSIONS: unknown[] = [2, 0, '1', null, undefined, 99];

function baseEvent(n: number): Record<string, unknown> {
  return {
    ...createActivityEvent(
      { userId: `poison-user-${n}`, type: 'PAGE_VIEW', metadata: { path: '/poison' } },
      { receivedAt: new Date(), context: {} },
    ),
  };
}

/**
 * `count` poison messages cycling through the three reasons the worker dead-letters for: invalid JSON,
 * schema violation, unknown schemaVersion.
 */
export function poisonMessages(count: number): PoisonMessage[] {
  const kinds: DecodeFailureReason[] = ['invalid-json', 'schema-violation', 'unknown-schema-version'];
  return Array.from({ length: count }, (_, n): PoisonMessage => {
    const reason = kinds[n % kinds.length]!;
    // Variant within the reason: every variant of every reason gets used.
    const variant = Math.floor(n / kinds.length);
    const key = `poison-user-${n}`;
    const headers = { 'content-type': 'application/json', 'chaos-poison': reason };
    if (reason === 'invalid-json') {
      return { reason, message: { key, value: INVALID_JSON[variant % INVALID_JSON.length]!, headers } };
    }
    const event = baseEvent(n);
    event['eventId'] = randomUUID();
    if (reason === 'schema-violation') SCHEMA_VIOLATIONS[variant % SCHEMA_VIOLATIONS.length]!(event);
    else event['schemaVersion'] = UNKNOWN_VERSIONS[variant % UNKNOWN_VERSIONS.length];
    return { reason, eventId: String(event['eventId']), message: { key, value: JSON.stringify(event), headers } };
  });
}

/** Valid and poison messages shuffled together with a seeded order, so poison sits between valid ones. */
export function interleave<T>(valid: T[], poison: T[], random: () => number = Math.random): T[] {
  const all = [...valid, ...poison];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}
