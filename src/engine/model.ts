/**
 * Models as plain objects owning their tf.Variables, with an explicit forward.
 *
 * MLP:  dense1..denseN (hidden), dense{N+1} (output logits).
 * CNN:  conv1..convN (3×3 'same', 2×2 max-pool after the first two), dense{N+1}
 *       on the flattened features.
 * A hidden layer computes  h = act(norm(W·x + b))  (+ x when `residual` and the
 * shapes match). A layer owns kernel, bias and, with a norm, gamma and beta.
 */
import * as tf from './tf.ts';
import type { RunConfig } from './config.ts';
import { LEAKY_RELU_SLOPE, type Activation } from './meta.ts';
import { initKernel } from './init.ts';
import { subRng } from './rng.ts';

export const NORM_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;
/** Leaky ReLU's slope for x < 0 (meta.ts). */
export const LEAKY_ALPHA = LEAKY_RELU_SLOPE;

export interface Layer {
  name: string;
  kind: 'dense' | 'conv';
  /** Output units / filters. */
  units: number;
  kernel: tf.Variable;
  bias: tf.Variable;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  /** BatchNorm running statistics (not trainable). */
  movingMean?: tf.Variable;
  movingVar?: tf.Variable;
  /** Trainable variables, in a fixed order. */
  vars: tf.Variable[];
  isOutput: boolean;
  residual: boolean;
  pool: boolean;
  /** Shape of this layer's output for one example. */
  outShape: number[];
  fanIn: number;
  fanOut: number;
}

export interface Model {
  arch: 'mlp' | 'cnn';
  layers: Layer[];
  inputShape: number[];
  nClasses: number;
  activation: Activation;
  norm: RunConfig['model']['norm'];
  /** All trainable variables, input → output. */
  trainable: tf.Variable[];
  /** Layer index of each trainable variable. */
  varLayer: number[];
  paramCount: number;
}

let modelCounter = 0;

/** Layer names of a run config, input → output (the same names the model gets). */
export function layerNamesFor(model: RunConfig['model']): string[] {
  const hidden = model.hidden.map((_, i) => `${model.arch === 'cnn' ? 'conv' : 'dense'}${i + 1}`);
  return [...hidden, `dense${model.hidden.length + 1}`];
}

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, LEAKY_ALPHA);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'linear':
      return x;
  }
}

export function buildModel(cfg: RunConfig, inputShape: number[], nClasses: number): Model {
  const { arch, hidden, init, initGain, norm, residual, activation } = cfg.model;
  const rng = subRng(cfg.seed, 'init');
  const id = ++modelCounter;
  const layers: Layer[] = [];
  const vname = (layer: string, v: string) => `m${id}/${layer}/${v}`;
  let shape = inputShape.slice();

  const mkVar = (values: Float32Array | number, shp: number[], layer: string, v: string, trainable = true) => {
    const t = typeof values === 'number' ? tf.fill(shp, values) : tf.tensor(values, shp, 'float32');
    const variable = tf.variable(t, trainable, vname(layer, v));
    t.dispose();
    return variable;
  };

  const addNorm = (layer: Partial<Layer> & { name: string }, units: number) => {
    if (norm === 'none') return;
    layer.gamma = mkVar(1, [units], layer.name, 'gamma');
    layer.beta = mkVar(0, [units], layer.name, 'beta');
    if (norm === 'batch') {
      layer.movingMean = mkVar(0, [units], layer.name, 'moving_mean', false);
      layer.movingVar = mkVar(1, [units], layer.name, 'moving_var', false);
    }
  };

  hidden.forEach((units, i) => {
    const name = `${arch === 'cnn' ? 'conv' : 'dense'}${i + 1}`;
    let layer: Layer;
    if (arch === 'mlp') {
      const fanIn = shape.reduce((a, b) => a * b, 1);
      const kernel = mkVar(initKernel(init, fanIn, units, initGain, rng), [fanIn, units], name, 'kernel');
      const bias = mkVar(0, [units], name, 'bias');
      const outShape = [units];
      layer = {
        name,
        kind: 'dense',
        units,
        kernel,
        bias,
        vars: [],
        isOutput: false,
        residual: residual && shape.length === 1 && shape[0] === units,
        pool: false,
        outShape,
        fanIn,
        fanOut: units,
      };
      shape = outShape;
    } else {
      const [h, w, c] = shape;
      const fanIn = 9 * c;
      const fanOut = 9 * units;
      const kernel = mkVar(initKernel(init, fanIn, units, initGain, rng, { fanIn, fanOut }), [3, 3, c, units], name, 'kernel');
      const bias = mkVar(0, [units], name, 'bias');
      const pool = i < 2 && h >= 4 && w >= 4;
      const outShape = pool ? [Math.floor(h / 2), Math.floor(w / 2), units] : [h, w, units];
      layer = {
        name,
        kind: 'conv',
        units,
        kernel,
        bias,
        vars: [],
        isOutput: false,
        residual: residual && !pool && c === units,
        pool,
        outShape,
        fanIn,
        fanOut,
      };
      shape = outShape;
    }
    addNorm(layer, units);
    layer.vars = [layer.kernel, layer.bias, ...(layer.gamma ? [layer.gamma, layer.beta!] : [])];
    layers.push(layer);
  });

  // Output layer.
  {
    const name = `dense${hidden.length + 1}`;
    const fanIn = shape.reduce((a, b) => a * b, 1);
    const kernel = mkVar(initKernel(init, fanIn, nClasses, initGain, rng), [fanIn, nClasses], name, 'kernel');
    const bias = mkVar(0, [nClasses], name, 'bias');
    layers.push({
      name,
      kind: 'dense',
      units: nClasses,
      kernel,
      bias,
      vars: [kernel, bias],
      isOutput: true,
      residual: false,
      pool: false,
      outShape: [nClasses],
      fanIn,
      fanOut: nClasses,
    });
  }

  const trainable: tf.Variable[] = [];
  const varLayer: number[] = [];
  layers.forEach((l, li) => {
    for (const v of l.vars) {
      trainable.push(v);
      varLayer.push(li);
    }
  });
  const paramCount = trainable.reduce((a, v) => a + v.size, 0);
  return { arch, layers, inputShape, nClasses, activation, norm, trainable, varLayer, paramCount };
}

