/**
 * Signal propagation at initialization (mean-field theory), as pure functions:
 * what the per-layer norms of the back-propagated signal ‖∂L/∂h_l‖ should look
 * like before any training, for a plain MLP (no normalization).
 *
 * Setting. Layer l maps h_{l-1} (n_{l-1} units) to z_l = W_l·h_{l-1} + b_l and
 * h_l = φ(z_l) (+ h_{l-1} with a residual connection). Biases start at 0, so
 * σ_b = 0. Write σ_w² for the weight variance times fan_in (the "g²" of the
 * textbooks): Var(W_ij) = σ_w²/n_{l-1}.
 *
 *  Forward, per unit:  q_l = σ_w²·m_{l-1}  with  m_l = E_z[φ(√q_l·z)²]
 *                      (+ m_{l-1} + 2·E_z[φ(√q_l·z)]·μ_{l-1} with a residual:
 *                      the skip h_{l-1} and the branch φ(z_l) are independent
 *                      across units, but neither has mean 0 in general, so
 *                      their cross term is the product of the means; μ_l is
 *                      the mean of h_l's units), z ~ N(0, 1), m_0 = mean x².
 *  Backward, in norm:  ∂L/∂h_{l-1} = W_l·(φ'(z_l) ⊙ ∂L/∂h_l), and for a fixed
 *                      vector u,  E‖W_l u‖² = n_{l-1}·(σ_w²/n_{l-1})·‖u‖² = σ_w²‖u‖²,
 *                      so  E‖∂L/∂h_{l-1}‖² = χ_l·E‖∂L/∂h_l‖²,
 *                      χ_l = σ_w²·E_z[φ'(√q_l·z)²]   (1 + χ_l with a residual:
 *                      the identity path adds ‖u‖², the cross term has mean 0).
 *  The output layer is linear: its factor is σ_w² alone.
 *  Both take the backward pass's weights as independent of the forward pass's
 *  (exact at infinite width). At finite width a residual ReLU stack breaks that
 *  visibly: its skip and branch terms correlate through the all-positive
 *  residual stream, and ‖∂L/∂h‖ grows faster than 1 + χ toward the input
 *  (README, "Theory line"; theory.net.test.ts).
 *
 * With fan_in scaling the width ratio n_{l-1}/n_l cancels in the norm (it would
 * appear in the per-unit mean square). It enters only through inits whose
 * variance uses fan_out too (Glorot, orthogonal on a wide matrix).
 *
 * Closed forms: ReLU χ = σ_w²/2 for every q (φ'² is 1 on half the line), so
 * `normal` with gain g gives g²/2 and He (σ_w² = 2g²) gives g²; Leaky ReLU
 * (slope α for x < 0) gives σ_w²(1+α²)/2; linear σ_w². For tanh χ depends on q; deep
 * in the net q reaches the fixed point q* = σ_w²·E[tanh(√q*·z)²] and
 * χ₁ = σ_w²·E[tanh'(√q*·z)²] (Poole et al. 2016; Schoenholz et al. 2017): below
 * 1 gradients vanish, above 1 they explode; with σ_b = 0 the edge is σ_w = 1.
 *
 * Per example. q depends on the input: an example with a small ‖x‖ starts
 * with a small q, and for tanh, sigmoid, ELU and SELU χ(q) is far from its
 * value at the batch's mean q in the first layers (tanh′² ≈ 1 near 0: a
 * small-q example multiplies its gradient by ≈ σ_w² per layer, not χ₁). The
 * batch's ‖∂L/∂h_l‖² is the sum over its examples, so the line is the
 * per-example prediction summed over the first batch (`predictedProfile`):
 *   ‖∂L/∂h_l‖² = Σ_i ‖∂L/∂logits^(i)‖² · Π_{k>l} χ_k^(i),
 * each example i with its own q-recursion from ‖x_i‖²/fan_in. One q per layer
 * from the data's mean x² (`layerTheory`) is kept for the teaching number χ.
 *
 * Gaussian expectations: closed forms for the piecewise activations (ReLU
 * family, ELU, SELU, ReLU6: their kinks would slow a quadrature down), and
 * Gauss–Hermite quadrature (192 nodes, with a change of measure for wide
 * pre-activations) for the smooth ones (tanh, sigmoid).
 */
