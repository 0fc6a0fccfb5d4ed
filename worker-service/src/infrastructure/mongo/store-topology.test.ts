import { topologyOf, writeConcernFor } from './store-topology';

describe('store topology', () => {
  it('when hello names a replica set, then writes wait for the majority, bounded', () => {
    const topology = topologyOf({ isWritablePrimary: true, setName: 'rs0', hosts: ['a:27017', 'b:27017', 'c:27017'] });
    expect(topology).toEqual({ kind: 'replica-set', setName: 'rs0' });
    expect(writeConcernFor(topology)).toEqual({ w: 'majority', wtimeoutMS: 10_000 });
  });

  it('when hello comes from a mongos, then writes wait for the majority of each shard', () => {
    const topology = topologyOf({ isWritablePrimary: true, msg: 'isdbgrid' });
    expect(topology).toEqual({ kind: 'sharded' });
    expect(writeConcernFor(topology)).toEqual({ w: 'majority', wtimeoutMS: 10_000 });
  });

  it.each([
    ['a standalone mongod', { isWritablePrimary: true, maxWireVersion: 21 }],
    ['FerretDB v1', { ismaster: true, isWritablePrimary: true, maxWireVersion: 21, setName: undefined }],
    ['an empty setName', { isWritablePrimary: true, setName: '' }],
  ])('when hello comes from %s, then the server default applies', (_label, hello) => {
    const topology = topologyOf(hello);
    expect(topology).toEqual({ kind: 'standalone' });
    expect(writeConcernFor(topology)).toBeUndefined();
  });
});
