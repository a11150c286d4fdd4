/**
 * The packed row: the one layout of a step's numbers, written by the trainer on
 * the device, read back in one `data()` call, posted to the page as is and
 * decoded into contract records here. Every reader of a row goes through this
 * module (no offsets or status codes anywhere else).
 *
 *   [step, lr, loss, dataLoss, penalty, acc, gradNorm, gradNormClipped, status, evaluated,
 *    testLoss, testAcc, then per layer: gradNorm, gradNormClipped, weightNorm, updateNorm,
 *    actGradNorm, kernelGradNorm, kernelWeightNorm, kernelUpdateNorm]
 *
 * Rows are float32: the step is exact up to 2^24, the lr is the float32 value
 * the device used.
 */
import type { LayerRecord, StepRecord, StepStatus } from './records.ts';

/** Status codes as stored in a row. */
export const STATUS = { ok: 0, clipped: 1, skipped: 2, diverged: 3 } as const;
export const STATUS_NAMES: readonly StepStatus[] = ['ok', 'clipped', 'skipped', 'diverged'];

/** Offsets of the head values, then of the values inside one layer's block. */
export const ROW = {
  step: 0,
  lr: 1,
  loss: 2,
  dataLoss: 3,
  penalty: 4,
  acc: 5,
  gradNorm: 6,
  gradNormClipped: 7,
  status: 8,
  evaluated: 9,
  testLoss: 10,
  testAcc: 11,
  HEAD: 12,
  PER_LAYER: 8,
} as const;

export type HeadField = 'step' | 'lr' | 'loss' | 'dataLoss' | 'penalty' | 'acc' | 'gradNorm' | 'gradNormClipped' | 'testLoss' | 'testAcc';
export type LayerField =
  | 'gradNorm'
  | 'gradNormClipped'
  | 'weightNorm'
  | 'updateNorm'
  | 'actGradNorm'
  | 'kernelGradNorm'
  | 'kernelWeightNorm'
  | 'kernelUpdateNorm';

/**
 * Order of the per-layer values in a layer's block (the trainers write them in
 * this order): norms over all of the layer's variables (kernel, bias, norm
 * parameters: what clipping acts on), ∂L/∂h, then the same over the kernel alone.
 */
export const LAYER_FIELDS: readonly LayerField[] = [
  'gradNorm',
  'gradNormClipped',
  'weightNorm',
  'updateNorm',
  'actGradNorm',
  'kernelGradNorm',
  'kernelWeightNorm',
  'kernelUpdateNorm',
];
const LAYER_OFFSET = Object.fromEntries(LAYER_FIELDS.map((f, i) => [f, i])) as Record<LayerField, number>;

export function rowLength(nLayers: number): number {
  return ROW.HEAD + ROW.PER_LAYER * nLayers;
}

/** Number of layers of a row of this length. */
export function layersOf(rowLen: number): number {
  return (rowLen - ROW.HEAD) / ROW.PER_LAYER;
}

export function head(row: ArrayLike<number>, f: HeadField, offset = 0): number {
  return row[offset + ROW[f]];
}

export function layerValue(row: ArrayLike<number>, layer: number, f: LayerField, offset = 0): number {
  return row[offset + ROW.HEAD + layer * ROW.PER_LAYER + LAYER_OFFSET[f]];
}

export function statusCode(row: ArrayLike<number>, offset = 0): number {
  return row[offset + ROW.status];
}

export function isDiverged(row: ArrayLike<number>, offset = 0): boolean {
  return row[offset + ROW.status] === STATUS.diverged;
}

export function isClipped(row: ArrayLike<number>, offset = 0): boolean {
  return row[offset + ROW.status] === STATUS.clipped;
}

/** The row carries held-out metrics (an evaluation step). */
export function isEvaluated(row: ArrayLike<number>, offset = 0): boolean {
  return row[offset + ROW.evaluated] === 1;
}

/** Index (0-based, within `count` rows of `rowLen` floats) of the first diverged row, or -1. */
export function firstDiverged(rows: ArrayLike<number>, count: number, rowLen: number): number {
  for (let i = 0; i < count; i++) if (rows[i * rowLen + ROW.status] === STATUS.diverged) return i;
  return -1;
}

export interface RowMeta {
  run: number;
  label: string;
  layerNames: string[];
}

/** Decodes one packed row (at `offset` in `buf`) into a contract record. */
export function decodeRow(buf: ArrayLike<number>, offset: number, meta: RowMeta): StepRecord {
  const layers: LayerRecord[] = meta.layerNames.map((name, l) => {
    const rec = { name } as LayerRecord;
    for (const f of LAYER_FIELDS) rec[f] = layerValue(buf, l, f, offset);
    return rec;
  });
  const rec: StepRecord = {
    run: meta.run,
    label: meta.label,
    step: buf[offset + ROW.step],
    loss: buf[offset + ROW.loss],
    dataLoss: buf[offset + ROW.dataLoss],
    penalty: buf[offset + ROW.penalty],
    acc: buf[offset + ROW.acc],
    lr: buf[offset + ROW.lr],
    gradNorm: buf[offset + ROW.gradNorm],
    gradNormClipped: buf[offset + ROW.gradNormClipped],
    status: STATUS_NAMES[buf[offset + ROW.status]] ?? 'diverged',
    layers,
  };
  if (isEvaluated(buf, offset)) {
    rec.testLoss = buf[offset + ROW.testLoss];
    rec.testAcc = buf[offset + ROW.testAcc];
  }
  return rec;
}

/** Decodes `count` consecutive rows. */
export function decodeRows(buf: ArrayLike<number>, count: number, meta: RowMeta): StepRecord[] {
  const rl = rowLength(meta.layerNames.length);
  const out: StepRecord[] = [];
  for (let i = 0; i < count; i++) out.push(decodeRow(buf, i * rl, meta));
  return out;
}

/** A readable reason for a diverged row: "loss NaN, gradient norm Infinity in layer dense3 (Infinity)". */
export function describeDivergence(row: ArrayLike<number>, offset: number, layerNames: string[]): string {
  const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : Number.isFinite(x) ? x.toPrecision(3) : x > 0 ? 'Infinity' : '-Infinity');
  // The first layer (input → output) whose gradient norm is not finite, else the largest.
  let worst = -1;
  let worstVal = -Infinity;
  for (let l = 0; l < layerNames.length; l++) {
    const v = layerValue(row, l, 'gradNorm', offset);
    if (!Number.isFinite(v)) {
      worst = l;
      worstVal = v;
      break;
    }
    if (v > worstVal) {
      worst = l;
      worstVal = v;
    }
  }
  const layer = worst >= 0 ? ` in layer ${layerNames[worst]} (${fmt(worstVal)})` : '';
  return `loss ${fmt(head(row, 'loss', offset))}, gradient norm ${fmt(head(row, 'gradNorm', offset))}${layer}`;
}