import type { RunConfig } from './config.ts';
import { BatchStream, makeDataset } from './data/datasets.ts';
import { LEAKY_RELU_SLOPE, type Activation, type InitName } from './meta.ts';
import { gaussExpectScaled, normCdf, normPdf } from './gaussian.ts';
import { makeRng } from './rng.ts';

export { QUADRATURE_NODES, erfc, gaussExpect, gaussExpectScaled, gaussHermite, normCdf, normPdf, type Quadrature } from './gaussian.ts';

const sech2 = (u: number) => {
  const c = Math.cosh(u);
  return Number.isFinite(c) ? 1 / (c * c) : 0;
};
const sech4 = (u: number) => sech2(u) ** 2;

// ---------------------------------------------------------------- activations

/** Constants of the engine's activations as tfjs computes them: leaky ReLU's slope (meta.ts), SELU's scale and α (ELU's α is 1). */
export const LEAKY_SLOPE = LEAKY_RELU_SLOPE;
export const SELU_SCALE = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;

export function phi(act: Activation, x: number): number {
  switch (act) {
    case 'relu':
      return x > 0 ? x : 0;
    case 'leaky_relu':
      return x > 0 ? x : LEAKY_SLOPE * x;
    case 'relu6':
      return Math.min(6, Math.max(0, x));
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'selu':
      return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'linear':
      return x;
  }
}

export function phiPrime(act: Activation, x: number): number {
  switch (act) {
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'leaky_relu':
      return x > 0 ? 1 : LEAKY_SLOPE;
    case 'relu6':
      return x > 0 && x < 6 ? 1 : 0;
    case 'elu':
      return x > 0 ? 1 : Math.exp(x);
    case 'selu':
      return SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x));
    case 'tanh': {
      const c = Math.cosh(x);
      return Number.isFinite(c) ? 1 / (c * c) : 0;
    }
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 - s);
    }
    case 'linear':
      return 1;
  }
}

/**
 * E[e^{a·z}; z < 0] = e^{a²/2}·Φ(−a), computed without overflow for large a.
 * (ELU and SELU are exponential on the negative half line.)
 */
function expMomentNeg(a: number): number {
  if (a < 8) return Math.exp(0.5 * a * a) * normCdf(-a);
  // Mills ratio for large a: e^{a²/2}Φ(−a) = R(a)/√(2π), R(a) ≈ 1/a − 1/a³ + 3/a⁵
  return (1 / a - 1 / a ** 3 + 3 / a ** 5) / Math.sqrt(2 * Math.PI);
}

/**
 * E_z[φ(√q·z)²]: the mean square of a unit's output when its pre-activation has
 * variance q. Closed forms for the piecewise activations (their kinks would slow
 * the quadrature down), Gauss–Hermite for the smooth ones (tanh, sigmoid).
 */
export function meanSquareOut(act: Activation, q: number): number {
  if (!(q > 0)) return phi(act, 0) ** 2;
  const s = Math.sqrt(q);
  switch (act) {
    case 'relu':
      return q / 2;
    case 'leaky_relu':
      return (q * (1 + LEAKY_SLOPE * LEAKY_SLOPE)) / 2;
    case 'linear':
      return q;
    case 'relu6': {
      const a = 6 / s; // E[(s z)²; 0 < z < a] + 36·P(z > a)
      return q * (normCdf(a) - 0.5 - a * normPdf(a)) + 36 * (1 - normCdf(a));
    }
    case 'elu':
    case 'selu': {
      // positive half: q/2; negative half: E[(α(e^{sz} − 1))²; z < 0]
      const alpha = act === 'selu' ? SELU_ALPHA : 1;
      const scale = act === 'selu' ? SELU_SCALE : 1;
      const neg = alpha * alpha * (expMomentNeg(2 * s) - 2 * expMomentNeg(s) + 0.5);
      return scale * scale * (q / 2 + neg);
    }
    // Written with the decaying sech² so the scaled quadrature applies:
    // tanh² = 1 − sech²;  σ(u) = ½ + ½·tanh(u/2), E[tanh] = 0, so E[σ²] = ½ − ¼·E[sech²(u/2)].
    case 'tanh':
      // For small q, 1 − E[sech²] would cancel to nothing: the series of
      // tanh²u = u² − ⅔u⁴ + (17/45)u⁶ − …, with E z⁴ = 3, E z⁶ = 15 (next term −20.7q⁴).
      if (q < 1e-4) return q * (1 - q * (2 - (17 / 3) * q));
      return 1 - gaussExpectScaled(sech2, s);
    case 'sigmoid':
      return 0.5 - 0.25 * gaussExpectScaled(sech2, s / 2);
  }
}

