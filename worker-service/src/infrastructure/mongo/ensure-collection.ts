import type { IndexSpec } from '@uap/shared/contract';
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

/**
 * Creates declared indexes the schema does not carry (the partial ones, which only some servers take), unless
 * present. createIndex with the same name and definition is a no-op; a different definition fails loudly.
 */
export async function ensureIndexes<T>(model: Model<T>, indexes: readonly IndexSpec[]): Promise<void> {
  for (const { name, key, unique, partialFilterExpression } of indexes) {
    await model.collection.createIndex(
      { ...key },
      { name, ...(unique ? { unique: true } : {}), ...(partialFilterExpression ? { partialFilterExpression } : {}) },
    );
  }
}
