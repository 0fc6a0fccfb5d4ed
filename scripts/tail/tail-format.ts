import { cell } from '../cli/cli-io';

/** An activity as the stream sends it: the list endpoint's JSON (not stored yet, so no persistedAt). */
export interface StreamedActivity {
  eventId: string;
  userId: string;
  type: string;
  occurredAt: string;
  receivedAt?: string;
  sessionId?: string;
  metadata?: Record<string, unknown>;
  [field: string]: unknown;
}

const SUMMARY_WIDTH = 80;

function summaryValue(value: unknown): string {
  if (typeof value === 'string') return value !== '' && !/[\s="]/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** `key=value` pairs of the top-level metadata, cut to one short line; nested values as JSON. */
export function metadataSummary(metadata: Record<string, unknown> | undefined, width = SUMMARY_WIDTH): string {
  if (!metadata) return '';
  const text = Object.entries(metadata)
    .map(([key, value]) => `${key}=${summaryValue(value)}`)
    .join(' ')
    .replace(/\s+/g, ' ');
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** One readable line: occurredAt, type, user, eventId, metadata summary; fixed widths so lines align. */
export function activityLine(activity: StreamedActivity): string {
  return [
    cell(activity.occurredAt, 24),
    cell(activity.type, 14),
    cell(activity.userId, 16),
    cell(activity.eventId, 36),
    metadataSummary(activity.metadata),
  ]
    .join('  ')
    .trimEnd();
}

/** One ndjson line: the activity exactly as the API sent it, on one line whatever the server's layout. */
export function activityJson(activity: StreamedActivity): string {
  return JSON.stringify(activity);
}

export function droppedNotice(count: number): string {
  return `tail: ${count} event${count === 1 ? '' : 's'} dropped: this client fell behind the stream (the server's per-subscriber queue was full)`;
}

export function resetNotice(reason: string): string {
  return `tail: reset: ${reason}; events may be missing before this point (read them with GET /api/v1/activities); the stream continues live`;
}