/** E_z[φ'(√q·z)²]: how much of the backward signal's energy a unit passes. */
export function derivSquare(act: Activation, q: number): number {
  if (!(q > 0)) return phiPrime(act, 0) ** 2;
  const s = Math.sqrt(q);
  switch (act) {
    case 'relu':
      return 0.5;
    case 'leaky_relu':
      return (1 + LEAKY_SLOPE * LEAKY_SLOPE) / 2;
    case 'linear':
      return 1;
    case 'relu6':
      return normCdf(6 / s) - 0.5;
    case 'elu':
    case 'selu': {
      const alpha = act === 'selu' ? SELU_ALPHA : 1;
      const scale = act === 'selu' ? SELU_SCALE : 1;
      return scale * scale * (0.5 + alpha * alpha * expMomentNeg(2 * s));
    }
    // tanh′ = sech²;  σ′(u) = ¼·sech²(u/2).
    case 'tanh':
      return gaussExpectScaled(sech4, s);
    case 'sigmoid':
      return gaussExpectScaled(sech4, s / 2) / 16;
  }
}

/**
 * E_z[φ(√q·z)]: the mean of a unit's output. A residual layer adds its input to
 * φ(z), and the cross term of the two in the mean square is the product of
 * their means (zero only for the odd activations: tanh, linear).
 */
export function meanOut(act: Activation, q: number): number {
  if (!(q > 0)) return phi(act, 0);
  const s = Math.sqrt(q);
  const halfMean = s * normPdf(0); // E[(s z)⁺] = s/√(2π)
  switch (act) {
    case 'relu':
      return halfMean;
    case 'leaky_relu':
      return (1 - LEAKY_SLOPE) * halfMean;
    case 'linear':
    case 'tanh':
      return 0;
    case 'sigmoid':
      return 0.5; // σ(u) − ½ is odd
    case 'relu6': {
      const a = 6 / s; // E[s z; 0 < z < a] + 6·P(z > a)
      return s * (normPdf(0) - normPdf(a)) + 6 * (1 - normCdf(a));
    }
    case 'elu':
    case 'selu': {
      // positive half: s/√(2π); negative half: α·E[e^{sz} − 1; z < 0] = α·(e^{s²/2}Φ(−s) − ½)
      const alpha = act === 'selu' ? SELU_ALPHA : 1;
      const scale = act === 'selu' ? SELU_SCALE : 1;
      return scale * (halfMean + alpha * (expMomentNeg(s) - 0.5));
    }
  }
}

// ---------------------------------------------------------------- inits

/**
 * σ_w² of a kernel (fan_in × fan_out), i.e. Var(W)·fan_in for the Gaussian-like
 * inits: normal and lecun g², He 2g², Glorot 2g²·fan_in/(fan_in+fan_out).
 * Orthogonal (g·Q): g² for a tall matrix (orthonormal columns: ‖Wu‖ = g‖u‖
 * exactly), g²·fan_in/fan_out for a wide one (orthonormal rows).
 */
export function sigmaW2(init: InitName, gain: number, fanIn: number, fanOut: number): number {
  const g2 = gain * gain;
  switch (init) {
    case 'normal':
    case 'lecun_normal':
      return g2;
    case 'he_normal':
    case 'he_uniform':
      return 2 * g2;
    case 'glorot_normal':
    case 'glorot_uniform':
      return (2 * g2 * fanIn) / (fanIn + fanOut);
    case 'orthogonal':
      return g2 * Math.min(1, fanIn / fanOut);
  }
}

// ---------------------------------------------------------------- mean field

/** The variance map q ↦ σ_w²·E[φ(√q·z)²] + σ_b². */
export function qMap(act: Activation, sw2: number, q: number, sb2 = 0): number {
  return sw2 * meanSquareOut(act, q) + sb2;
}

