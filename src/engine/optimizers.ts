/**
 * Optimizers as pure functions over device tensors, and learning-rate schedules.
 *
 * tfjs's optimizers assign to weights and slots in place, so a step cannot be
 * withdrawn on the device once applied. skipNonFinite needs the weights AND the
 * optimizer state to stay unchanged after a NaN/Inf gradient without reading
 * anything back per step; so each rule here returns the new weight and slot
 * values, and the trainer commits them with tf.where(ok, new, old).
 * The update rules follow PyTorch's conventions (torch.optim, defaults other than
 * the settings below: no dampening, no lr decay, no amsgrad, centered = false),
 * written out in meta.ts OPTIMIZER_FORMULAS and the README; optimizers.test.ts checks each
 * against a float64 implementation of its formula. Where Keras/tfjs differ:
 * adagrad's accumulator starts at 0 (Keras 0.1) and ε is added after the square
 * root; rmsprop's momentum buffer holds g/(√s + ε) and lr multiplies it (Keras
 * keeps lr inside the buffer, which changes the step under a schedule); adamax adds
 * ε to |g| inside the max (Keras adds it to the denominator).
 */
import * as tf from './tf.ts';
import type { RunConfig } from './config.ts';
import type { OptimizerName } from './meta.ts';
import { OPTIMIZER_HYPER, type OptimizerHyper } from './fields.ts';

export type OptimizerConfig = RunConfig['optimizer'];

export interface SlotSpec {
  name: string;
  /** Initial value of every element. */
  init: number;
}

export interface UpdateArgs {
  w: tf.Tensor;
  g: tf.Tensor;
  slots: tf.Tensor[];
  lr: tf.Scalar;
  /** Iteration count including this step (1 for the first applied step), as a float scalar. */
  t: tf.Scalar;
  cfg: OptimizerConfig;
}

export interface UpdateResult {
  w: tf.Tensor;
  slots: tf.Tensor[];
}

export interface OptimizerRule {
  /**
   * The optimizer settings `update` reads from `cfg` (besides lr, which comes as an
   * argument). Declared in fields.ts (OPTIMIZER_HYPER) so that the run panel can
   * show only these without loading tfjs; optimizers.test.ts checks each rule
   * against its declaration.
   */
  reads: readonly OptimizerHyper[];
  slots: SlotSpec[];
  update(a: UpdateArgs): UpdateResult;
}

const sgd: OptimizerRule = {
  reads: OPTIMIZER_HYPER.sgd,
  slots: [],
  update: ({ w, g, lr }) => ({ w: tf.sub(w, tf.mul(lr, g)), slots: [] }),
};

function momentumRule(nesterov: boolean): OptimizerRule {
  return {
    reads: OPTIMIZER_HYPER[nesterov ? 'nesterov' : 'momentum'],
    slots: [{ name: 'momentum', init: 0 }],
    update: ({ w, g, slots, lr, cfg }) => {
      const v = tf.add(tf.mul(slots[0], cfg.momentum), g);
      const step = nesterov ? tf.add(g, tf.mul(v, cfg.momentum)) : v;
      return { w: tf.sub(w, tf.mul(lr, step)), slots: [v] };
    },
  };
}

const adagrad: OptimizerRule = {
  reads: OPTIMIZER_HYPER.adagrad,
  slots: [{ name: 'accumulator', init: 0 }],
  update: ({ w, g, slots, lr, cfg }) => {
    const acc = tf.add(slots[0], tf.square(g));
    return { w: tf.sub(w, tf.mul(lr, tf.div(g, tf.add(tf.sqrt(acc), cfg.epsilon)))), slots: [acc] };
  },
};

const adadelta: OptimizerRule = {
  reads: OPTIMIZER_HYPER.adadelta,
  slots: [
    { name: 'accum_grad', init: 0 },
    { name: 'accum_update', init: 0 },
  ],
  update: ({ w, g, slots, lr, cfg }) => {
    const rho = cfg.rho;
    const eg = tf.add(tf.mul(slots[0], rho), tf.mul(tf.square(g), 1 - rho));
    const delta = tf.mul(tf.div(tf.sqrt(tf.add(slots[1], cfg.epsilon)), tf.sqrt(tf.add(eg, cfg.epsilon))), g);
    const ex = tf.add(tf.mul(slots[1], rho), tf.mul(tf.square(delta), 1 - rho));
    return { w: tf.sub(w, tf.mul(lr, delta)), slots: [eg, ex] };
  },
};

