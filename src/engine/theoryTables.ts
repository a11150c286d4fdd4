/**
 * The tables the per-example recursions of theory.ts read: the tanh and sigmoid
 * moments against ln q, and the expected squared norm of one example's output
 * gradient, E‖softmax(z) − e_y‖², against ln q per class count.
 */
import type { Activation } from './meta.ts';
import { derivSquare, meanSquareOut } from './meanField.ts';
import { makeRng } from './rng.ts';

/**
 * The per-example recursions evaluate the tanh and sigmoid moments for
 * thousands of q's (every example, every layer): they read them from a table of
 * their logarithms against ln q (cubic interpolation, step 1/32, relative error
 * below 1e-7), built once from the quadrature; outside the table, and for the
 * closed forms, they call meanSquareOut and derivSquare (meanField.ts).
 */
const LNQ_MIN = -25;
const LNQ_MAX = 25;
const LNQ_PER_UNIT = 32;
const momentTables = new Map<Activation, { ms: Float64Array; ds: Float64Array }>();

function momentTable(act: Activation): { ms: Float64Array; ds: Float64Array } {
  let t = momentTables.get(act);
  if (!t) {
    const n = (LNQ_MAX - LNQ_MIN) * LNQ_PER_UNIT + 1;
    const ms = new Float64Array(n);
    const ds = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const q = Math.exp(LNQ_MIN + k / LNQ_PER_UNIT);
      ms[k] = Math.log(meanSquareOut(act, q));
      ds[k] = Math.log(derivSquare(act, q));
    }
    t = { ms, ds };
    momentTables.set(act, t);
  }
  return t;
}

/** Cubic (Catmull–Rom) interpolation of a table at fractional index x, 1 ≤ x ≤ n − 2. */
function cubicAt(t: Float64Array, x: number): number {
  const k = Math.floor(x);
  const u = x - k;
  const p0 = t[k - 1];
  const p1 = t[k];
  const p2 = t[k + 1];
  const p3 = t[k + 2];
  return p1 + 0.5 * u * (p2 - p0 + u * (2 * p0 - 5 * p1 + 4 * p2 - p3 + u * (3 * (p1 - p2) + p3 - p0)));
}

/** [E φ², E φ′²] at q, from the table for tanh and sigmoid. */
export function momentsFast(act: Activation, q: number): [number, number] {
  if ((act === 'tanh' || act === 'sigmoid') && q > 0) {
    const x = (Math.log(q) - LNQ_MIN) * LNQ_PER_UNIT;
    const t = momentTable(act);
    if (x >= 1 && x <= t.ms.length - 3) return [Math.exp(cubicAt(t.ms, x)), Math.exp(cubicAt(t.ds, x))];
  }
  return [meanSquareOut(act, q), derivSquare(act, q)];
}

/**
 * E‖softmax(z) − e_y‖² for logits z ~ N(0, q·I_C): the expected squared norm of
 * one example's ∂(cross-entropy)/∂logits (B² times its part of the batch mean's).
 * Σ_c (p_c − δ_cy)² = Σ_c p_c² − 2·p_y + 1 and E[p_y] = 1/C by symmetry.
 * Two classes: p − e_y = ±(1 − p_y)·(1, −1) with 1 − p_y = σ(z_o − z_y),
 * z_o − z_y ~ N(0, 2q), so the value is 2·E[σ(u)²] (quadrature, as above).
 * More classes: E[Σ_c p_c²] has no closed form; it is averaged over a fixed
 * sample of 4096 standard normal vectors, the same for every q (smooth in q:
 * two examples' shares are compared on equal terms), tabulated in ln q.
 * It rises from 1 − 1/C (q → 0: p uniform) to 2 − 2/C (q → ∞: p one-hot).
 */
export function outputGradSquare(classes: number, q: number): number {
  if (!(classes >= 2)) return 0;
  if (!(q > 0)) return 1 - 1 / classes;
  if (classes === 2) return 2 * momentsFast('sigmoid', 2 * q)[0];
  const t = softmaxTable(classes);
  const x = Math.min(Math.max((Math.log(q) - LNQ_MIN) * SOFTMAX_PER_UNIT, 1), t.length - 3);
  return cubicAt(t, x);
}

const SOFTMAX_SAMPLE = 4096;
const SOFTMAX_PER_UNIT = 4;
const softmaxTables = new Map<number, Float64Array>();

/** E‖softmax(√q·z) − e_y‖² over the fixed sample, on the grid ln q = LNQ_MIN + k/4. */
function softmaxTable(classes: number): Float64Array {
  let t = softmaxTables.get(classes);
  if (!t) {
    const rng = makeRng(`theory:softmax:${classes}`);
    const zs = Float64Array.from({ length: SOFTMAX_SAMPLE * classes }, () => rng.normal());
    const e = new Float64Array(classes);
    t = new Float64Array((LNQ_MAX - LNQ_MIN) * SOFTMAX_PER_UNIT + 1);
    for (let k = 0; k < t.length; k++) {
      const s = Math.exp(0.5 * (LNQ_MIN + k / SOFTMAX_PER_UNIT));
      let acc = 0;
      for (let j = 0; j < zs.length; j += classes) {
        let max = -Infinity;
        for (let c = 0; c < classes; c++) max = Math.max(max, s * zs[j + c]);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += e[c] = Math.exp(s * zs[j + c] - max);
        for (let c = 0; c < classes; c++) acc += (e[c] / sum) ** 2;
      }
      t[k] = (acc * classes) / zs.length + 1 - 2 / classes;
    }
    softmaxTables.set(classes, t);
  }
  return t;
}
