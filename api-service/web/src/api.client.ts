import { HttpTransport, UapHttpError } from '@uap/client';

/**
 * The page's one way to the API: the SDK's transport on this origin. The key travels in the Authorization
 * header only, never in a URL (the live stream uses single-use tickets instead, see live-feed.stream.ts),
 * and no cookie goes with any call. The page reloads whenever the key changes, so the transport keeps one.
 */
export function dashboardApi(key: string | null): HttpTransport {
  return new HttpTransport({
    baseUrl: '',
    ...(key ? { apiKey: key } : {}),
    headers: { accept: 'application/json' },
    // The stats of a week from the events themselves can take a while.
    requestTimeoutMs: 30_000,
    fetch: async (input, init) => {
      try {
        return await fetch(input, { ...init, credentials: 'omit' });
      } catch (err) {
        throw new Error('The API cannot be reached', { cause: err });
      }
    },
  });
}

/** What a panel says when a call failed: the problem's detail when the API refused, else the error's message. */
export function failureText(err: unknown): string {
  if (err instanceof UapHttpError) return err.problem?.detail ?? err.problem?.title ?? err.message;
  return (err as Error).message;
}
