/** Who did it, for a table cell: the user, else the anonymous visitor (an event has at least one of them). */
export function actorText(event: { userId?: string | undefined; anonymousId?: string | undefined }): string {
  if (event.userId !== undefined) return event.userId;
  return event.anonymousId === undefined ? '' : `anonymous ${event.anonymousId}`;
}
