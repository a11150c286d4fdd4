/**
 * Sweep results as JSON lines and CSV, shared by the CLI and the page's exports.
 * Numbers and CSV text as in step records (../format.ts): non-finite numbers as "NaN",
 * "Infinity", "-Infinity"; measured values in float32 digits, parameters in full.
 */
import { shareUrl, DEFAULT_BASE_URL } from '../shareLink.ts';
import { csvCell, parseJsonLine, precisionOf, toJsonLine } from '../format.ts';
import type { SweepSummary } from './runner.ts';
import type { TrialResult } from './result.ts';

/** The trial's numbers measured on the device (float32; a parameter or a config value is float64, see format.ts). */
const FLOAT32_FIELDS: ReadonlySet<string> = new Set(['objective', 'finalLoss', 'testAcc', 'trainLoss', 'trainAcc', 'maxGradNorm']);

/** The share URL that opens a trial's run in the page (null for an invalid trial). */
export function trialUrl(r: TrialResult, base: string = DEFAULT_BASE_URL): string | null {
  return r.config ? shareUrl({ v: 1, runs: [r.config] }, base) : null;
}

/** One JSON line; the run config goes last, after the numbers people read first. */
export function trialToJson(r: TrialResult, extra: Record<string, unknown> = {}): string {
  const { config, ...rest } = r;
  return toJsonLine({ ...rest, ...extra, config }, FLOAT32_FIELDS);
}

export function summaryToJson(s: SweepSummary, extra: Record<string, unknown> = {}): string {
  return toJsonLine({ ...s, ...extra }, FLOAT32_FIELDS);
}

/** Parses a trial or summary line back, turning the non-finite strings into numbers. */
export function parseSweepLine(line: string): Record<string, unknown> {
  return parseJsonLine<Record<string, unknown>>(line);
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
  const lines = [head.map((h) => csvCell(h)).join(',')];
  for (const r of results) {
    const cells: string[] = [
      ...CSV_FIELDS.slice(0, 6).map((f) => csvCell(r[f], precisionOf(f, FLOAT32_FIELDS))),
      ...paths.map((p) => csvCell(r.params[p])),
      ...CSV_FIELDS.slice(6).map((f) => csvCell(r[f], precisionOf(f, FLOAT32_FIELDS))),
      csvCell(trialUrl(r, base)),
    ];
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