const rmsprop: OptimizerRule = {
  reads: OPTIMIZER_HYPER.rmsprop,
  slots: [
    { name: 'rms', init: 0 },
    { name: 'momentum', init: 0 },
  ],
  update: ({ w, g, slots, lr, cfg }) => {
    const ms = tf.add(tf.mul(slots[0], cfg.rho), tf.mul(tf.square(g), 1 - cfg.rho));
    const buf = tf.add(tf.mul(slots[1], cfg.momentum), tf.div(g, tf.add(tf.sqrt(ms), cfg.epsilon)));
    return { w: tf.sub(w, tf.mul(lr, buf)), slots: [ms, buf] };
  },
};

const adam: OptimizerRule = {
  reads: OPTIMIZER_HYPER.adam,
  slots: [
    { name: 'm', init: 0 },
    { name: 'v', init: 0 },
  ],
  update: ({ w, g, slots, lr, t, cfg }) => {
    const { beta1: b1, beta2: b2 } = cfg;
    const m = tf.add(tf.mul(slots[0], b1), tf.mul(g, 1 - b1));
    const v = tf.add(tf.mul(slots[1], b2), tf.mul(tf.square(g), 1 - b2));
    const mHat = tf.div(m, tf.sub(1, tf.pow(tf.scalar(b1), t)));
    const vHat = tf.div(v, tf.sub(1, tf.pow(tf.scalar(b2), t)));
    const step = tf.div(mHat, tf.add(tf.sqrt(vHat), cfg.epsilon));
    return { w: tf.sub(w, tf.mul(lr, step)), slots: [m, v] };
  },
};

const adamax: OptimizerRule = {
  reads: OPTIMIZER_HYPER.adamax,
  slots: [
    { name: 'm', init: 0 },
    { name: 'u', init: 0 },
  ],
  update: ({ w, g, slots, lr, t, cfg }) => {
    const { beta1: b1, beta2: b2 } = cfg;
    const m = tf.add(tf.mul(slots[0], b1), tf.mul(g, 1 - b1));
    const u = tf.maximum(tf.mul(slots[1], b2), tf.add(tf.abs(g), cfg.epsilon));
    const scale = tf.div(lr, tf.sub(1, tf.pow(tf.scalar(b1), t)));
    return { w: tf.sub(w, tf.mul(scale, tf.div(m, u))), slots: [m, u] };
  },
};

export const OPTIMIZER_RULES: Record<OptimizerName, OptimizerRule> = {
  sgd,
  momentum: momentumRule(false),
  nesterov: momentumRule(true),
  adagrad,
  adadelta,
  rmsprop,
  adam,
  adamax,
  adamw: adam, // plus decoupled weight decay, applied by the trainer for every optimizer
};

/**
 * The learning rate actually used at step t (0-based).
 * Warm-up: lr·(t+1)/W for t < W. Afterwards, with s = t − W:
 *   constant  lr
 *   step      lr·γ^⌊s/stepSize⌋
 *   exp       lr·γ^(s/stepSize)
 *   cosine    lr·(f + (1−f)·½(1 + cos(π·min(s, T)/T))), T = steps − W, f = minFactor
 */
export function learningRateAt(cfg: OptimizerConfig, totalSteps: number, t: number): number {
  const { lr, schedule } = cfg;
  const W = schedule.warmupSteps;
  if (t < W) return (lr * (t + 1)) / W;
  const s = t - W;
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * Math.pow(schedule.gamma, Math.floor(s / schedule.stepSize));
    case 'exp':
      return lr * Math.pow(schedule.gamma, s / schedule.stepSize);
    case 'cosine': {
      // The last step (t = totalSteps − 1) is at the end of the curve: lr·minFactor.
      const T = Math.max(1, totalSteps - 1 - W);
      const f = schedule.minFactor;
      return lr * (f + (1 - f) * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, T)) / T)));
    }
  }
}
