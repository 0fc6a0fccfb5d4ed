import type { Connection, mongo } from 'mongoose';

export type StoreTopology = { kind: 'replica-set'; setName: string } | { kind: 'sharded' } | { kind: 'standalone' };

/** What the server's `hello` says it is: a replica-set member names its set, a mongos says `isdbgrid`. */
export function topologyOf(hello: Record<string, unknown>): StoreTopology {
  if (typeof hello['setName'] === 'string' && hello['setName'] !== '') {
    return { kind: 'replica-set', setName: hello['setName'] };
  }
  if (hello['msg'] === 'isdbgrid') return { kind: 'sharded' };
  return { kind: 'standalone' };
}

// Bounds how long a write waits for the majority; past it the insert fails as an outage and the worker
// retries the chunk (deduplicated by eventId), instead of hanging while secondaries are away.
const MAJORITY_TIMEOUT_MS = 10_000;

/**
 * The write concern the worker's inserts use. On a replica set (or a sharded cluster of replica sets)
 * an offset is committed only after a majority of members have the documents, so a stored event
 * survives the primary's failover; w:1 could lose writes the old primary had not replicated (rolled
 * back), after their offsets were committed, i.e. accepted events lost. A standalone server (FerretDB,
 * a single mongod) has no one else to wait for: the server's default.
 */
export function writeConcernFor(topology: StoreTopology): mongo.WriteConcernSettings | undefined {
  return topology.kind === 'standalone' ? undefined : { w: 'majority', wtimeoutMS: MAJORITY_TIMEOUT_MS };
}

export async function describeStoreTopology(connection: Connection): Promise<StoreTopology> {
  return topologyOf(await connection.db!.admin().command({ hello: 1 }));
}
