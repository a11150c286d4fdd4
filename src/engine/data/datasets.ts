/**
 * Seeded data sets: 2-D toys (two classes), `shapes` (synthetic 16×16
 * single-channel images of three classes), `digits` (handwritten, 14×14,
 * digits.ts), the regression sets `plane` and `housing` (regression.ts) and a
 * CSV of your own (csv.ts); the train/test split and feature scaling are
 * common to all. Pure JS: the same seed gives the same numbers in Node and in
 * every browser backend.
 */
import type { RunConfig } from '../config.ts';
import type { DatasetName, Standardize } from '../meta.ts';
import { makeRng, permutation, subRng, type Rng } from '../rng.ts';
import { DIGITS_CLASSES, DIGITS_MAX_SAMPLES, DIGITS_SIZE, DataNotLoadedError, drawDigits } from './digits.ts';
import { parseCsvData } from './csv.ts';
import { regressionExamples } from './regression.ts';

export type TaskKind = 'classification' | 'regression';

/** The z-scores applied (from the training split): x' = (x − mean)/std per input column, and t' likewise. */
export interface Scaling {
  inputMean: Float64Array;
  inputStd: Float64Array;
  /** 0 and 1 when the target is not scaled. */
  targetMean: number;
  targetStd: number;
}

export interface Dataset {
  name: DatasetName;
  task: TaskKind;
  /** Shape of one example, e.g. [2] or [16, 16, 1]. */
  inputShape: number[];
  /** Number of values of one example. */
  inputSize: number;
  /** Output units: the number of classes, 1 for a regression. */
  nClasses: number;
  /** The classes' names (a regression: the target's name). */
  classNames: string[];
  /** Names of the input columns of a table (CSV, housing); absent for points and images. */
  featureNames?: string[];
  xTrain: Float32Array;
  /** Class indices (classification; zeros for a regression). */
  yTrain: Int32Array;
  xTest: Float32Array;
  yTest: Int32Array;
  /** Targets of a regression (after scaling; empty for a classification). */
  tTrain: Float32Array;
  tTest: Float32Array;
  nTrain: number;
  nTest: number;
  scaling: Scaling | null;
}

export const IMAGE_SIZE = 16;
export const SHAPE_CLASSES = ['square', 'circle', 'triangle'];

type Point = [number, number];

/** `k` is the example's index within its class, `perClass` the class size. */
function point2d(name: DatasetName, label: number, k: number, perClass: number, noise: number, rng: Rng): Point {
  const jitter = () => noise * 0.5 * rng.normal();
  switch (name) {
    case 'circle': {
      // Class 1: disc of radius 0.5; class 0: ring 0.7..1.0.
      const r = label === 1 ? 0.5 * Math.sqrt(rng.next()) : rng.uniform(0.7, 1.0);
      const t = rng.uniform(0, 2 * Math.PI);
      return [r * Math.cos(t) + jitter(), r * Math.sin(t) + jitter()];
    }
    case 'xor': {
      // Quadrants with a small margin; label 1 where x·y > 0.
      const pad = 0.05;
      const sx = rng.next() < 0.5 ? -1 : 1;
      const sy = label === 1 ? sx : -sx;
      return [sx * rng.uniform(pad, 1) + jitter(), sy * rng.uniform(pad, 1) + jitter()];
    }
    case 'gauss': {
      const c = label === 1 ? 0.5 : -0.5;
      const s = 0.2 + 0.6 * noise;
      return [c + s * rng.normal(), c + s * rng.normal()];
    }
    case 'spiral': {
      // TensorFlow Playground's spiral, scaled to [-1, 1].
      const r = k / perClass;
      const t = (1.75 * k * 2 * Math.PI) / perClass + (label === 1 ? Math.PI : 0);
      return [r * Math.sin(t) + jitter(), r * Math.cos(t) + jitter()];
    }
    case 'moons': {
      // scikit-learn's make_moons, centred and scaled to about [-1, 1].
      const t = rng.uniform(0, Math.PI);
      const [x, y] = label === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
      return [(x - 0.5) / 1.5 + jitter(), (y - 0.25) / 1.5 + jitter()];
    }
    default:
      throw new Error(`${name} is not a 2-D classification set`);
  }
}

/** Draws one 16×16 image of a shape class into `out` at `offset`. */
function drawShape(label: number, noise: number, rng: Rng, out: Float32Array, offset: number): void {
  const S = IMAGE_SIZE;
  const size = rng.uniform(4, 7); // half-extent in pixels
  const cx = rng.uniform(size + 0.5, S - size - 0.5);
  const cy = rng.uniform(size + 0.5, S - size - 0.5);
  for (let py = 0; py < S; py++) {
    for (let px = 0; px < S; px++) {
      const x = px + 0.5 - cx;
      const y = py + 0.5 - cy;
      let inside: boolean;
      if (label === 0) inside = Math.abs(x) <= size * 0.85 && Math.abs(y) <= size * 0.85;
      else if (label === 1) inside = x * x + y * y <= size * size;
      else {
        // Upward triangle: apex at (0, -size), base at y = +size.
        const yy = (y + size) / (2 * size); // 0 at apex .. 1 at base
        inside = yy >= 0 && yy <= 1 && Math.abs(x) <= yy * size;
      }
      out[offset + py * S + px] = (inside ? 1 : 0) + noise * 0.5 * rng.normal();
    }
  }
}

