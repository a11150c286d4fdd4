/**
 * Parts of the tfjs trainer's step (trainer.ts) that keep no state of their own:
 * held-out evaluation in chunks, the forward and backward pass, and every
 * variable's next value before the commit.
 */
import * as tf from './tf.ts';
import { BN_MOMENTUM, correctCount, crossEntropy, forward, meanSquaredError, rSquared, type Model } from './model.ts';
import type { TaskKind } from './data/datasets.ts';
import { OPTIMIZER_RULES, type OptimizerConfig } from './optimizers.ts';

const EVAL_CHUNK = 512;

/**
 * Test loss and accuracy over the held-out set, in chunks (inference mode). A
 * regression (`testSst`: Σ(t − mean t)² of the test targets, from the host in
 * float64) gives its mean squared error and R² = 1 − SSE/testSst.
 */
export function evaluate(model: Model, xTest: tf.Tensor, yTest: tf.Tensor, labelsTest: tf.Tensor1D, n: number, testSst?: number): [tf.Scalar, tf.Scalar] {
  let lossSum: tf.Scalar = tf.scalar(0);
  let correct: tf.Scalar = tf.scalar(0);
  for (let s = 0; s < n; s += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, n - s);
    const x = tf.slice(xTest, s, size);
    const logits = forward(model, x, { training: false });
    const y = tf.slice(yTest, s, size);
    if (testSst !== undefined) {
      lossSum = tf.add(lossSum, tf.sum(tf.square(tf.sub(logits, y))));
    } else {
      lossSum = tf.add(lossSum, tf.mul(crossEntropy(logits, y), size));
      correct = tf.add(correct, correctCount(logits, tf.slice(labelsTest, s, size)));
    }
  }
  if (testSst !== undefined) return [tf.div(lossSum, n), testSst > 0 ? tf.sub(1, tf.div(lossSum, testSst)) : tf.scalar(0)];
  return [tf.div(lossSum, n), tf.div(correct, n)];
}

/** Batch norm's batch statistics (mean, variance) per normalized layer. */
export type BatchStats = Map<number, [tf.Tensor, tf.Tensor]>;

/** What the forward and backward pass leaves: `kept` tensors outlive its tidy scope (the caller disposes them). */
export interface Gradients {
  result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  /** The cross-entropy (a regression: the mean squared error) alone, and the L1/L2 penalty alone (the loss is their sum, added in the loss's own order). */
  dataLoss: tf.Scalar;
  penalty: tf.Scalar;
  /** The batch's accuracy (a regression: its R²). */
  acc: tf.Scalar;
  batchStats: BatchStats;
  kept: tf.Tensor[];
}

/**
 * The training-mode forward pass over a batch, its loss (cross-entropy plus the L1/L2
 * penalties) and the gradients of the model variables and activation probes.
 */
export function gradients(
  model: Model,
  probes: tf.Variable[],
  xb: tf.Tensor,
  yb: tf.Tensor,
  labels: tf.Tensor,
  l1: number,
  l2: number,
  task: TaskKind = 'classification',
  /** Receives each layer's output h (kept: the caller disposes them with `kept`). */
  outputs?: tf.Tensor[],
): Gradients {
  const kept: tf.Tensor[] = [];
  const batchStats: BatchStats = new Map();
  let acc: tf.Scalar | null = null;
  let dataLoss: tf.Scalar | null = null;
  let penalty: tf.Scalar | null = null;
  const varList = [...model.trainable, ...probes];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(() => {
      const stats = new Map<number, [tf.Tensor, tf.Tensor]>();
      const outs: tf.Tensor[] | undefined = outputs ? [] : undefined;
      const logits = forward(model, xb, { training: true, probes, batchStats: stats, outputs: outs });
      if (outputs && outs) {
        for (const o of outs) {
          const k = tf.keep(o);
          outputs.push(k);
          kept.push(k);
        }
      }
      acc = tf.keep(task === 'regression' ? rSquared(logits, yb) : tf.div(correctCount(logits, labels), xb.shape[0]));
      kept.push(acc);
      for (const [li, [m, v]] of stats) {
        batchStats.set(li, [tf.keep(m), tf.keep(v)]);
        kept.push(m, v);
      }
      const data = task === 'regression' ? meanSquaredError(logits, yb) : crossEntropy(logits, yb);
      let loss = data;
      // The penalty is summed on its own too, term by term in the loss's order.
      let pen: tf.Scalar = tf.scalar(0);
      if (l1 > 0 || l2 > 0) {
        for (const layer of model.layers) {
          const terms: tf.Scalar[] = [];
          if (l1 > 0) terms.push(tf.mul(l1, tf.sum(tf.abs(layer.kernel))));
          if (l2 > 0) terms.push(tf.mul(l2, tf.sum(tf.square(layer.kernel))));
          for (const t of terms) {
            loss = tf.add(loss, t);
            pen = tf.add(pen, t);
          }
        }
      }
      dataLoss = tf.keep(data);
      penalty = tf.keep(pen);
      kept.push(dataLoss, penalty);
      return loss;
    }, varList);
  } catch (e) {
    for (const t of kept) t.dispose();
    throw e;
  }
  return { result, dataLoss: dataLoss!, penalty: penalty!, acc: acc!, batchStats, kept };
}

/**
 * Every variable's new value under the optimizer rule `name` (with decoupled weight
 * decay) and batch norm's moving statistics: `nexts[k]` is the new value of
 * `targets[k]`; `weightAt` indexes the trainable variables' among them.
 */
export function nextValues(
  model: Model,
  name: OptimizerConfig['name'],
  grads: tf.Tensor[],
  slots: tf.Variable[][],
  lr: tf.Scalar,
  t: tf.Scalar,
  o: OptimizerConfig,
  batchStats: BatchStats,
): { targets: tf.Variable[]; nexts: tf.Tensor[]; weightAt: number[] } {
  const rule = OPTIMIZER_RULES[name];
  const wd = o.weightDecay;
  const targets: tf.Variable[] = [];
  const nexts: tf.Tensor[] = [];
  const weightAt: number[] = [];
  model.trainable.forEach((v, i) => {
    // One variable at a time in its own scope: the rule's temporaries (a dozen
    // tensors of the variable's size for adam) are freed before the next
    // variable's, so the step's peak memory holds the new values, not every
    // temporary of every variable (measured: bench/memoryGrid.mjs).
    const [w, ...next] = tf.tidy(() => {
      const upd = rule.update({ w: v, g: grads[i], slots: slots[i], lr, t, cfg: o });
      return [wd > 0 ? tf.sub(upd.w, tf.mul(tf.mul(lr, wd), v)) : upd.w, ...upd.slots];
    });
    weightAt.push(nexts.length);
    targets.push(v);
    nexts.push(w);
    next.forEach((s, j) => {
      targets.push(slots[i][j]);
      nexts.push(s);
    });
  });
  for (const [li, [m, vr]] of batchStats) {
    const layer = model.layers[li];
    const mm = layer.movingMean!;
    const mv = layer.movingVar!;
    targets.push(mm, mv);
    nexts.push(tf.add(tf.mul(mm, BN_MOMENTUM), tf.mul(m, 1 - BN_MOMENTUM)), tf.add(tf.mul(mv, BN_MOMENTUM), tf.mul(vr, 1 - BN_MOMENTUM)));
  }
  return { targets, nexts, weightAt };
}
