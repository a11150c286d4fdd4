/**
 * Your own data: a CSV file with a header row, numeric feature columns and one
 * target column. Parsed with papaparse; every refusal names the row (the header
 * is row 1) and the column. The limits are here and nowhere else.
 */
import Papa from 'papaparse';
import type { Task } from '../meta.ts';

export const CSV_LIMITS = {
  /** Largest file read, in bytes (UTF-8). */
  maxBytes: 1_000_000,
  /** Most data rows (the header not counted): the schema's largest `data.samples`. */
  maxRows: 20_000,
  /** Most columns, the target included. */
  maxColumns: 64,
  /** Most distinct target values of a classification. */
  maxClasses: 10,
  /** Longest column name. */
  maxNameLength: 100,
  /**
   * A CSV travels inside a share link while its compressed text is at most this
   * many characters of the link (≈ 8 KB: 6 bits a character); a larger one is
   * referenced by its name, size and SHA-256.
   */
  maxEmbeddedChars: 11_000,
} as const;

/** The columns of a parsed file: names and the cells of each row as text. */
export interface CsvTable {
  columns: string[];
  /** Data rows (without the header), each with one cell per column. */
  rows: string[][];
  /** The row number in the file of each data row (the header is row 1). */
  rowNumbers: number[];
}

export type CsvResult<T> = { ok: true; value: T } | { ok: false; error: string };

function fail<T>(error: string): CsvResult<T> {
  return { ok: false, error };
}