function classSizes(y: Int32Array, nClasses: number): number[] {
  const out = new Array<number>(nClasses).fill(0);
  for (const c of y) out[c]++;
  return out;
}

/**
 * Test samples per class for a stratified split: each class's share of `nTest`
 * in proportion to its size, rounded by largest remainder so that they add up
 * to `nTest`, and never a whole class.
 */
export function stratifiedCounts(sizes: readonly number[], nTest: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (total > 0 ? (s * nTest) / total : 0));
  const out = exact.map((e, c) => Math.min(Math.floor(e), Math.max(0, sizes[c] - 1)));
  let left = nTest - out.reduce((a, b) => a + b, 0);
  // Largest remainders first; then any class with room (a class keeps one training sample).
  const byRemainder = sizes.map((_, c) => c).sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
  for (const pass of [0, 1]) {
    for (const c of byRemainder) {
      if (left <= 0) break;
      const room = pass === 0 ? Math.min(1, sizes[c] - 1 - out[c]) : sizes[c] - 1 - out[c];
      const add = Math.max(0, Math.min(room, left));
      out[c] += add;
      left -= add;
    }
  }
  return out;
}

/** The examples of a run before the split: x row-major, y class indices, t regression targets. */
interface Examples {
  task: TaskKind;
  inputShape: number[];
  nClasses: number;
  classNames: string[];
  featureNames?: string[];
  x: Float32Array;
  y: Int32Array;
  t: Float32Array;
  n: number;
}

/** Thrown for a run's data that cannot be made (a bad CSV, a missing file): the message says why. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

export { DataNotLoadedError };

function generated(cfg: Pick<RunConfig, 'data' | 'seed'>): Examples {
  const { name, samples, noise } = cfg.data;
  const rng = subRng(cfg.seed, `data:${name}`);
  if (name === 'csv') {
    const file = cfg.data.csv;
    if (!file || file.text === undefined) {
      throw new DataNotLoadedError(file ? `data: this run needs the file ${file.name} (${file.bytes} bytes); choose it to train` : 'data: a run on csv needs its file');
    }
    const r = parseCsvData(file.text, cfg.data.target, cfg.data.task);
    if (!r.ok) throw new DataError(`${file.name}: ${r.error}`);
    const c = r.value;
    return { task: c.task, inputShape: [c.features.length], nClasses: c.task === 'regression' ? 1 : c.classNames.length, classNames: c.classNames, featureNames: c.features, x: c.x, y: c.y, t: c.t, n: c.nRows };
  }
  if (name === 'plane' || name === 'housing') {
    const r = regressionExamples(name, samples, noise, rng);
    return { task: 'regression', inputShape: [r.features.length], nClasses: 1, classNames: [r.target], featureNames: name === 'housing' ? r.features : undefined, x: r.x, y: new Int32Array(samples), t: r.t, n: samples };
  }
  if (name === 'digits') {
    const n = Math.min(samples, DIGITS_MAX_SAMPLES);
    const d = DIGITS_SIZE * DIGITS_SIZE;
    const x = new Float32Array(n * d);
    const y = new Int32Array(n);
    drawDigits(n, rng, x, y);
    return { task: 'classification', inputShape: [DIGITS_SIZE, DIGITS_SIZE, 1], nClasses: DIGITS_CLASSES.length, classNames: DIGITS_CLASSES, x, y, t: new Float32Array(0), n };
  }
  const n = samples;
  const isImage = name === 'shapes';
  const nClasses = isImage ? SHAPE_CLASSES.length : 2;
  const inputShape = isImage ? [IMAGE_SIZE, IMAGE_SIZE, 1] : [2];
  const d = inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % nClasses;
    y[i] = label;
    if (isImage) drawShape(label, noise, rng, x, i * d);
    else {
      const [a, b] = point2d(name, label, Math.floor(i / nClasses), Math.ceil(n / nClasses), noise, rng);
      x[i * 2] = a;
      x[i * 2 + 1] = b;
    }
  }
  return { task: 'classification', inputShape, nClasses, classNames: isImage ? SHAPE_CLASSES : ['0', '1'], x, y, t: new Float32Array(0), n };
}

/**
 * z-scores from the training examples only: every input column (`inputs`), and
 * a regression's target too (`inputs_and_target`), applied in place to both
 * splits. A constant column keeps its values minus the mean (std taken as 1).
 */
