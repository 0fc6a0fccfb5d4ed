import { Pool, type QueryResult } from 'pg';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of an `EXPLAIN (FORMAT JSON)` plan: `Node Type`, then ` on <relation>` and ` using <index>` if any. */
export function planNodes(result: QueryResult): string[] {
  const walk = (node: PlanNode): string[] => [
    node['Node Type'] +
      (node['Relation Name'] ? ` on ${node['Relation Name']}` : '') +
      (node['Index Name'] ? ` using ${node['Index Name']}` : ''),
    ...(node.Plans ?? []).flatMap(walk),
  ];
  const plan = (result.rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode }> })['QUERY PLAN'][0]!.Plan;
  return walk(plan);
}

/**
 * The plan of each statement with sequential scans forbidden. A test table of a few rows is scanned faster
 * than searched, so forbidding scans asks whether an index CAN serve the statement: PostgreSQL still picks a
 * Seq Scan when no index matches the expression, and that is what a caller looks for. EXPLAIN alone never
 * runs the statement, so DELETEs are safe to explain.
 */
export async function plansWithoutSeqScan(
  url: string,
  statements: Record<string, { text: string; values: unknown[] }>,
): Promise<Record<string, string[]>> {
  // One connection, so the SET below applies to every EXPLAIN.
  const pg = new Pool({ connectionString: url, max: 1 });
  try {
    await pg.query('SET enable_seqscan = off');
    const plans: Record<string, string[]> = {};
    for (const [name, { text, values }] of Object.entries(statements)) {
      plans[name] = planNodes(await pg.query(`EXPLAIN (FORMAT JSON) ${text}`, values));
    }
    return plans;
  } finally {
    await pg.end();
  }
}

/** The statements whose plan scans a table sequentially, with the offending nodes. */
export function seqScans(plans: Record<string, string[]>): string[] {
  return Object.entries(plans).flatMap(([name, nodes]) => {
    const scans = nodes.filter((n) => n.startsWith('Seq Scan'));
    return scans.length > 0 ? [`${name}: ${scans.join(', ')}`] : [];
  });
}
