import { DomainError } from '../../domain/domain-error';

/**
 * Every store failure on the read path is infrastructure trouble, never the client's input (that was validated
 * before we got here), so it surfaces as a retriable 503.
 */
export async function guardStoreRead<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    throw new DomainError('SERVICE_UNAVAILABLE', 'the activity store did not answer', { retriable: true, cause: err });
  }
}
