import type { z } from 'zod';
import type { BatchAccepted as ApiBatchAccepted } from '../../api-service/src/application/ingest-activity.use-case';
import type { ActivityDtoSchema } from '../../api-service/src/interfaces/http/queries/activity-queries.router';
import type { ProblemDetailsSchema } from '../../api-service/src/interfaces/http/problem';
import type {
  FreshnessSchema,
  ReceiptStatusSchema,
} from '../../api-service/src/interfaces/http/receipts/receipts.router';
import type { Activity, BatchAccepted, Freshness, Problem, ReceiptStatus } from './types';

/** Compiles only when A and B are assignable both ways; `npm run lint` type-checks this file. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Every value of A is a B: the SDK's type may be wider (a problem's `rule` is a string to it, not an enum). */
type Fits<A, B> = [A] extends [B] ? true : false;
const holds = <T extends true>(value: T): T => value;

describe('the SDK types and the api contract', () => {
  it('when the api’s response schemas change, then the SDK types no longer compile (checked by tsc)', () => {
    expect([
      holds<Same<Activity, z.output<typeof ActivityDtoSchema>>>(true),
      holds<Same<ReceiptStatus, z.output<typeof ReceiptStatusSchema>>>(true),
      holds<Same<Freshness, z.output<typeof FreshnessSchema>>>(true),
      holds<Same<BatchAccepted, ApiBatchAccepted>>(true),
      holds<Fits<z.output<typeof ProblemDetailsSchema>, Problem>>(true),
    ]).toEqual([true, true, true, true, true]);
  });
});