export interface ForwardOptions {
  training: boolean;
  /** Zero tensors added to each layer's output, so that ∂L/∂probe = ∂L/∂h. */
  probes?: tf.Tensor[];
  /** Filled with each BatchNorm layer's batch [mean, variance] when training. */
  batchStats?: Map<number, [tf.Tensor, tf.Tensor]>;
  /** Filled with each layer's output h (the logits for the output layer), input → output. */
  outputs?: tf.Tensor[];
}

function normalize(layer: Layer, li: number, z: tf.Tensor, model: Model, opts: ForwardOptions): tf.Tensor {
  if (!layer.gamma || !layer.beta) return z;
  const rank = z.rank;
  if (model.norm === 'batch') {
    const axes = rank === 2 ? [0] : [0, 1, 2];
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (opts.training) {
      const m = tf.moments(z, axes);
      mean = m.mean;
      variance = m.variance;
      opts.batchStats?.set(li, [mean, variance]);
    } else {
      mean = layer.movingMean!;
      variance = layer.movingVar!;
    }
    const xhat = tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, NORM_EPSILON)));
    return tf.add(tf.mul(xhat, layer.gamma), layer.beta);
  }
  // Layer norm: over the features of each example (all of h, w, c for conv).
  const axes = rank === 2 ? [1] : [1, 2, 3];
  const m = tf.moments(z, axes, true);
  const xhat = tf.div(tf.sub(z, m.mean), tf.sqrt(tf.add(m.variance, NORM_EPSILON)));
  return tf.add(tf.mul(xhat, layer.gamma), layer.beta);
}

/** Logits for a batch x of shape [B, ...inputShape]. */
export function forward(model: Model, x: tf.Tensor, opts: ForwardOptions): tf.Tensor {
  let h = x;
  model.layers.forEach((layer, li) => {
    let out: tf.Tensor;
    if (layer.isOutput) {
      const flat = h.rank > 2 ? tf.reshape(h, [h.shape[0], -1]) : h;
      out = tf.add(tf.matMul(flat, layer.kernel), layer.bias);
    } else if (layer.kind === 'dense') {
      // An MLP on images: the first dense layer sees each image as one vector (as its fan-in counts it).
      const flat = h.rank > 2 ? tf.reshape(h, [h.shape[0], -1]) : h;
      const z = tf.add(tf.matMul(flat as tf.Tensor2D, layer.kernel as tf.Tensor2D), layer.bias);
      out = activate(normalize(layer, li, z, model, opts), model.activation);
      if (layer.residual) out = tf.add(out, flat);
    } else {
      const z = tf.add(tf.conv2d(h as tf.Tensor4D, layer.kernel as tf.Tensor4D, 1, 'same'), layer.bias);
      out = activate(normalize(layer, li, z, model, opts), model.activation);
      if (layer.pool) out = tf.maxPool(out as tf.Tensor4D, 2, 2, 'valid');
      if (layer.residual) out = tf.add(out, h);
    }
    if (opts.probes) out = tf.add(out, opts.probes[li]);
    opts.outputs?.push(out);
    h = out;
  });
  return h;
}

/** Mean softmax cross-entropy of logits [B, C] against one-hot labels [B, C]. */
export function crossEntropy(logits: tf.Tensor, oneHot: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)));
}

/** Mean squared error of a one-output regression: mean over the batch of (prediction − target)². */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target)));
}

/**
 * R² of a batch: 1 − Σ(p − t)²/Σ(t − mean t)²; 0 for a batch whose targets are
 * all equal (nothing to explain).
 */
export function rSquared(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const sse = tf.sum(tf.square(tf.sub(pred, target)));
  const sst = tf.sum(tf.square(tf.sub(target, tf.mean(target))));
  return tf.where(tf.greater(sst, 0), tf.sub(1, tf.div(sse, tf.maximum(sst, 1e-30))), tf.scalar(0)) as tf.Scalar;
}

/** Number of correct predictions as a float scalar. */
export function correctCount(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32'));
}

export function disposeModel(model: Model): void {
  for (const l of model.layers) {
    for (const v of [l.kernel, l.bias, l.gamma, l.beta, l.movingMean, l.movingVar]) v?.dispose();
  }
}
