import { HttpTransport, UapHttpError, type TransportOptions } from '@uap/client';
import { API_ENV, type ApiTarget } from './cli-args';

/**
 * The SDK's transport as the CLIs use it: the key goes as X-API-Key (as their help texts say) and answers
 * are JSON or problem+json unless a request asks for something else. A refusal is the SDK's UapHttpError;
 * no answer at all is fetch's own rejection (see isNoAnswer).
 */
export function apiTransport(
  target: ApiTarget,
  options: Pick<TransportOptions, 'requestTimeoutMs' | 'fetch'> = {},
): HttpTransport {
  return new HttpTransport({
    baseUrl: target.url,
    headers: {
      accept: 'application/json, application/problem+json',
      ...(target.key ? { 'x-api-key': target.key } : {}),
    },
    ...options,
  });
}

/**
 * fetch found no API to answer (refused, unreachable, timed out), as opposed to an answer or a bug. By
 * name, not instanceof: fetch's errors may come from another realm than this code's TypeError.
 */
export function isNoAnswer(err: unknown): boolean {
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  return name === 'TimeoutError' || (name === 'TypeError' && message === 'fetch failed');
}

/** What went wrong on the wire, for a person: the system's code (ECONNREFUSED) when there is one. */
export function networkReason(err: unknown): string {
  if ((err as Error).name === 'TimeoutError') return 'no answer in time';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/**
 * A refusal as every CLI prints it: the status, the problem's title and detail, each invalid field; for
 * 401 and 403, what kind of key `needs` (e.g. "the stream needs an API key with the read scope").
 */
export function refusalLines(program: string, err: UapHttpError, needs?: string): string[] {
  const { title, detail, errors, errorCount } = err.problem ?? {};
  const lines = [`${program}: HTTP ${err.status}${title ? ` ${title}` : ''}${detail ? `: ${detail}` : ''}`];
  for (const e of errors ?? []) lines.push(`  ${e.path || '(request)'}: ${e.message}`);
  if (errorCount !== undefined && errors && errorCount > errors.length) {
    lines.push(`  … and ${errorCount - errors.length} more`);
  }
  if (needs && (err.status === 401 || err.status === 403)) lines.push(`  (${needs}: --key or ${API_ENV.key})`);
  return lines;
}

/** A failed call as the user should see it (exit 2); undefined when `err` is neither a refusal nor no answer. */
export function failureLines(program: string, err: unknown, target: ApiTarget, needs?: string): string[] | undefined {
  if (err instanceof UapHttpError) return refusalLines(program, err, needs);
  if (isNoAnswer(err)) return [`${program}: no answer from the API at ${target.url} (${networkReason(err)})`];
  return undefined;
}
