const SLOT = 'uap.dashboard.apiKey';

/** The key lives for this tab only (sessionStorage): never in a URL, never in localStorage or a cookie. */
export const keyStore = {
  get(): string | null {
    return sessionStorage.getItem(SLOT);
  },
  set(key: string): void {
    sessionStorage.setItem(SLOT, key);
  },
  clear(): void {
    sessionStorage.removeItem(SLOT);
  },
};
