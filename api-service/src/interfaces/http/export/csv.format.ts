/** The export's CSV columns, in order. `metadata` and `context` are JSON text; absent values are empty cells. */
export const CSV_COLUMNS = [
  'eventId',
  'userId',
  'type',
  'occurredAt',
  'receivedAt',
  'persistedAt',
  'sessionId',
  'schemaVersion',
  'metadata',
  'context',
] as const;

export type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], unknown>>;

// Spreadsheets run a cell starting with one of these as a formula (CSV/formula injection, OWASP);
// tab and CR are on the list because some of them strip them and then see the next character.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 cell. A value a spreadsheet would take for a formula gets a leading `'`, which makes
 * Excel, LibreOffice and Google Sheets show it as text; such a cell is always quoted.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const defused = FORMULA_START.test(text) ? `'${text}` : text;
  return defused !== text || NEEDS_QUOTES.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}

/** A record (CRLF-terminated, as RFC 4180 has it) of the given values in CSV_COLUMNS order. */
export function csvRecord(row: CsvRow): string {
  return `${CSV_COLUMNS.map((column) => csvCell(row[column])).join(',')}\r\n`;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;
