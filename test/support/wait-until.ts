/** Polls `probe` until it returns a value other than undefined, failing after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = [
        lastError ? `last error: ${(lastError as Error).message}` : '',
        options.describe ? options.describe() : '',
      ].filter(Boolean);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${detail.length ? `\n${detail.join('\n')}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
