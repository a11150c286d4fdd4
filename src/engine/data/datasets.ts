/**
 * Seeded data sets. 2-D toys (two classes) and `shapes`, synthetic 16×16
 * single-channel images of three classes. Pure JS: the same seed gives the same
 * numbers in Node and in every browser backend.
 */
import type { RunConfig } from '../config.ts';
import type { DatasetName } from '../meta.ts';
import { makeRng, permutation, subRng, type Rng } from '../rng.ts';

export interface Dataset {
  name: DatasetName;
  /** Shape of one example, e.g. [2] or [16, 16, 1]. */
  inputShape: number[];
  /** Number of values of one example. */
  inputSize: number;
  nClasses: number;
  classNames: string[];
  xTrain: Float32Array;
  yTrain: Int32Array;
  xTest: Float32Array;
  yTest: Int32Array;
  nTrain: number;
  nTest: number;
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
    case 'shapes':
      throw new Error('shapes is an image data set');
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

export function makeDataset(cfg: Pick<RunConfig, 'data' | 'seed'>): Dataset {
  const { name, samples: n, noise, testFraction } = cfg.data;
  const rng = subRng(cfg.seed, `data:${name}`);
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
  const order = permutation(n, makeRng(`${cfg.seed}:split`));
  const nTest = Math.min(n - 1, Math.round(n * testFraction));
  const nTrain = n - nTest;
  // Stratified: walking the shuffled order, a sample goes to the test set while
  // its class still owes test samples, so each class keeps its share in both sets.
  const owed = stratifiedCounts(classSizes(y, nClasses), nTest);
  const toTest = new Uint8Array(n);
  for (const src of order) {
    if (owed[y[src]] > 0) {
      owed[y[src]]--;
      toTest[src] = 1;
    }
  }
  const trainIdx = order.filter((src) => !toTest[src]);
  const testIdx = order.filter((src) => toTest[src]);
  const xTrain = new Float32Array(nTrain * d);
  const yTrain = new Int32Array(nTrain);
  const xTest = new Float32Array(nTest * d);
  const yTest = new Int32Array(nTest);
  trainIdx.forEach((src, j) => {
    xTrain.set(x.subarray(src * d, src * d + d), j * d);
    yTrain[j] = y[src];
  });
  testIdx.forEach((src, t) => {
    xTest.set(x.subarray(src * d, src * d + d), t * d);
    yTest[t] = y[src];
  });
  return {
    name,
    inputShape,
    inputSize: d,
    nClasses,
    classNames: isImage ? SHAPE_CLASSES : ['0', '1'],
    xTrain,
    yTrain,
    xTest,
    yTest,
    nTrain,
    nTest,
  };
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