function quote(s: string, max = 40): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** "a.csv is 3.2 MB" style sizes. */
export function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} bytes`;
}

/** The message for a file over the size limit. */
export function tooLarge(bytes: number): string {
  return `the file is ${bytes.toLocaleString('en')} bytes (${formatBytes(bytes)}), at most ${CSV_LIMITS.maxBytes.toLocaleString('en')} allowed`;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The header and rows of a CSV text, or why not (size, empty, ragged rows, bad header, limits). */
export function parseCsvTable(text: string): CsvResult<CsvTable> {
  const bytes = utf8Length(text);
  if (bytes > CSV_LIMITS.maxBytes) return fail(tooLarge(bytes));
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return fail('the file is empty (a header row and at least two data rows are needed)');
  const parsed = Papa.parse<string[]>(body, { header: false, dynamicTyping: false, skipEmptyLines: false, delimiter: ',' });
  const bad = parsed.errors.find((e) => e.type === 'Quotes');
  if (bad) return fail(`row ${(bad.row ?? 0) + 1}: ${bad.message.toLowerCase()} (a quoted cell is not closed)`);
  const records = parsed.data;
  const isBlank = (r: string[]) => r.length === 0 || (r.length === 1 && r[0].trim() === '');
  let h = 0;
  while (h < records.length && isBlank(records[h])) h++;
  if (h >= records.length) return fail('the file is empty (a header row and at least two data rows are needed)');
  const columns = records[h].map((c) => c.trim());
  if (columns.length > CSV_LIMITS.maxColumns) return fail(`row ${h + 1} (the header): ${columns.length} columns, at most ${CSV_LIMITS.maxColumns} allowed`);
  if (columns.length < 2) return fail(`row ${h + 1} (the header): ${columns.length} column, at least 2 needed (features and a target, separated by commas)`);
  const seen = new Set<string>();
  for (let c = 0; c < columns.length; c++) {
    const name = columns[c];
    if (name === '') return fail(`row ${h + 1} (the header), column ${c + 1}: the column has no name`);
    if (name.length > CSV_LIMITS.maxNameLength) return fail(`row ${h + 1} (the header), column ${c + 1}: the name is longer than ${CSV_LIMITS.maxNameLength} characters`);
    if (seen.has(name)) return fail(`row ${h + 1} (the header), column ${c + 1}: the name ${quote(name)} appears twice`);
    seen.add(name);
  }
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (let i = h + 1; i < records.length; i++) {
    const r = records[i];
    if (isBlank(r)) continue;
    if (r.length !== columns.length) return fail(`row ${i + 1}: ${r.length} cell${r.length === 1 ? '' : 's'}, the header has ${columns.length} columns`);
    if (rows.length >= CSV_LIMITS.maxRows) return fail(`row ${i + 1}: more than ${CSV_LIMITS.maxRows} data rows, at most ${CSV_LIMITS.maxRows} allowed`);
    rows.push(r.map((c) => c.trim()));
    rowNumbers.push(i + 1);
  }
  if (rows.length < 2) return fail(`the file has ${rows.length} data row${rows.length === 1 ? '' : 's'} after the header, at least 2 needed`);
  return { ok: true, value: { columns, rows, rowNumbers } };
}

/** A finite number from a cell ("1e3", " -2.5 "), or null. */
function cellNumber(cell: string): number | null {
  if (cell === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) return null;
  const v = Number(cell);
  return Number.isFinite(v) ? v : null;
}

/** A CSV turned into examples: features, and a class index or a number per row. */
export interface CsvData {
  features: string[];
  target: string;
  task: 'classification' | 'regression';
  /** Row-major [rows × features]. */
  x: Float32Array;
  /** Class index per row (classification). */
  y: Int32Array;
  /** Target value per row (regression). */
  t: Float32Array;
  classNames: string[];
  nRows: number;
}

/**
 * The examples of a parsed table: `target` is a column name ('' for the last
 * column); `task` auto is classification when the target has at most
 * CSV_LIMITS.maxClasses distinct values that are all whole numbers (or any text),
 * regression otherwise.
 */
export function csvExamples(table: CsvTable, target: string, task: Task): CsvResult<CsvData> {
  const { columns, rows, rowNumbers } = table;
  const ti = target === '' ? columns.length - 1 : columns.indexOf(target);
  if (ti < 0) return fail(`target column ${quote(target)} is not in the header (columns: ${columns.map((c) => quote(c, 20)).join(', ')})`);
  const tName = columns[ti];
  const features = columns.filter((_, c) => c !== ti);
  const n = rows.length;
  const x = new Float32Array(n * features.length);
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let c = 0; c < columns.length; c++) {
      if (c === ti) continue;
      const v = cellNumber(rows[i][c]);
      if (v === null) {
        const what = rows[i][c] === '' ? 'an empty cell (missing values are not supported)' : `${quote(rows[i][c])} is not a number`;
        return fail(`row ${rowNumbers[i]}, column ${quote(columns[c])}: ${what}`);
      }
      x[i * features.length + f++] = v;
    }
  }
  // The target: numbers, or text (classes only).
  const cells = rows.map((r) => r[ti]);
  const nums = cells.map(cellNumber);
  const firstText = nums.findIndex((v) => v === null);
  const distinct = [...new Set(cells)];
  const allWhole = firstText < 0 && nums.every((v) => Number.isInteger(v));
  const decided = task !== 'auto' ? task : firstText >= 0 || (distinct.length <= CSV_LIMITS.maxClasses && allWhole) ? 'classification' : 'regression';
  if (distinct.length < 2) return fail(`column ${quote(tName)} (the target) has the same value, ${quote(distinct[0] ?? '')}, in every row: nothing to learn`);
  if (decided === 'regression') {
    if (firstText >= 0) {
      const what = cells[firstText] === '' ? 'an empty cell' : `${quote(cells[firstText])} is not a number`;
      return fail(`row ${rowNumbers[firstText]}, column ${quote(tName)} (the target of a regression): ${what}`);
    }
    return { ok: true, value: { features, target: tName, task: 'regression', x, y: new Int32Array(n), t: Float32Array.from(nums as number[]), classNames: [tName], nRows: n } };
  }
  if (distinct.length > CSV_LIMITS.maxClasses) {
    return fail(`column ${quote(tName)} (the target) has ${distinct.length} distinct values, at most ${CSV_LIMITS.maxClasses} classes allowed (choose regression for a numeric target)`);
  }
  const empty = cells.findIndex((c) => c === '');
  if (empty >= 0) return fail(`row ${rowNumbers[empty]}, column ${quote(tName)} (the target): an empty cell (missing values are not supported)`);
  const classNames = firstText < 0 ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  const index = new Map(classNames.map((c, k) => [c, k]));
  const y = Int32Array.from(cells, (c) => index.get(c)!);
  return { ok: true, value: { features, target: tName, task: 'classification', x, y, t: new Float32Array(n), classNames, nRows: n } };
}

/** Parse and convert in one call (one message for any problem). */
export function parseCsvData(text: string, target: string, task: Task): CsvResult<CsvData> {
  const t = parseCsvTable(text);
  return t.ok ? csvExamples(t.value, target, task) : t;
}
