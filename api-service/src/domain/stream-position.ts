import { z } from 'zod';

/**
 * A place in the activity stream: per partition, the next offset not yet seen. It is the SSE `id` of
 * every event and what `Last-Event-ID` resumes from; any replica can resume it (offsets are the topic's,
 * not the process's). Not secret and not signed: changing it only moves the caller's own position.
 */
export type StreamPosition = ReadonlyMap<number, number>;

const PositionSchema = z
  .array(z.tuple([z.int().min(0).max(1_000_000), z.int().min(0).max(Number.MAX_SAFE_INTEGER)]))
  .max(10_000);

export const MAX_POSITION_LENGTH = 64 * 1024;

export function encodePosition(position: StreamPosition): string {
  return Buffer.from(JSON.stringify([...position].sort((a, b) => a[0] - b[0]))).toString('base64url');
}

/** The position, or undefined when the text is not one this API wrote. */
export function decodePosition(text: string): StreamPosition | undefined {
  if (text.length === 0 || text.length > MAX_POSITION_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const parsed = PositionSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? new Map(parsed.data) : undefined;
  } catch {
    return undefined;
  }
}
