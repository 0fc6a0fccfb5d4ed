/**
 * Erasure records as the worker needs them: for some actor hashes, when each actor was erased (latest). An actor
 * is a user, or an anonymous id erased with the user who linked it first (actorErasureHash in @uap/shared).
 */
export interface ErasureLookup {
  erasedAt(actorHashes: readonly string[]): Promise<Map<string, Date>>;
}

/** What a use case needs to honour erasures: the records, and the keyed hash of an actor key they are filed under. */
export interface ErasureCheck {
  lookup: ErasureLookup;
  /** The keyed hash of an actor key (actorKeyOf: a userId, or `anonymous:<anonymousId>`). */
  hash: (actorKey: string) => string;
}
