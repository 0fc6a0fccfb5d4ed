import { randomUUID } from 'node:crypto';
import type { ActivityEvent, ActivityInput } from '../contract/activity/activity.types';

export function anActivityInput(overrides: Partial<ActivityInput> = {}): ActivityInput {
  return {
    eventId: randomUUID(),
    userId: 'user-1',
    type: 'LOGIN',
    occurredAt: '2026-01-01T10:00:00.000Z',
    metadata: { method: 'password', success: true },
    ...overrides,
  };
}

export function anActivity(overrides: Partial<ActivityEvent> = {}): ActivityEvent {
  return {
    schemaVersion: 1,
    eventId: randomUUID(),
    userId: 'user-1',
    type: 'LOGIN',
    occurredAt: '2026-01-01T10:00:00.000Z',
    receivedAt: '2026-01-01T10:00:00.100Z',
    metadata: { method: 'password', success: true },
    context: { ip: '127.0.0.1', userAgent: 'jest' },
    ...overrides,
  };
}
