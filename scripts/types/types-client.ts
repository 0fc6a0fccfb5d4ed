import { UapHttpError, type HttpTransport } from '@uap/client';
import type { ActivityTypeStatus, ActivityTypeVersion, JsonSchema, UnplannedPolicy } from '@uap/shared/activity-types';

export type { ActivityTypeVersion, UnplannedPolicy };

export interface TypeList {
  types: ActivityTypeVersion[];
  policy: UnplannedPolicy;
  registryPosition: number;
}

export interface TypeDetail extends ActivityTypeVersion {
  /** Every version, oldest first. */
  versions: ActivityTypeVersion[];
  registryPosition: number;
}

/** A type as a tracking plan states it: what PUT takes, plus its name. */
export interface PlannedType {
  name: string;
  description?: string;
  metadataSchema: JsonSchema;
  /** Absent: the current names stay; [] gives them up. */
  eventNames?: string[];
  /** Absent: the current fields stay; [] makes none rankable. */
  rankableFields?: string[];
  status?: ActivityTypeStatus;
}

/** A type as read, with the ETag to send back as If-Match when changing it. */
export interface TypeRead {
  detail: TypeDetail;
  etag: string;
}

/** The activity type registry's endpoints, through the SDK's transport. */
export class TypesClient {
  constructor(private readonly transport: HttpTransport) {}

  list(): Promise<TypeList> {
    return this.transport.requestJson('/api/v1/activity-types');
  }

  /** The current version and its history; undefined when there is no such type (404). */
  async read(name: string): Promise<TypeRead | undefined> {
    try {
      const res = await this.transport.open(this.pathOf(name));
      const detail = (await res.json()) as TypeDetail;
      return { detail, etag: res.headers.get('etag') ?? `"${detail.version}"` };
    } catch (err) {
      if (err instanceof UapHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Creates the type (etag undefined: it did not exist when read) or makes a new version of the one read. */
  put(type: PlannedType, etag: string | undefined, breaking: boolean): Promise<TypeDetail> {
    const { name, ...change } = type;
    return this.transport.requestJson(this.pathOf(name), {
      method: 'PUT',
      json: change,
      ...(breaking ? { query: { breaking: 'true' } } : {}),
      ...(etag === undefined ? {} : { headers: { 'if-match': etag } }),
    });
  }

  retire(name: string, etag: string): Promise<TypeDetail> {
    return this.transport.requestJson(this.pathOf(name), { method: 'DELETE', headers: { 'if-match': etag } });
  }

  policy(): Promise<UnplannedPolicy & { registryPosition: number }> {
    return this.transport.requestJson('/api/v1/activity-types/policy');
  }

  setPolicy(policy: UnplannedPolicy): Promise<UnplannedPolicy & { registryPosition: number }> {
    return this.transport.requestJson('/api/v1/activity-types/policy', { method: 'PUT', json: policy });
  }

  private pathOf(name: string): string {
    return `/api/v1/activity-types/${encodeURIComponent(name)}`;
  }
}
