/**
 * The typed engine's losses: softmax cross-entropy (classification) and mean
 * squared error with R² (regression), each with its gradient, and the L1/L2
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
 * Σ (p − t)² of n one-output predictions against `targets[start…]`, as the tfjs
 * engine's evaluation sums a chunk (trainerStep.ts evaluate): sum(square(sub(p, t))),
 * each difference and square rounded (`r`), the squares summed in float64 in order
 * (the cpu Sum kernel) and the sum rounded.
 */
export function sumSquaredErrors(pred: Arr, targets: ArrayLike<number>, start: number, n: number, r: (x: number) => number): number {
  let sse = 0;
  for (let b = 0; b < n; b++) {
    const d = r(pred[b] - targets[start + b]);
    sse += r(d * d);
  }
  return r(sse);
}

/**
 * Mean squared error of n one-output predictions against `targets[start…]` and the
 * batch's R², as model.ts meanSquaredError and rSquared compute them in tfjs, every
 * op rounded (`r`) and every sum in float64 in index order, as the cpu kernels do:
 *   d = p − t;  loss = Σ (d²/n)   (the cpu Mean divides each element by n, then sums)
 *   m = Σ (t/n);  SSE = Σ d²;  SST = Σ (t − m)²
 *   R² = 1 − SSE/max(SST, 1e-30) where SST > 0, else 0
 * With `dpred`, also writes ∂L/∂p as tfjs's gradient functions compute it from
 * dy = 1: Mean's dy/n, then Square's dy·(2d), then Sub's dy unchanged:
 * ∂L/∂p = (1/n)·(2d). `out` receives [the mean loss, R²].
 */
export function meanSquaredErrorRows(pred: Arr, targets: ArrayLike<number>, start: number, n: number, dpred: Arr | null, r: (x: number) => number, out: Float64Array): void {
  let loss = 0;
  let sse = 0;
  let mean = 0;
  const dyMean = r(1 / n);
  for (let b = 0; b < n; b++) {
    const t = targets[start + b];
    const d = r(pred[b] - t);
    const sq = r(d * d);
    loss += r(sq / n);
    sse += sq;
    mean += r(t / n);
    if (dpred) dpred[b] = r(dyMean * r(d * 2));
  }
  const m = r(mean);
  let sst = 0;
  for (let b = 0; b < n; b++) {
    const c = r(targets[start + b] - m);
    sst += r(c * c);
  }
  const sst32 = r(sst);
  out[0] = r(loss);
  out[1] = sst32 > 0 ? r(1 - r(r(sse) / r(Math.max(sst32, r(1e-30))))) : 0;
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