/**
 * Fixed point q* = σ_w²·E[φ(√q*·z)²] + σ_b² of a bounded activation (tanh,
 * sigmoid), by bisection. For tanh with σ_b = 0 and σ_w ≤ 1 it is 0 (the signal
 * dies out; χ₁ = σ_w²·tanh'(0)² = σ_w²). Unbounded activations have no finite
 * non-zero fixed point in general: the function throws for them.
 */
export function fixedPoint(act: Activation, sw2: number, sb2 = 0): number {
  if (act !== 'tanh' && act !== 'sigmoid') throw new Error(`fixedPoint: ${act} is unbounded; use the forward recursion of layerTheory`);
  const f = (q: number) => qMap(act, sw2, q, sb2) - q;
  if (act === 'tanh' && sb2 === 0 && sw2 <= 1) return 0;
  // q* ≤ σ_w²·sup φ² + σ_b²; f > 0 just above 0 (tanh with σ_w > 1, or σ_b > 0, or sigmoid).
  let lo = act === 'tanh' && sb2 === 0 ? 1e-12 : 0;
  let hi = sw2 + sb2 + 1e-9;
  if (f(hi) > 0) return hi;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** χ at pre-activation variance q: the growth of ‖∂L/∂h‖² per layer toward the input. */
export function chi(act: Activation, sw2: number, q: number): number {
  return sw2 * derivSquare(act, q);
}

/**
 * χ₁ at the fixed point (tanh, sigmoid) or, for activations whose χ does not
 * depend on q (the ReLU family, linear), that constant.
 */
export function chi1(act: Activation, sw2: number, sb2 = 0): number {
  if (act === 'tanh' || act === 'sigmoid') return chi(act, sw2, fixedPoint(act, sw2, sb2));
  if (act === 'relu' || act === 'leaky_relu' || act === 'linear') return chi(act, sw2, 1);
  throw new Error(`chi1: ${act} has no q-independent χ; use chi at a given q, or layerTheory's factors`);
}

// ---------------------------------------------------------------- whole net

/** The inputs of a batch, per example: the mean and the mean square of its input coordinates. */
export interface BatchInputs {
  meanSquare: Float64Array;
  mean: Float64Array;
}

export interface NetSpec {
  /** Input dimension (2 for the 2-D sets). */
  inputSize: number;
  /** Hidden widths, input → output. */
  hidden: number[];
  /** Output units (classes). */
  outputSize: number;
  activation: Activation;
  init: InitName;
  initGain: number;
  residual?: boolean;
  /** Mean of x_i² over the data (per input coordinate): the single q-recursion of `layerTheory`. */
  inputMeanSquare: number;
  /** Mean of x_i over the data (per input coordinate; 0 if absent): only a residual first layer uses it. */
  inputMean?: number;
  /**
   * The examples of the batch the line is for (a run's first batch, `netSpecOf`).
   * Without them the line follows the single q-recursion from `inputMeanSquare`.
   */
  batch?: BatchInputs;
}

export interface LayerTheory {
  /** σ_w² of the layer's kernel. */
  sw2: number;
  /** Pre-activation variance per unit (hidden layers; the output layer's too). */
  q: number;
  /** Whether the layer adds its input (residual and equal widths). */
  residual: boolean;
  /**
   * ‖∂L/∂h_{l-1}‖² / ‖∂L/∂h_l‖²: the factor by which the squared back-propagated
   * norm grows from this layer's output to its input (the output layer: σ_w²).
   */
  factor: number;
}

/**
 * The per-example recursions evaluate the tanh and sigmoid moments for
 * thousands of q's (every example, every layer): they read them from a table of
 * their logarithms against ln q (cubic interpolation, step 1/32, relative error
 * below 1e-7), built once from the quadrature; outside the table, and for the
 * closed forms, they call the functions above.
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

/** The forward recursion from an input with mean square m0 and mean mu0 per coordinate, and each layer's factor. */
function chain(net: NetSpec, m0: number, mu0: number, fast = false): LayerTheory[] {
  const widths = [net.inputSize, ...net.hidden, net.outputSize];
  const out: LayerTheory[] = [];
  let m = m0; // mean square per unit of h_{l-1}
  let mu = mu0; // mean per unit of h_{l-1}
  for (let l = 1; l < widths.length; l++) {
    const fanIn = widths[l - 1];
    const fanOut = widths[l];
    const sw2 = sigmaW2(net.init, net.initGain, fanIn, fanOut);
    const q = sw2 * m;
    if (l === widths.length - 1) {
      out.push({ sw2, q, residual: false, factor: sw2 });
      break;
    }
    const residual = !!net.residual && fanIn === fanOut;
    const [ms, ds] = fast ? momentsFast(net.activation, q) : [meanSquareOut(net.activation, q), derivSquare(net.activation, q)];
    const c = sw2 * ds;
    out.push({ sw2, q, residual, factor: residual ? 1 + c : c });
    const mean = meanOut(net.activation, q);
    m = ms + (residual ? m + 2 * mean * mu : 0);
    mu = mean + (residual ? mu : 0);
  }
  return out;
}

/**
 * Forward variances and backward factors of every layer, input → output (last =
 * output layer), with one q per layer from the data's mean x²: the teaching χ.
 */
export function layerTheory(net: NetSpec): LayerTheory[] {
  return chain(net, net.inputMeanSquare, net.inputMean ?? 0);
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

/** Each example's factors (input → output, as in `layerTheory`) and its logits' variance per class. */
interface Examples {
  factors: Float64Array[];
  qOut: Float64Array;
}

const examplesCache = new WeakMap<NetSpec, Examples>();

function examplesOf(net: NetSpec, batch: BatchInputs): Examples {
  const hit = examplesCache.get(net);
  if (hit) return hit;
  const B = batch.meanSquare.length;
  const factors: Float64Array[] = [];
  const qOut = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const th = chain(net, batch.meanSquare[i], batch.mean[i], true);
    factors.push(Float64Array.from(th, (t) => t.factor));
    qOut[i] = th[th.length - 1].q;
  }
  const ex = { factors, qOut };
  examplesCache.set(net, ex);
  return ex;
}

function sumOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

export interface Profile {
  /**
   * Predicted ‖∂L/∂h_l‖ over the batch for every layer, input → output; the
   * last entry is the output layer's ‖∂L/∂logits‖, the anchor.
   */
  actGradNorm: number[];
  /**
   * Per layer, ‖∂L/∂h_{l-1}‖² / ‖∂L/∂h_l‖² over the batch: the growth of the
   * squared norm from the layer's output to its input (the first layer's input
   * is x; the output layer's factor is σ_w²).
   */
  factor: number[];
}

/**
 * The theory line: predicted ‖∂L/∂h_l‖ over the batch, anchored at the measured
 * ‖∂L/∂logits‖ of the output layer (theory fixes the shape across depth, not
 * the overall scale).
 *
 * With `net.batch`, per example: example i's ‖∂L/∂logits^(i)‖² is carried toward
 * the input through its own factors, and each layer's prediction is the norm
 * over the batch, √(Σ_i ‖∂L/∂h_l^(i)‖²) (the measured actGradNorm is that norm
 * of the [batch, units] gradient).
 *
 * The anchor. Mean-field theory predicts E‖∂L/∂h_l^(i)‖² given the example's
 * own output gradient (the backward factors average over weights taken as
 * independent of the forward pass), so the exact anchor is each example's own
 * measured ‖∂L/∂logits^(i)‖²: pass them (any common scale) as
 * `outputGradSquares`, in batch order. A step record holds only their sum; then
 * `outputNorm`² is split in the shares the theory expects,
 * E‖∂L/∂logits^(i)‖² ∝ `outputGradSquare`(C, q_out^(i)). That is right on
 * average over initializations but not for one net: examples with nearby
 * inputs share one realized output gradient (the spiral's examples near the
 * origin), and where those examples dominate a layer the line inherits that
 * single draw.
 */
export function predictedProfile(net: NetSpec, outputNorm: number, outputGradSquares?: ArrayLike<number>): Profile {
  let factors: ArrayLike<number>[];
  let shares: ArrayLike<number>;
  if (net.batch && net.batch.meanSquare.length > 0) {
    const ex = examplesOf(net, net.batch);
    factors = ex.factors;
    const sum = outputGradSquares?.length === ex.factors.length ? sumOf(outputGradSquares) : NaN;
    shares = sum > 0 && Number.isFinite(sum) ? outputGradSquares! : Array.from(ex.qOut, (q) => outputGradSquare(net.outputSize, q));
  } else {
    factors = [layerTheory(net).map((t) => t.factor)];
    shares = [1];
  }
  const total = sumOf(shares);
  const L = net.hidden.length + 1;
  const w = Float64Array.from({ length: factors.length }, (_, i) => (outputNorm * outputNorm * shares[i]) / total);
  const sq = new Array<number>(L + 1); // sq[l]: predicted ‖∂L/∂h_l‖², h_0 = x, h_L = logits
  sq[L] = outputNorm * outputNorm;
  for (let l = L; l >= 1; l--) {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] *= factors[i][l - 1];
    sq[l - 1] = s;
  }
  return {
    actGradNorm: sq.slice(1).map(Math.sqrt),
    factor: Array.from({ length: L }, (_, l) => sq[l] / sq[l + 1]),
  };
}

