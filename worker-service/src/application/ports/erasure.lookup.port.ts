/** Erasure records as the worker needs them: for some user hashes, when each user was erased (latest). */
export interface ErasureLookup {
  erasedAt(userHashes: readonly string[]): Promise<Map<string, Date>>;
}

/** What a use case needs to honour erasures: the records, and the keyed hash they are filed under. */
export interface ErasureCheck {
  lookup: ErasureLookup;
  hash: (userId: string) => string;
}
