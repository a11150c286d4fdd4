/**
 * Step records (contract section 3): their types and the JSONL/CSV formatting
 * shared by the CLI and the page's exports. The packed rows they are decoded
 * from are laid out in rows.ts.
 */

export type StepStatus = 'ok' | 'clipped' | 'skipped' | 'diverged';

export interface LayerRecord {
  name: string;
  gradNorm: number;
  gradNormClipped: number;
  weightNorm: number;
  updateNorm: number;
  actGradNorm: number;
}

export interface StepRecord {
  run: number;
  label: string;
  step: number;
  loss: number;
  acc: number;
  lr: number;
  gradNorm: number;
  gradNormClipped: number;
  status: StepStatus;
  layers: LayerRecord[];
  /** Held-out loss/accuracy, present on evaluation steps (every `train.evalEvery` and the last). */
  testLoss?: number;
  testAcc?: number;
  /** The engine that trained the step (runTrainer.ts EngineName). */
  engine?: 'tfjs' | 'typed';
}

/** JSON has no literal for NaN/Infinity: write them as strings. */
function jsonNumber(x: number): number | string {
  if (Number.isFinite(x)) {
    // Values read back from float32 tensors: the shortest decimal that is the same float32.
    if (Math.fround(x) === x) {
      for (let p = 6; p <= 9; p++) {
        const y = Number(x.toPrecision(p));
        if (Math.fround(y) === x) return y;
      }
    }
    return x;
  }
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

export function recordToJson(r: StepRecord): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' ? jsonNumber(v) : v));
}

/** Parses a JSON record back, turning "NaN"/"Infinity" strings into numbers. */
export function parseRecordJson(line: string): StepRecord {
  return JSON.parse(line, (_k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}

const LAYER_FIELDS = ['gradNorm', 'gradNormClipped', 'weightNorm', 'updateNorm', 'actGradNorm'] as const;
const HEAD_FIELDS = ['run', 'label', 'step', 'loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'testLoss', 'testAcc'] as const;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(jsonNumber(v));
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV: one row per step record; per-layer values as columns
 * `<layer>.<field>` in layer order. `layerNames` fixes the columns (runs with
 * different depths leave the missing cells empty).
 */
export function csvHeader(layerNames: string[]): string {
  const cols: string[] = [...HEAD_FIELDS];
  for (const n of layerNames) for (const f of LAYER_FIELDS) cols.push(`${n}.${f}`);
  return cols.map(csvCell).join(',');
}

export function recordToCsv(r: StepRecord, layerNames: string[]): string {
  const cells: unknown[] = HEAD_FIELDS.map((f) => r[f]);
  const byName = new Map(r.layers.map((l) => [l.name, l]));
  for (const n of layerNames) {
    const l = byName.get(n);
    for (const f of LAYER_FIELDS) cells.push(l ? l[f] : undefined);
  }
  return cells.map(csvCell).join(',');
}
