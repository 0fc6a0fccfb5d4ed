import { randomUUID } from 'node:crypto';
import type { ActivityInput, ActivityType } from '@uap/shared/contract';

const SEARCH_TERMS = ['shoes', 'laptop', 'coffee', 'headphones', 'desk lamp', 'running', 'gift ideas', 'tent', 'ssd'];
const PAGES = ['/', '/pricing', '/docs', '/blog', '/account', '/cart', '/checkout', '/search', '/products/42'];
const LOGIN_METHODS = ['password', 'sso', 'magic-link', 'passkey'];

export type Random = () => number;

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Realistic-looking traffic: skewed user activity, weighted types, per-type metadata, one session per user. */
export class ActivityGenerator {
  private readonly cumulative: { type: ActivityType; upTo: number }[];
  private readonly sessions = new Map<string, string>();

  constructor(
    private readonly users: number,
    mix: [ActivityType, number][],
    private readonly random: Random = Math.random,
  ) {
    const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
    let acc = 0;
    this.cumulative = mix.map(([type, weight]) => ({ type, upTo: (acc += weight / total) }));
  }

  next(): ActivityInput {
    // Squaring a uniform draw favours low user numbers: a few heavy users, a long tail of light ones.
    const userId = `user-${Math.floor(this.random() ** 2 * this.users)}`;
    const draw = this.random();
    const type = (this.cumulative.find((c) => draw < c.upTo) ?? this.cumulative.at(-1)!).type;
    if (type === 'LOGIN' || !this.sessions.has(userId)) this.sessions.set(userId, randomUUID());
    const sessionId = this.sessions.get(userId)!;
    return { eventId: randomUUID(), userId, type, sessionId, metadata: this.metadataFor(type) };
  }

  private metadataFor(type: ActivityType): Record<string, unknown> {
    switch (type) {
      case 'SEARCH':
        return { query: pick(SEARCH_TERMS, this.random), resultCount: Math.floor(this.random() * 200) };
      case 'LOGIN':
        return { method: pick(LOGIN_METHODS, this.random), success: this.random() > 0.05 };
      case 'PAGE_VIEW':
      case 'CLICK':
        return { path: pick(PAGES, this.random) };
      case 'PURCHASE':
        return { amountCents: Math.floor(this.random() * 20_000), currency: 'EUR' };
      default:
        return {};
    }
  }
}
