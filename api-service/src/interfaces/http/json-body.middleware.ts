import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { PROBLEMS, sendProblem } from './problem';

function isJson(req: IncomingMessage): boolean {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

/**
 * Parses a JSON body of at most `limit` bytes. A body not declared as JSON is refused with 415
 * instead of being silently treated as empty; an empty JSON body then fails validation with 400.
 */
export function jsonBody(limit: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, res, next) => {
    if (isJson(req)) {
      next();
      return;
    }
    const got = req.get('content-type');
    const detail =
      got === undefined ? 'Send the body as application/json' : `Expected application/json, got ${got.slice(0, 100)}`;
    sendProblem(req, res, PROBLEMS.unsupportedMediaType, detail);
  };
  return [requireJson, express.json({ limit, strict: true, type: isJson })];
}
