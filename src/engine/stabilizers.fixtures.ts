/**
 * Fixtures of the clip tests (stabilizers.test.ts: the norm-based modes;
 * stabilizers.elementwise.test.ts: value and agc): a fake model, random gradient
 * sets, clipGradients run on one as the trainer runs it, and the trainer's records
 * of a small run. Nothing outside those tests imports this file.
 */
import * as tf from './tf.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import type { ClipMode } from './meta.ts';
import { clipGradients, layerMatrixOf, type AdaptiveState, type ClipConfig } from './stabilizers.ts';
import type { Rng } from './rng.ts';
import { Trainer } from './trainer.ts';
import type { StepRecord } from './records.ts';

// ---------------------------------------------------------------------------
// A fake model: per variable a shape and the layer it belongs to.
//   layer 0: dense kernel [6,5], bias [5]
//   layer 1: conv kernel [3,3,2,4], bias [4], norm gamma [4], beta [4]
//   layer 2: dense kernel [4,3], bias [3]
export const SHAPES: number[][] = [[6, 5], [5], [3, 3, 2, 4], [4], [4], [4], [4, 3], [3]];
export const VAR_LAYER = [0, 0, 1, 1, 1, 1, 2, 2];
export const N_LAYERS = 3;

export interface GradSet {
  grads: Float64Array[];
  weights: Float64Array[];
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function randomSet(rng: Rng, zeroBiasWeights: boolean): GradSet {
  const grads: Float64Array[] = [];
  const weights: Float64Array[] = [];
  SHAPES.forEach((shape, i) => {
    const n = size(shape);
    // gradient scales spread over three decades, so some layers/units clip and some do not
    const gs = Math.pow(10, rng.uniform(-2, 1));
    const ws = Math.pow(10, rng.uniform(-1, 0.5));
    const g = new Float64Array(n);
    const w = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // float32-representable inputs, so the device sees exactly these numbers
      g[k] = Math.fround(gs * rng.normal() * (rng.next() < 0.1 ? 20 : 1));
      w[k] = zeroBiasWeights && shape.length === 1 && i === 1 ? 0 : Math.fround(ws * rng.normal());
    }
    grads.push(g);
    weights.push(w);
  });
  return { grads, weights };
}

export const sq = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
};
export const layerSqOf = (ts: ArrayLike<number>[]) => {
  const out = new Array(N_LAYERS).fill(0);
  ts.forEach((t, i) => (out[VAR_LAYER[i]] += sq(t)));
  return out as number[];
};

export interface ClipResult {
  grads: Float32Array[];
  layerSq: number[];
  changed: boolean;
}

export function clipCfg(mode: ClipMode, threshold: number, extra: Partial<ClipConfig> = {}): ClipConfig {
  return { ...defaultRunConfig({ stabilizers: { clip: { mode, threshold } } }).stabilizers.clip, ...extra };
}

/**
 * Runs clipGradients on a gradient set. The pre-clip norms fed to it are computed
 * here in float64; the adaptive state is committed afterwards as the trainer does.
 */
export function runClip(set: GradSet, cfg: ClipConfig, adaptive: AdaptiveState): ClipResult {
  const preSq = layerSqOf(set.grads);
  const out = tf.tidy(() => {
    const r = clipGradients(
      {
        grads: set.grads.map((g, i) => tf.tensor(Float32Array.from(g), SHAPES[i])),
        weights: set.weights.map((w, i) => tf.tensor(Float32Array.from(w), SHAPES[i])),
        layers: VAR_LAYER,
        varLayer: tf.tensor1d(VAR_LAYER, 'int32'),
        layerMatrix: layerMatrixOf(VAR_LAYER, N_LAYERS),
        layerSq: tf.tensor1d(preSq),
        globalNorm: tf.scalar(Math.sqrt(preSq.reduce((a, b) => a + b, 0))),
        adaptive,
      },
      cfg,
    );
    if (r.adaptiveNext) {
      adaptive.mu.assign(r.adaptiveNext.mu);
      adaptive.nu.assign(r.adaptiveNext.nu);
      adaptive.count.assign(r.adaptiveNext.count);
    }
    return { grads: r.grads, layerSq: r.layerSq, changed: r.changed };
  });
  const res: ClipResult = {
    grads: out.grads.map((g) => g.dataSync() as Float32Array),
    layerSq: Array.from(out.layerSq.dataSync()),
    changed: out.changed.dataSync()[0] === 1,
  };
  tf.dispose([...out.grads, out.layerSq, out.changed]);
  return res;
}

export function close(a: number, b: number, rel = 2e-5, abs = 1e-12): boolean {
  return Math.abs(a - b) <= abs + rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Unit norms of a tensor given as flat row-major values: columns (last axis) for rank ≥ 2, the whole vector for rank 1. */
export function unitNorms(values: ArrayLike<number>, shape: number[]): number[] {
  if (shape.length === 1) return [Math.sqrt(sq(values))];
  const units = shape[shape.length - 1];
  const out = new Array(units).fill(0);
  for (let k = 0; k < values.length; k++) out[k % units] += values[k] * values[k];
  return out.map(Math.sqrt);
}
export function unitOf(k: number, shape: number[]): number {
  return shape.length === 1 ? 0 : k % shape[shape.length - 1];
}

export const SEEDS = [1, 2, 3, 4, 5, 6];

// ---------------------------------------------------------------------------
// The trainer's records of a small run (lr = 0) with the stabilizers given.
export const STEPS = 16;
const base: RunConfigInput = {
  seed: 7,
  data: { name: 'moons', samples: 256 },
  model: { hidden: [12, 12, 12], activation: 'tanh', initGain: 1.5 },
  optimizer: { lr: 0 },
  train: { batchSize: 16, evalEvery: 0 },
};

export async function records(clip: RunConfigInput['stabilizers'], steps = STEPS): Promise<StepRecord[]> {
  const tr = new Trainer(defaultRunConfig({ ...base, stabilizers: clip }));
  try {
    return await tr.runSteps(steps);
  } finally {
    tr.dispose();
  }
}
