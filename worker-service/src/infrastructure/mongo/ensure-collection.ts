import type { Model } from 'mongoose';

/**
 * Creates the collection and its missing indexes, leaving any others alone (unlike syncIndexes, which
 * drops them). Run at start-up, so a query never meets a collection without its indexes.
 */
export async function ensureCollection<T>(model: Model<T>): Promise<void> {
  await model.createCollection().catch((err: { codeName?: string; code?: number }) => {
    if (err.code !== 48 && err.codeName !== 'NamespaceExists') throw err;
  });
  await model.createIndexes();
}
