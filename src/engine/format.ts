/**
 * Numbers and text of the files gradscope writes: the JSON lines and CSV of step
 * records (records.ts) and of sweep trials (sweep/format.ts), for the CLI and the
 * page's exports alike.
 *
 * Numbers. JSON has no literal for NaN and ±Infinity: they are written as the
 * strings "NaN", "Infinity", "-Infinity" (contract section 3), in JSON and CSV.
 * A finite number is written by its precision:
 *  - float32, a value measured on the device (a loss, a norm, an accuracy): the
 *    shortest decimal that reads back as the same float32, at most 9 significant
 *    digits (0.1, not 0.10000000149011612);
 *  - float64, every other number (a config value, a swept parameter, a learning
 *    rate, a count): in full, the shortest decimal that reads back as the same
 *    float64 (JavaScript's own). Shortening it to float32 digits would change the
 *    value: the parameter 0.30000001192092896 is not the parameter 0.3.
 * The writer of a format says which fields are float32; everything else is float64.
 *
 * Text in CSV. A cell that a spreadsheet would run as a formula (text starting with
 * =, +, -, @, a tab or a carriage return) gets a leading single quote, OWASP's rule
 * against CSV injection: a run label "=1+1" shows as text, it is not computed. The
 * rule is for text; a number is written as a number, so -0.5 stays -0.5.
 */

export type Precision = 'float32' | 'float64';

const MIN_NORMAL_FLOAT32 = 2 ** -126;

/** A number for JSON: non-finite ones as strings; float32 values in their shortest exact form. */
export function jsonNumber(x: number, precision: Precision = 'float64'): number | string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (precision === 'float32' && Math.fround(x) === x) {
    // A normal float32 has over 7 digits: any shorter decimal that reads back as x is also its
    // 6-digit rounding, so the search starts there (a subnormal, with fewer, starts at 1).
    for (let p = Math.abs(x) < MIN_NORMAL_FLOAT32 ? 1 : 6; p <= 9; p++) {
      const y = Number(x.toPrecision(p));
      if (Math.fround(y) === x) return y;
    }
  }
  return x;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** The precision of a field of a format: float32 when it is one of the format's `float32Keys`. */
export function precisionOf(key: string, float32Keys: ReadonlySet<string>): Precision {
  return float32Keys.has(key) ? 'float32' : 'float64';
}

/** One line of JSON; a number under a key in `float32Keys` (at any depth) is written as a float32. */
export function toJsonLine(value: unknown, float32Keys: ReadonlySet<string> = NO_KEYS): string {
  return JSON.stringify(value, (k: string, v: unknown) => (typeof v === 'number' ? jsonNumber(v, precisionOf(k, float32Keys)) : v));
}

/** Parses a line written by toJsonLine, turning "NaN", "Infinity" and "-Infinity" back into numbers. */
export function parseJsonLine<T = unknown>(line: string): T {
  return JSON.parse(line, (_k, v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as T;
}

/** Text that a spreadsheet would run as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: empty for a missing value, a number as in JSON, text quoted when needed and never a formula. */
export function csvCell(v: unknown, precision: Precision = 'float64'): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(jsonNumber(v, precision));
  let s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