/**
 * Predicted ‖∂L/∂h_l‖ for every layer (input → output; the last entry is the
 * output layer's ‖∂L/∂logits‖): `predictedProfile(…).actGradNorm`.
 */
export function predictedActGradNorms(net: NetSpec, outputNorm: number, outputGradSquares?: ArrayLike<number>): number[] {
  return predictedProfile(net, outputNorm, outputGradSquares).actGradNorm;
}

// ---------------------------------------------------------------- a run's first batch

/** Per-example mean and mean square of the input coordinates of the examples `idx` of `x` (row-major, `inputSize` per example). */
export function batchInputs(x: ArrayLike<number>, inputSize: number, idx: ArrayLike<number>): BatchInputs {
  const meanSquare = new Float64Array(idx.length);
  const mean = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    let s = 0;
    let s2 = 0;
    for (let j = idx[i] * inputSize, end = j + inputSize; j < end; j++) {
      s += x[j];
      s2 += x[j] * x[j];
    }
    mean[i] = s / inputSize;
    meanSquare[i] = s2 / inputSize;
  }
  return { meanSquare, mean };
}

/**
 * The examples of a run's step 0, drawn as the trainer draws them: the data set
 * of `makeDataset`, then `BatchStream(nTrain, seed).next(batchSize)` with the
 * batch size capped at the training set's size.
 */
