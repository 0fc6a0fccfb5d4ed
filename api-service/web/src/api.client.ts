/** An answer other than 2xx, with the problem+json detail when the API sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every call of the page goes through here: the key travels in the Authorization header only, never in a
 * URL (the live stream uses single-use tickets instead, see live-feed.stream.ts).
 */
export class ApiClient {
  constructor(private readonly key: () => string | null) {}

  get<T>(path: string, query?: URLSearchParams): Promise<T> {
    const search = query && [...query.keys()].length > 0 ? `?${query.toString()}` : '';
    return this.send<T>('GET', `${path}${search}`);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const key = this.key();
    if (key) headers['Authorization'] = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        credentials: 'omit',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'The API cannot be reached');
    }
    const text = await res.text();
    const parsed = text.length > 0 ? (safeJson(text) as unknown) : undefined;
    if (!res.ok) {
      const problem = parsed as { detail?: string; title?: string } | undefined;
      throw new ApiError(res.status, problem?.detail ?? problem?.title ?? `${res.status} ${res.statusText}`);
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
