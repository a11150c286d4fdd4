/**
 * Gradient clipping on the device. Every rule returns the clipped gradients, the
 * squared post-clip norm of each layer and a 0-d bool "this clip changed the
 * gradient", without reading anything back.
 *
 *   global_norm  g ← g·min(1, τ/(‖g‖+1e-6))  over all variables (PyTorch clip_grad_norm_)
 *   layer_norm   the same rule per layer (Keras clipnorm)
 *   value        every element clamped to [−τ, τ]
 *   agc          per unit u (output unit of a kernel; a whole bias/scale vector):
 *                if ‖G_u‖ / max(‖W_u‖, 1e-3) > τ then G_u ← G_u · τ·max(‖W_u‖, 1e-3) / ‖G_u‖
 *                (Brock et al. 2021)
 *   adaptive     outlier rule on the global norm: with μ, σ the running mean and
 *                standard deviation of ln‖g‖ (EMA with α = max(1/(n+1), 0.05) over the
 *                finite steps seen), once n ≥ warmup the global norm is clipped to
 *                exp(μ + z·σ). The statistics are fed the clipped norm, so one spike
 *                does not widen the bound.
 */
import * as tf from './tf.ts';
import type { RunConfig } from './config.ts';
import { slotMaskOf, sumSquaresBySlot } from './fused.ts';

export const CLIP_EPS = 1e-6;
export const AGC_EPS = 1e-3;
export const ADAPTIVE_MIN_ALPHA = 0.05;

export type ClipConfig = RunConfig['stabilizers']['clip'];

/** Running statistics of the adaptive rule (0-d variables). */
export interface AdaptiveState {
  mu: tf.Variable<tf.Rank.R0>;
  nu: tf.Variable<tf.Rank.R0>;
  count: tf.Variable<tf.Rank.R0>;
}

export function createAdaptiveState(): AdaptiveState {
  // inside tidy: the initial scalars are disposed, only the variables remain
  return tf.tidy(() => ({
    mu: tf.variable(tf.scalar(0), false),
    nu: tf.variable(tf.scalar(0), false),
    count: tf.variable(tf.scalar(0), false),
  }));
}

export function disposeAdaptiveState(s: AdaptiveState): void {
  s.mu.dispose();
  s.nu.dispose();
  s.count.dispose();
}

export interface ClipInput {
  grads: tf.Tensor[];
  weights: tf.Tensor[];
  /** Layer index of each gradient: as numbers, as an int32 [V] tensor, and the V×L bool matrix of it. */
  layers: number[];
  varLayer: tf.Tensor1D;
  layerMatrix: tf.Tensor2D;
  /** Per-layer squared gradient norms [L] and the global norm (pre-clip). */
  layerSq: tf.Tensor1D;
  globalNorm: tf.Scalar;
  adaptive: AdaptiveState;
}

export interface ClipOutput {
  grads: tf.Tensor[];
  layerSq: tf.Tensor1D;
  changed: tf.Scalar; // bool
  /** New adaptive statistics (to be committed only for finite steps). */
  adaptiveNext: { mu: tf.Scalar; nu: tf.Scalar; count: tf.Scalar } | null;
}

/**
 * Per-layer sums of squares [L]: out[l] = Σ over the tensors i of layer `layers[i]` of ‖tensors[i]‖².
 * One fused kernel on cpu/wasm; elsewhere per-tensor sums and a masked sum with the
 * V×L bool `layerMatrix` (UnsortedSegmentSum is missing on wasm).
 */
export function layerSquares(tensors: tf.Tensor[], layers: number[], layerMatrix: tf.Tensor2D): tf.Tensor1D {
  return sumSquaresBySlot(tensors, layers, layerMatrix.shape[1], layerMatrix);
}

/** The V×L bool matrix "variable i belongs to layer l". */
export function layerMatrixOf(varLayer: number[], nLayers: number): tf.Tensor2D {
  return slotMaskOf(varLayer, nLayers);
}

/** Scales each gradient by a per-variable factor taken from a per-layer vector. */
function scaleByLayer(grads: tf.Tensor[], layerScale: tf.Tensor1D, varLayer: tf.Tensor1D): tf.Tensor[] {
  const perVar = tf.unstack(tf.gather(layerScale, varLayer));
  return grads.map((g, i) => tf.mul(g, perVar[i]));
}

