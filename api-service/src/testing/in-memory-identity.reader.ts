import { identityLinkOf } from '@uap/shared/contract';
import { compareByKeyset } from '../domain/activity-query';
import type { ActivityRecord } from '../application/ports/activity-reader.port';
import type { IdentifyRecord, IdentityReader } from '../application/ports/identity-reader.port';

/**
 * Test double for the identity port, over the same records an InMemoryActivityReader holds (pass the same array):
 * the links are derived from them by brute force, the earliest link of an anonymous id winning, as the stores do.
 */
export class InMemoryIdentityReader implements IdentityReader {
  readonly calls: Array<{ method: keyof IdentityReader; arg: unknown }> = [];

  constructor(private readonly records: ActivityRecord[] = []) {}

  async linkedAnonymousIds(userId: string): Promise<string[]> {
    this.calls.push({ method: 'linkedAnonymousIds', arg: userId });
    const firstLinks = new Map<string, ActivityRecord>();
    for (const record of [...this.records].sort((a, b) => compareByKeyset(a, b, 'asc'))) {
      const linked = identityLinkOf(record);
      if (linked !== undefined && !firstLinks.has(linked)) firstLinks.set(linked, record);
    }
    return [...firstLinks]
      .filter(([, link]) => link.userId === userId)
      .map(([anonymousId]) => anonymousId)
      .sort();
  }

  async latestIdentifies(userId: string, limit: number): Promise<IdentifyRecord[]> {
    this.calls.push({ method: 'latestIdentifies', arg: { userId, limit } });
    return this.records
      .filter((r) => r.userId === userId && r.type === 'IDENTIFY')
      .sort((a, b) => compareByKeyset(a, b, 'desc'))
      .slice(0, limit)
      .map(({ eventId, occurredAt, metadata }) => ({ eventId, occurredAt, traits: metadata }));
  }
}
