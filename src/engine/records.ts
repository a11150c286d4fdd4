/**
 * Step records (contract section 3): their types and the JSONL/CSV formatting
 * shared by the CLI and the page's exports. The packed rows they are decoded
 * from are laid out in rows.ts.
 */
import { csvCell, parseJsonLine, precisionOf, toJsonLine } from './format.ts';
import { LAYER_FIELDS } from './rows.ts';

export type StepStatus = 'ok' | 'clipped' | 'skipped' | 'diverged';

export interface LayerRecord {
  name: string;
  /** Norms over all of the layer's variables (kernel, bias, norm parameters): what clipping acts on. */
  gradNorm: number;
  gradNormClipped: number;
  weightNorm: number;
  updateNorm: number;
  actGradNorm: number;
  /** The same over the layer's kernel (its weight matrix or filters) alone. */
  kernelGradNorm: number;
  kernelWeightNorm: number;
  kernelUpdateNorm: number;
}

export interface StepRecord {
  run: number;
  label: string;
  step: number;
  /** The training loss: the data loss plus the L1/L2 penalty (what the gradients are of). */
  loss: number;
  /** Cross-entropy of the batch alone, and the L1/L2 penalty alone (0 without L1/L2). */
  dataLoss: number;
  penalty: number;
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

/** The fields read back from the device (the lr too: the float32 value the step used), written in their shortest exact float32 form (format.ts). */
const FLOAT32_FIELDS: ReadonlySet<string> = new Set(['lr', 'loss', 'dataLoss', 'penalty', 'acc', 'gradNorm', 'gradNormClipped', 'testLoss', 'testAcc', ...LAYER_FIELDS]);

/** One JSONL line; non-finite numbers as "NaN", "Infinity", "-Infinity". */
export function recordToJson(r: StepRecord): string {
  return toJsonLine(r, FLOAT32_FIELDS);
}

/** Parses a JSON record back, turning "NaN"/"Infinity" strings into numbers. */
export function parseRecordJson(line: string): StepRecord {
  return parseJsonLine<StepRecord>(line);
}

const HEAD_FIELDS = ['run', 'label', 'step', 'loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'testLoss', 'testAcc', 'dataLoss', 'penalty'] as const;

/**
 * CSV: one row per step record; per-layer values as columns
 * `<layer>.<field>` in layer order. `layerNames` fixes the columns (runs with
 * different depths leave the missing cells empty).
 */
export function csvHeader(layerNames: string[]): string {
  const cols: string[] = [...HEAD_FIELDS];
  for (const n of layerNames) for (const f of LAYER_FIELDS) cols.push(`${n}.${f}`);
  return cols.map((c) => csvCell(c)).join(',');
}

export function recordToCsv(r: StepRecord, layerNames: string[]): string {
  const cells: string[] = HEAD_FIELDS.map((f) => csvCell(r[f], precisionOf(f, FLOAT32_FIELDS)));
  const byName = new Map(r.layers.map((l) => [l.name, l]));
  for (const n of layerNames) {
    const l = byName.get(n);
    for (const f of LAYER_FIELDS) cells.push(csvCell(l?.[f], precisionOf(f, FLOAT32_FIELDS)));
  }
  return cells.join(',');
}
