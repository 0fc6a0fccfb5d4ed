import { DomainError } from '../domain/domain-error';

/** The DomainError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function domainErrorOf(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) {
    throw new Error(`expected a DomainError, got ${err === undefined ? 'a fulfilled promise' : String(err)}`);
  }
  return err;
}