/** Axes over which one unit's values lie: all but the last for kernels; none (whole vector) for vectors. */
export function unitAxes(rank: number): number[] | null {
  if (rank <= 1) return null;
  return Array.from({ length: rank - 1 }, (_, i) => i);
}

export function unitNorms(t: tf.Tensor): tf.Tensor {
  const axes = unitAxes(t.rank);
  return axes ? tf.sqrt(tf.sum(tf.square(t), axes, true)) : tf.sqrt(tf.sum(tf.square(t)));
}

function adaptiveStats(input: ClipInput, cfg: ClipConfig) {
  const { mu, nu, count } = input.adaptive;
  const sigma = tf.sqrt(tf.relu(tf.sub(nu, tf.square(mu))));
  const bound = tf.exp(tf.add(mu, tf.mul(sigma, cfg.z)));
  const active = tf.greaterEqual(count, cfg.warmup);
  return { bound, active };
}

export function clipGradients(input: ClipInput, cfg: ClipConfig): ClipOutput {
  const { grads, layerSq, globalNorm, varLayer, layerMatrix, layers } = input;
  const tau = cfg.threshold;
  let out: tf.Tensor[] = grads;
  let outSq: tf.Tensor1D = layerSq;
  let changed: tf.Scalar = tf.scalar(false, 'bool');

  let fedNorm: tf.Tensor = globalNorm;

  switch (cfg.mode) {
    case 'none':
      break;
    case 'global_norm':
    case 'adaptive': {
      let s: tf.Scalar;
      if (cfg.mode === 'global_norm') {
        s = tf.minimum(1, tf.div(tau, tf.add(globalNorm, CLIP_EPS)));
      } else {
        const { bound, active } = adaptiveStats(input, cfg);
        const trigger = tf.logicalAnd(active, tf.greater(globalNorm, bound));
        s = tf.where(trigger, tf.div(bound, tf.add(globalNorm, CLIP_EPS)), tf.scalar(1));
        fedNorm = tf.where(trigger, bound, globalNorm);
      }
      out = grads.map((g) => tf.mul(g, s));
      outSq = tf.mul(layerSq, tf.square(s));
      changed = tf.less(s, 1);
      break;
    }
    case 'layer_norm': {
      const s = tf.minimum(1, tf.div(tau, tf.add(tf.sqrt(layerSq), CLIP_EPS))) as tf.Tensor1D;
      out = scaleByLayer(grads, s, varLayer);
      outSq = tf.mul(layerSq, tf.square(s));
      changed = tf.any(tf.less(s, 1));
      break;
    }
    case 'value': {
      out = grads.map((g) => tf.clipByValue(g, -tau, tau));
      outSq = layerSquares(out, layers, layerMatrix);
      changed = tf.greater(tf.max(tf.stack(grads.map((g) => tf.max(tf.abs(g))))), tau);
      break;
    }
    case 'agc': {
      const flags: tf.Scalar[] = [];
      out = grads.map((g, i) => {
        const wn = tf.maximum(unitNorms(input.weights[i]), AGC_EPS);
        const gn = unitNorms(g);
        const maxNorm = tf.mul(wn, tau);
        const trigger = tf.greater(gn, maxNorm);
        flags.push(tf.any(trigger));
        const scale = tf.where(trigger, tf.div(maxNorm, tf.maximum(gn, CLIP_EPS)), tf.onesLike(gn));
        return tf.mul(g, scale);
      });
      outSq = layerSquares(out, layers, layerMatrix);
      changed = tf.any(tf.stack(flags));
      break;
    }
  }

  if (cfg.mode !== 'adaptive') return { grads: out, layerSq: outSq, changed: changed as tf.Scalar, adaptiveNext: null };
  // Running statistics of ln‖g‖ (fed every finite step while the mode is on).
  const { mu, nu, count } = input.adaptive;
  const x = tf.log(tf.maximum(fedNorm, 1e-30));
  const alpha = tf.maximum(tf.div(1, tf.add(count, 1)), ADAPTIVE_MIN_ALPHA);
  const adaptiveNext = {
    mu: tf.add(mu, tf.mul(alpha, tf.sub(x, mu))) as tf.Scalar,
    nu: tf.add(nu, tf.mul(alpha, tf.sub(tf.square(x), nu))) as tf.Scalar,
    count: tf.add(count, 1) as tf.Scalar,
  };
  return { grads: out, layerSq: outSq, changed: changed as tf.Scalar, adaptiveNext };
}
