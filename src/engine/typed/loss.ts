/**
 * The typed engine's loss: softmax cross-entropy with its gradient, and the L1/L2
 * penalties on the kernels, every op rounded to float32 as tfjs rounds it.
 */
import type { Arr, NetLayer } from './net.ts';

const f = Math.fround;

/**
 * Mean softmax cross-entropy of n rows of C logits against integer labels, as
 * model.ts crossEntropy computes it in tfjs: −mean(Σ_c onehot·logSoftmax(logits)),
 * every op rounded to float32 (so NaN and Infinity come out where tfjs's do:
 * 0·(−Infinity) is NaN). With `dlogits`, also writes ∂L/∂logits as tfjs's
 * logSoftmax gradient computes it: dy − Σ_c dy·exp(logSoftmax), dy = −onehot/n.
 * `out` receives [the mean loss, the correct count] (argMax = the first largest).
 */
export function crossEntropyRows(
  logits: Arr,
  labels: ArrayLike<number>,
  labelStart: number,
  n: number,
  C: number,
  dlogits: Arr | null,
  r: (x: number) => number,
  out: Float64Array,
): void {
  let meanSum = 0;
  let correct = 0;
  const dyLabel = r(-1 / n);
  for (let b = 0; b < n; b++) {
    const o = b * C;
    const label = labels[labelStart + b];
    let max = logits[o];
    let arg = 0;
    for (let c = 1; c < C; c++) {
      const v = logits[o + c];
      if (Number.isNaN(v) || v > max) max = v; // tfjs's max propagates NaN
      if (v > logits[o + arg]) arg = c;
    }
    if (arg === label) correct++;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += r(Math.exp(r(logits[o + c] - max)));
    const logSum = r(Math.log(r(sum)));
    let row = 0;
    for (let c = 0; c < C; c++) {
      const ls = r(r(logits[o + c] - max) - logSum);
      row += r((c === label ? 1 : 0) * ls);
      if (dlogits) dlogits[o + c] = ls; // logSoftmax, for the gradient below
    }
    meanSum += r(r(row) / n);
    if (dlogits) {
      // dy_c = onehot_c·(−1/n); Σ_c dy_c = −1/n
      for (let c = 0; c < C; c++) {
        const dy = c === label ? dyLabel : -0;
        dlogits[o + c] = r(dy - r(dyLabel * r(Math.exp(dlogits[o + c]))));
      }
    }
  }
  out[0] = -r(meanSum);
  out[1] = correct;
}

/**
 * L1/L2 penalties on every kernel, in the loss and in the gradient (`gKernel`, in
 * place); writes the loss with the penalties added (out[0]) and the penalty alone
 * (out[1]), each summed term by term in the same order as the tfjs engine (trainerStep.ts). tfjs's
 * tape adds a kernel's gradients in reverse order of use: (L2 term + L1 term) + product's.
 */
export function addPenalties(layers: readonly NetLayer[], l1: number, l2: number, loss: number, out: Float64Array): void {
  let penalty = 0;
  const l1f = f(l1);
  const l2f = f(l2);
  for (const layer of layers) {
    const K = layer.kernel;
    const gK = layer.gKernel;
    let sAbs = 0;
    let sSq = 0;
    for (let k = 0; k < K.length; k++) {
      const w = K[k];
      let pen: number;
      if (l1 > 0) {
        sAbs += Math.abs(w);
        pen = l1f * (w > 0 ? 1 : w <= 0 ? -1 : NaN); // dy·step(x, −1)
        if (l2 > 0) {
          sSq += f(w * w);
          pen = f(f(l2f * f(w * 2)) + pen);
        }
      } else {
        sSq += f(w * w);
        pen = f(l2f * f(w * 2));
      }
      gK[k] = pen + gK[k];
    }
    if (l1 > 0) {
      const t = f(l1f * f(sAbs));
      loss = f(loss + t);
      penalty = f(penalty + t);
    }
    if (l2 > 0) {
      const t = f(l2f * f(sSq));
      loss = f(loss + t);
      penalty = f(penalty + t);
    }
  }
  out[0] = loss;
  out[1] = penalty;
}