export function standardizeSplits(mode: Standardize, task: TaskKind, d: number, train: { x: Float32Array; t: Float32Array; n: number }, test: { x: Float32Array; t: Float32Array; n: number }): Scaling | null {
  if (mode === 'none') return null;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) mean[j] += train.x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, train.n);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) std[j] += (train.x[i * d + j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / Math.max(1, train.n));
    std[j] = s > 1e-12 ? s : 1;
  }
  for (const split of [train, test]) for (let i = 0; i < split.n; i++) for (let j = 0; j < d; j++) split.x[i * d + j] = (split.x[i * d + j] - mean[j]) / std[j];
  let targetMean = 0;
  let targetStd = 1;
  if (mode === 'inputs_and_target' && task === 'regression') {
    for (let i = 0; i < train.n; i++) targetMean += train.t[i];
    targetMean /= Math.max(1, train.n);
    let v = 0;
    for (let i = 0; i < train.n; i++) v += (train.t[i] - targetMean) ** 2;
    const s = Math.sqrt(v / Math.max(1, train.n));
    targetStd = s > 1e-12 ? s : 1;
    for (const split of [train, test]) for (let i = 0; i < split.n; i++) split.t[i] = (split.t[i] - targetMean) / targetStd;
  }
  return { inputMean: mean, inputStd: std, targetMean, targetStd };
}

/**
 * A run's data set. Throws DataNotLoadedError for `digits` before its host
 * loaded the asset (or a CSV whose text the config does not carry), and
 * DataError for a CSV that cannot be used.
 */
export function makeDataset(cfg: Pick<RunConfig, 'data' | 'seed'>): Dataset {
  const { name, testFraction } = cfg.data;
  const ex = generated(cfg);
  const { n, x, y, t, task } = ex;
  const d = ex.inputShape.reduce((a, b) => a * b, 1);
  const order = permutation(n, makeRng(`${cfg.seed}:split`));
  const nTest = Math.min(n - 1, Math.round(n * testFraction));
  const nTrain = n - nTest;
  // Stratified: walking the shuffled order, a sample goes to the test set while
  // its class still owes test samples, so each class keeps its share in both sets
  // (a regression is one class: the first nTest of the shuffled order).
  const owed = stratifiedCounts(classSizes(y, ex.nClasses), nTest);
  const toTest = new Uint8Array(n);
  for (const src of order) {
    if (owed[y[src]] > 0) {
      owed[y[src]]--;
      toTest[src] = 1;
    }
  }
  const trainIdx = order.filter((src) => !toTest[src]);
  const testIdx = order.filter((src) => toTest[src]);
  const reg = task === 'regression';
  const xTrain = new Float32Array(nTrain * d);
  const yTrain = new Int32Array(nTrain);
  const xTest = new Float32Array(nTest * d);
  const yTest = new Int32Array(nTest);
  const tTrain = new Float32Array(reg ? nTrain : 0);
  const tTest = new Float32Array(reg ? nTest : 0);
  trainIdx.forEach((src, j) => {
    xTrain.set(x.subarray(src * d, src * d + d), j * d);
    yTrain[j] = y[src];
    if (reg) tTrain[j] = t[src];
  });
  testIdx.forEach((src, k) => {
    xTest.set(x.subarray(src * d, src * d + d), k * d);
    yTest[k] = y[src];
    if (reg) tTest[k] = t[src];
  });
  const scaling = standardizeSplits(cfg.data.standardize ?? 'none', task, d, { x: xTrain, t: tTrain, n: nTrain }, { x: xTest, t: tTest, n: nTest });
  return {
    name,
    task,
    inputShape: ex.inputShape,
    inputSize: d,
    nClasses: ex.nClasses,
    classNames: ex.classNames,
    featureNames: ex.featureNames,
    xTrain,
    yTrain,
    xTest,
    yTest,
    tTrain,
    tTest,
    nTrain,
    nTest,
    scaling,
  };
}

/** Σ(t − mean t)² in float64. */
export function sumSquaredDeviations(t: Float32Array): number {
  let m = 0;
  for (const v of t) m += v;
  m /= Math.max(1, t.length);
  let s = 0;
  for (const v of t) s += (v - m) ** 2;
  return s;
}

/** The smallest and largest target. */
export function targetRange(t: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of t) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** The centres of an n×n grid over [lo, hi]², row-major from (lo, lo), as (x, y) pairs: the decision-boundary view's points. */
export function gridPoints(n: number, lo: number, hi: number): Float32Array {
  const pts = new Float32Array(n * n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      pts[(r * n + c) * 2] = lo + ((hi - lo) * (c + 0.5)) / n;
      pts[(r * n + c) * 2 + 1] = lo + ((hi - lo) * (r + 0.5)) / n;
    }
  }
  return pts;
}

/**
 * The batch order: an endless stream of training indices, a fresh seeded
 * permutation per epoch. Batches may straddle an epoch boundary.
 */
export class BatchStream {
  private perm: Int32Array;
  private pos = 0;
  private readonly rng: Rng;
  constructor(
    private readonly nTrain: number,
    seed: number,
  ) {
    this.rng = subRng(seed, 'batches');
    this.perm = permutation(nTrain, this.rng);
  }
  /** The next batch's indices, written into `out` when given (a buffer reused from step to step). */
  next(batchSize: number, out: Int32Array = new Int32Array(batchSize)): Int32Array {
    for (let i = 0; i < batchSize; i++) {
      if (this.pos >= this.nTrain) {
        this.perm = permutation(this.nTrain, this.rng);
        this.pos = 0;
      }
      out[i] = this.perm[this.pos++];
    }
    return out;
  }
}
