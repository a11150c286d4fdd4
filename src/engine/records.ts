/**
 * Step records (contract section 3): their types, the packed row layout the
 * trainer reads back from the device, and JSONL/CSV formatting shared by the
 * CLI and the page's exports.
 */
import { csvCell, parseJsonLine, precisionOf, toJsonLine } from './format.ts';

export type StepStatus = 'ok' | 'clipped' | 'skipped' | 'diverged';
export const STATUS_CODES: StepStatus[] = ['ok', 'clipped', 'skipped', 'diverged'];

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
}

/** Packed row: HEAD values, then PER_LAYER values per layer. */
export const ROW = {
  loss: 0,
  acc: 1,
  gradNorm: 2,
  gradNormClipped: 3,
  status: 4,
  evaluated: 5,
  testLoss: 6,
  testAcc: 7,
  HEAD: 8,
  PER_LAYER: 5,
  // offsets within a layer block
  lGrad: 0,
  lGradClipped: 1,
  lWeight: 2,
  lUpdate: 3,
  lActGrad: 4,
} as const;

export function rowLength(nLayers: number): number {
  return ROW.HEAD + ROW.PER_LAYER * nLayers;
}

export interface RowMeta {
  run: number;
  label: string;
  layerNames: string[];
}

/** Decodes one packed row (at `offset` in `buf`) into a record. */
export function decodeRow(buf: ArrayLike<number>, offset: number, step: number, lr: number, meta: RowMeta): StepRecord {
  const layers: LayerRecord[] = meta.layerNames.map((name, l) => {
    const o = offset + ROW.HEAD + l * ROW.PER_LAYER;
    return {
      name,
      gradNorm: buf[o + ROW.lGrad],
      gradNormClipped: buf[o + ROW.lGradClipped],
      weightNorm: buf[o + ROW.lWeight],
      updateNorm: buf[o + ROW.lUpdate],
      actGradNorm: buf[o + ROW.lActGrad],
    };
  });
  const rec: StepRecord = {
    run: meta.run,
    label: meta.label,
    step,
    loss: buf[offset + ROW.loss],
    acc: buf[offset + ROW.acc],
    lr,
    gradNorm: buf[offset + ROW.gradNorm],
    gradNormClipped: buf[offset + ROW.gradNormClipped],
    status: STATUS_CODES[buf[offset + ROW.status]] ?? 'diverged',
    layers,
  };
  if (buf[offset + ROW.evaluated] === 1) {
    rec.testLoss = buf[offset + ROW.testLoss];
    rec.testAcc = buf[offset + ROW.testAcc];
  }
  return rec;
}

/** The fields measured on the device: float32 values, written in their shortest exact form (format.ts). */
const FLOAT32_FIELDS: ReadonlySet<string> = new Set([
  'loss',
  'acc',
  'gradNorm',
  'gradNormClipped',
  'testLoss',
  'testAcc',
  'weightNorm',
  'updateNorm',
  'actGradNorm',
]);

/** One JSONL line; non-finite numbers as "NaN", "Infinity", "-Infinity". */
export function recordToJson(r: StepRecord): string {
  return toJsonLine(r, FLOAT32_FIELDS);
}

/** Parses a JSON record back, turning "NaN"/"Infinity" strings into numbers. */
export function parseRecordJson(line: string): StepRecord {
  return parseJsonLine<StepRecord>(line);
}

const LAYER_FIELDS = ['gradNorm', 'gradNormClipped', 'weightNorm', 'updateNorm', 'actGradNorm'] as const;
const HEAD_FIELDS = ['run', 'label', 'step', 'loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'testLoss', 'testAcc'] as const;

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
