import { detectStoreServer, storeLabel, storeServerOf } from './ferretdb-tables';

describe('store detection', () => {
  it('when buildInfo carries ferretdbVersion, then the store is FerretDB, with the MongoDB version it reports', async () => {
    const db = { admin: () => ({ command: async () => ({ version: '7.0.42', ferretdbVersion: 'v1.24.2' }) }) };

    const server = await detectStoreServer(db);

    expect(server).toEqual({ kind: 'FerretDB', version: 'v1.24.2', reports: '7.0.42' });
    expect(storeLabel(server)).toBe('FerretDB v1.24.2');
  });

  it('when buildInfo has no ferretdbVersion, then the store is MongoDB at its version', () => {
    const server = storeServerOf({ version: '7.0.14', gitVersion: 'abc' });

    expect(server).toEqual({ kind: 'MongoDB', version: '7.0.14' });
    expect(storeLabel(server)).toBe('MongoDB 7.0.14');
  });
});
