/**
 * Sweep results as JSON lines and CSV, shared by the CLI and the page's exports.
 * Non-finite numbers are written as "NaN", "Infinity", "-Infinity", as in step records.
 */
import { shareUrl, DEFAULT_BASE_URL } from '../config.ts';
import type { SweepSummary } from './runner.ts';
import type { TrialResult } from './result.ts';

function jsonNumber(x: number): number | string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  // Values read back from float32 tensors: the shortest decimal that is the same float32.
  if (Math.fround(x) === x && !Number.isInteger(x)) {
    for (let p = 6; p < 9; p++) {
      const y = Number(x.toPrecision(p));
      if (Math.fround(y) === x) return y;
    }
  }
  return x;
}

function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'number' ? jsonNumber(v) : v;
}

/** The share URL that opens a trial's run in the page (null for an invalid trial). */
export function trialUrl(r: TrialResult, base: string = DEFAULT_BASE_URL): string | null {
  return r.config ? shareUrl({ v: 1, runs: [r.config] }, base) : null;
}

/** One JSON line; the run config goes last, after the numbers people read first. */
export function trialToJson(r: TrialResult, extra: Record<string, unknown> = {}): string {
  const { config, ...rest } = r;
  return JSON.stringify({ ...rest, ...extra, config }, replacer);
}

export function summaryToJson(s: SweepSummary, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...s, ...extra }, replacer);
}

/** Parses a trial or summary line back, turning the non-finite strings into numbers. */
export function parseSweepLine(line: string): Record<string, unknown> {
  return JSON.parse(line, (_k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(jsonNumber(v));
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_FIELDS = [
  'index',
  'point',
  'variant',
  'variantLabel',
  'chosenBy',
  'round',
  'objectiveName',
  'objective',
  'status',
  'diverged',
  'divergedAt',
  'finalLoss',
  'testAcc',
  'trainLoss',
  'trainAcc',
  'maxGradNorm',
  'stepsRun',
  'ms',
] as const;

/** One row per trial: the fixed fields, one column per parameter path, and the trial's share URL. */
export function trialsToCsv(results: readonly TrialResult[], paths: readonly string[], base: string = DEFAULT_BASE_URL): string {
  const head = [...CSV_FIELDS.slice(0, 6), ...paths, ...CSV_FIELDS.slice(6), 'url'];
  const lines = [head.map(csvCell).join(',')];
  for (const r of results) {
    const cells: unknown[] = [
      ...CSV_FIELDS.slice(0, 6).map((f) => r[f]),
      ...paths.map((p) => r.params[p]),
      ...CSV_FIELDS.slice(6).map((f) => r[f]),
      trialUrl(r, base),
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