export function firstBatch(cfg: Pick<RunConfig, 'data' | 'seed' | 'train'>): { data: ReturnType<typeof makeDataset>; idx: Int32Array } {
  const data = makeDataset(cfg);
  const idx = new BatchStream(data.nTrain, cfg.seed).next(Math.min(cfg.train.batchSize, data.nTrain));
  return { data, idx };
}

/**
 * The network of a run as theory sees it, with its first batch (the line is for
 * step 0's examples; `inputMeanSquare` is theirs too); null where the theory here
 * does not apply (CNNs, normalization).
 */
export function netSpecOf(cfg: RunConfig): NetSpec | null {
  if (cfg.model.arch !== 'mlp' || cfg.model.norm !== 'none') return null;
  // The same spec object for the same network and batch: the page asks on every
  // config edit, and the per-example factors are cached per spec.
  const key = JSON.stringify([cfg.seed, cfg.data, cfg.train.batchSize, cfg.model]);
  const hit = specCache.get(key);
  if (hit) return hit;
  const spec = buildNetSpec(cfg);
  specCache.set(key, spec);
  if (specCache.size > 8) specCache.delete(specCache.keys().next().value as string);
  return spec;
}

const specCache = new Map<string, NetSpec>();

function buildNetSpec(cfg: RunConfig): NetSpec {
  const { data, idx } = firstBatch(cfg);
  const batch = batchInputs(data.xTrain, data.inputSize, idx);
  const avg = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    inputSize: data.inputSize,
    hidden: cfg.model.hidden,
    outputSize: data.nClasses,
    activation: cfg.model.activation,
    init: cfg.model.init,
    initGain: cfg.model.initGain,
    residual: cfg.model.residual,
    inputMeanSquare: avg(batch.meanSquare),
    inputMean: avg(batch.mean),
    batch,
  };
}

/** Least-squares slope of ln(ys) against the index: per-layer log growth (input → output). */
export function logSlope(ys: number[]): number {
  const pts = ys.map((y, i) => [i, Math.log(y)] as const).filter(([, v]) => Number.isFinite(v));
  const n = pts.length;
  if (n < 2) return NaN;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}
