import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import express, { type Request, type RequestHandler } from 'express';
import { PROBLEMS, sendProblem } from './problem';

/** The Content-Encodings a JSON body may arrive in; anything else is 415 with Accept-Encoding (RFC 9110 §12.5.3). */
export const ACCEPTED_CONTENT_ENCODINGS = ['gzip', 'identity'] as const;

export interface JsonBodyOptions {
  /** Also accept Content-Encoding: deflate (zlib), as Segment's API does; the limit applies to it the same way. */
  deflate?: boolean;
  /**
   * Read the body as JSON whatever Content-Type it declares, as Segment's and RudderStack's servers do: browser
   * SDKs send text/plain (no CORS preflight), RudderStack's node SDK a gzip body as x-www-form-urlencoded.
   */
  anyMediaType?: boolean;
}

function mediaTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(req: IncomingMessage): boolean {
  const mediaType = mediaTypeOf(req);
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

function charsetOf(req: IncomingMessage): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
}

/** Requests whose body the gzip step already parsed; express.json must not read them again. */
const decoded = new WeakSet<IncomingMessage>();

/**
 * Inflates a gzip (or, where allowed, deflate) body as it streams in and parses it as JSON. The limit
 * applies to the inflated bytes: the moment they pass it, inflation stops and the answer is 413, so a
 * zip bomb (10 MB of zeros in 10 KB) costs one limit's worth of work, not its full size. The compressed
 * bytes are held to the same limit, so a client cannot keep the socket busy with a long body either.
 */
function inflateJson(limit: number, deflate: boolean): RequestHandler {
  const accepted = deflate ? 'gzip, deflate' : 'gzip';
  return (req, res, next) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding === 'identity') {
      next();
      return;
    }
    // x-gzip is gzip's old name, which RFC 9110 asks recipients to treat as gzip.
    const format =
      encoding === 'gzip' || encoding === 'x-gzip' ? 'gzip' : deflate && encoding === 'deflate' ? 'deflate' : undefined;
    if (format === undefined) {
      sendProblem(
        req,
        res,
        PROBLEMS.unsupportedMediaType,
        `Content-Encoding ${encoding.slice(0, 50)} is not supported; send ${accepted} or no Content-Encoding`,
        { headers: { 'Accept-Encoding': accepted } },
      );
      return;
    }
    const charset = charsetOf(req);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      sendProblem(req, res, PROBLEMS.unsupportedMediaType, `Unsupported charset ${charset.slice(0, 50)}; send UTF-8`);
      return;
    }
    inflate(req, limit, format, (outcome) => {
      if ('body' in outcome) {
        decoded.add(req);
        req.body = outcome.body;
        next();
        return;
      }
      // The rest of the body is not read: the connection closes after the answer instead.
      res.setHeader('Connection', 'close');
      const kind = outcome.problem;
      sendProblem(req, res, PROBLEMS[kind], outcome.detail);
    });
  };
}

type InflateOutcome =
  { body: unknown } | { problem: 'payloadTooLarge' | 'badRequest' | 'malformedJson'; detail: string };

function inflate(
  req: Request,
  limit: number,
  format: 'gzip' | 'deflate',
  done: (outcome: InflateOutcome) => void,
): void {
  const gunzip = format === 'gzip' ? createGunzip() : createInflate();
  const chunks: Buffer[] = [];
  let compressed = 0;
  let inflated = 0;
  let finished = false;
  const finish = (outcome: InflateOutcome | undefined): void => {
    if (finished) return;
    finished = true;
    req.unpipe(gunzip);
    gunzip.destroy();
    if (outcome === undefined) return; // the client went away: nobody to answer
    if ('problem' in outcome) req.resume();
    done(outcome);
  };
  const tooLarge = (what: string) =>
    finish({ problem: 'payloadTooLarge', detail: `The ${what} body exceeds the limit of ${limit} bytes` });

  req.on('data', (chunk: Buffer) => {
    compressed += chunk.length;
    if (compressed > limit) tooLarge('compressed');
  });
  req.on('aborted', () => finish(undefined));
  req.on('error', () => finish(undefined));
  gunzip.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > limit) tooLarge('decompressed');
    else chunks.push(chunk);
  });
  gunzip.on('error', (err) =>
    finish({ problem: 'badRequest', detail: `The body is not valid ${format}: ${err.message.slice(0, 100)}` }),
  );
  gunzip.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      finish({ body: JSON.parse(text) as unknown });
    } catch (err) {
      finish({ problem: 'malformedJson', detail: `The body is not valid JSON: ${(err as Error).message}` });
    }
  });
  req.pipe(gunzip);
}

/**
 * Parses a JSON body of at most `limit` bytes, plain or gzip (the limit counts the inflated bytes).
 * A body not declared as JSON is refused with 415 instead of being silently treated as empty; an
 * empty JSON body then fails validation with 400.
 */
export function jsonBody(limit: number, options: JsonBodyOptions = {}): RequestHandler[] {
  const readable = (req: IncomingMessage) => options.anyMediaType === true || isJson(req);
  const requireJson: RequestHandler = (req, res, next) => {
    if (readable(req)) {
      next();
      return;
    }
    const got = req.get('content-type');
    const detail =
      got === undefined ? 'Send the body as application/json' : `Expected application/json, got ${got.slice(0, 100)}`;
    sendProblem(req, res, PROBLEMS.unsupportedMediaType, detail);
  };
  const plainJson = express.json({ limit, strict: true, type: readable, inflate: false });
  const parsePlain: RequestHandler = (req, res, next) => (decoded.has(req) ? next() : plainJson(req, res, next));
  return [requireJson, inflateJson(limit, options.deflate === true), parsePlain];
}
