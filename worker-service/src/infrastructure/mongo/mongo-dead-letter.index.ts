import type { DeadLetterRecord } from '@uap/shared/contract';
import type { Model, mongo } from 'mongoose';
import type { DeadLetterIndex } from '../../application/ports/dead-letter.index.port';
import { StoreUnavailableError } from '../../application/retriable.errors';
import { DUPLICATE_KEY, codeOf, writeErrorsOf } from './write-errors';

/** Inserts plus E11000 on the unique letterId, for the same reason as the activities: no upserts on FerretDB. */
export class MongoDeadLetterIndex implements DeadLetterIndex {
  private readonly writeOptions: { writeConcern?: mongo.WriteConcernSettings };

  constructor(
    private readonly model: Model<DeadLetterRecord>,
    options: { writeConcern?: mongo.WriteConcernSettings } = {},
  ) {
    this.writeOptions = options.writeConcern ? { writeConcern: options.writeConcern } : {};
  }

  async insertNew(records: readonly DeadLetterRecord[]): Promise<{ inserted: number; duplicates: number }> {
    try {
      const result = await this.model.insertMany(records, {
        ordered: false,
        lean: true,
        rawResult: true,
        ...this.writeOptions,
      });
      return { inserted: result.insertedCount, duplicates: records.length - result.insertedCount };
    } catch (err) {
      const writeErrors = writeErrorsOf(err);
      const onlyDuplicates = writeErrors.length > 0 && writeErrors.every((w) => codeOf(w) === DUPLICATE_KEY);
      if (onlyDuplicates) return { inserted: records.length - writeErrors.length, duplicates: writeErrors.length };
      // Every text field is made storable when the record is built, so anything else is the store's.
      throw new StoreUnavailableError(`dead-letter index insert failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
