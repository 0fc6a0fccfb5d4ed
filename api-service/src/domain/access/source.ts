import { SOURCE_ID_PATTERN } from '@uap/shared/contract';

/** The pattern lives in the contract (events carry a sourceId); re-exported so access code has one import. */
export { SOURCE_ID_PATTERN };

export const SOURCE_STATUSES = ['active', 'paused'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

export const SOURCE_NAME_MAX_LENGTH = 100;

/** Who made a change: the key that authenticated the request; both null when the API runs without keys. */
export interface Actor {
  keyId: string | null;
  label: string | null;
}

/** Where events come from (web, ios, backend): keys are bound to one, and its policy applies to their ingest. */
export interface Source {
  id: string;
  /** 1..100 characters. */
  name: string;
  status: SourceStatus;
  /** Requests per minute per api replica, all of the source's keys together; null: only the per-key limit. */
  rateLimitPerMinute: number | null;
  /** null: every type the registry accepts. */
  allowedTypes: string[] | null;
  createdAt: string;
  updatedAt: string;
  createdBy: Actor;
  updatedBy: Actor;
}
