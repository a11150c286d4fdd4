/**
 * The page's record exports as files that stand alone: each carries the
 * experiment that produced its records, so `gradscope run <file>` can train it again.
 *
 *  - JSON: one document
 *      {"gradscope":1,"experiment":{…},"url":"…",
 *      "runs":[
 *      {"run":0,"label":"A","keptEvery":1,"records":[
 *      <step record>,
 *      …
 *      ]}
 *      ]}
 *    Records exactly as the contract's step records (records.ts), one per line.
 *  - JSONL: a first line {"gradscope":1,"experiment":{…},"url":"…","runs":[{"run","label","keptEvery","records":<count>}]}
 *    (it has no "step"), then one step record per line, as `gradscope run` writes them.
 *  - CSV: a first line `# experiment: <share URL>` (skip it: pandas `skiprows=1`,
 *    R `skip = 1`), then the header and one row per record, as `gradscope run --format csv`.
 *
 * `keptEvery` > 1: the run outgrew the worker's record budget and only every
 * k-th step was kept (steps 0, k, 2k, …); the JSON says so in a `note` as well.
 *
 * The first line of every format names the experiment, so a reader of a file of
 * any size finds it in the file's first bytes (exportedExperiment).
 */
import { parseExperiment, type Experiment, type ValidationResult } from './config.ts';
import { parseFragment } from './shareLink.ts';
import { toJsonLine } from './format.ts';
import { csvHeader, recordToCsv, recordToJson, type StepRecord } from './records.ts';

export const EXPORT_VERSION = 1;

export interface RunRecords {
  run: number;
  label: string;
  /** 1: every step; k > 1: only every k-th step was kept. */
  keptEvery: number;
  records: StepRecord[];
}

export interface ExportInput {
  experiment: Experiment;
  /** The share URL of the experiment (the page's link). */
  url: string;
  runs: RunRecords[];
}

/** "every 4th step" */
function ordinal(k: number): string {
  const s = k % 100 >= 11 && k % 100 <= 13 ? 'th' : k % 10 === 1 ? 'st' : k % 10 === 2 ? 'nd' : k % 10 === 3 ? 'rd' : 'th';
  return `${k}${s}`;
}

/** Why a run's file holds fewer steps than it trained (null when it holds every step). */
export function keptNote(r: Pick<RunRecords, 'label' | 'keptEvery'>): string | null {
  if (r.keptEvery <= 1) return null;
  return `run ${JSON.stringify(r.label)}: only every ${ordinal(r.keptEvery)} step was kept (the run outgrew the page's 64 MiB record budget)`;
}

function header(x: ExportInput): string {
  return `{"gradscope":${EXPORT_VERSION},"experiment":${toJsonLine(x.experiment)},"url":${JSON.stringify(x.url)},`;
}

function runHead(r: RunRecords): Record<string, unknown> {
  const note = keptNote(r);
  return { run: r.run, label: r.label, keptEvery: r.keptEvery, ...(note ? { note } : {}) };
}

/** The JSON document (see the module comment). */
export function exportJson(x: ExportInput): string {
  const parts: string[] = [header(x), '\n"runs":['];
  x.runs.forEach((r, i) => {
    const head = toJsonLine(runHead(r));
    parts.push(`${i ? ',' : ''}\n${head.slice(0, -1)},"records":[`);
    r.records.forEach((rec, j) => parts.push(`${j ? ',' : ''}\n${recordToJson(rec)}`));
    parts.push('\n]}');
  });
  parts.push('\n]}\n');
  return parts.join('');
}

/** JSON lines: the experiment's line, then one step record per line. */
export function exportJsonl(x: ExportInput): string {
  const runs = x.runs.map((r) => ({ ...runHead(r), records: r.records.length }));
  const lines = [`${header(x)}"runs":${toJsonLine(runs)}}`];
  for (const r of x.runs) for (const rec of r.records) lines.push(recordToJson(rec));
  return lines.join('\n') + '\n';
}

/** CSV: `# experiment: <url>` (and why steps are missing, if any), the header, one row per record. */
export function exportCsv(x: ExportInput): string {
  const notes = x.runs.map(keptNote).filter((n): n is string => n !== null);
  const names = [...new Set(x.runs.flatMap((r) => r.records.flatMap((rec) => rec.layers.map((l) => l.name))))];
  const first = `# experiment: ${x.url}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  const lines = [first.replace(/[\r\n]+/g, ' '), csvHeader(names)];
  for (const r of x.runs) for (const rec of r.records) lines.push(recordToCsv(rec, names));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- reading back

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The experiment of a parsed export document (or its JSONL first line). */
function experimentOfDoc(doc: Record<string, unknown>): ValidationResult<Experiment> {
  if (doc.gradscope !== EXPORT_VERSION) {
    return { ok: false, errors: [`gradscope: this gradscope reads exports of version ${EXPORT_VERSION}, got ${JSON.stringify(doc.gradscope)}`] };
  }
  if (!('experiment' in doc)) return { ok: false, errors: ['experiment: missing (an export of the page holds the experiment it trained)'] };
  const r = parseExperiment(doc.experiment);
  return r.ok ? r : { ok: false, errors: r.errors.map((e) => `experiment.${e}`) };
}

/**
 * The experiment of a page export, from the file's first bytes: the JSON
 * document and the JSONL file by their first line, the CSV file by its
 * `# experiment: <url>` line. Null when the text does not start like an export.
 */
export function exportedExperiment(start: string): ValidationResult<Experiment> | null {
  const nl = start.indexOf('\n');
  const first = (nl >= 0 ? start.slice(0, nl) : start).trim();
  const csv = /^# experiment: (\S+)/.exec(first);
  if (csv) return parseFragment(csv[1]).experiment ?? { ok: false, errors: ['# experiment: the link holds no experiment'] };
  if (!/^\{\s*"gradscope"\s*:/.test(first)) return null;
  for (const text of [first, `${first.replace(/,$/, '')}}`]) {
    try {
      const doc: unknown = JSON.parse(text);
      if (isObject(doc)) return experimentOfDoc(doc);
    } catch {
      // The document's first line ends in a comma: the next candidate closes it.
    }
  }
  return null;
}

/**
 * The experiment of a page export given as JSON text (any layout of the JSON
 * document, or the JSONL file); null when the text is not an export (then it
 * is read as an experiment or a run config by config.ts, with its bounds on
 * nesting).
 */
export function parseExperimentOrExport(text: string): ValidationResult<Experiment> | null {
  const fromHead = exportedExperiment(text);
  if (fromHead) return fromHead;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  return isObject(data) && 'gradscope' in data ? experimentOfDoc(data) : null;
}
