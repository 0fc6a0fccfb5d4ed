import type { InsightValue, MetadataPath } from './insights-limits';

export function isInsightValue(value: unknown): value is InsightValue {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

/**
 * The value at a metadata path (`metadata.page.path`), when it is a string, number or boolean: null, objects and
 * arrays are not values to rank or compare, and arrays are not walked into (a segment never indexes one).
 */
export function metadataValueAt(metadata: unknown, path: MetadataPath): InsightValue | undefined {
  let at: unknown = metadata;
  for (const segment of path.split('.').slice(1)) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, segment)) return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return isInsightValue(at) ? at : undefined;
}

/** The metadata fields every one of the types declares rankable; none without types. */
export function commonRankableFields(declared: ReadonlyArray<readonly string[]>): string[] {
  const [first, ...rest] = declared;
  if (first === undefined) return [];
  return [...new Set(first)].filter((field) => rest.every((fields) => fields.includes(field))).sort();
}

/**
 * Ranks values: count descending, ties by the value's JSON text in byte order (so "10" after 10 and true after
 * "x" deterministically, whichever order the store returned them in), cut at `limit`.
 */
export function rankValues<T extends { value: InsightValue; count: number }>(values: readonly T[], limit: number): T[] {
  return values
    .map((entry) => ({ entry, key: Buffer.from(JSON.stringify(entry.value), 'utf8') }))
    .sort((a, b) => b.entry.count - a.entry.count || Buffer.compare(a.key, b.key))
    .slice(0, limit)
    .map(({ entry }) => entry);
}
