/**
 * The indexes of the `activities` collection. The worker creates them; the query API's shapes are
 * proven (by a unit test) to be served by one of them. Declared once so the two cannot drift.
 */
export const ACTIVITIES_COLLECTION = 'activities';

export interface IndexSpec {
  readonly name: string;
  readonly key: Readonly<Record<string, 1 | -1>>;
  readonly unique?: boolean;
}

export const ACTIVITY_INDEXES: readonly IndexSpec[] = [
  { name: 'eventId_unique', key: { eventId: 1 }, unique: true },
  { name: 'userId_occurredAt_eventId', key: { userId: 1, occurredAt: -1, eventId: -1 } },
  { name: 'type_occurredAt_eventId', key: { type: 1, occurredAt: -1, eventId: -1 } },
  { name: 'occurredAt_eventId', key: { occurredAt: -1, eventId: -1 } },
];
