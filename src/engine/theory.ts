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
 *                      (+ m_{l-1} with a residual), z ~ N(0, 1), m_0 = mean x².
 *  Backward, in norm:  ∂L/∂h_{l-1} = W_l·(φ'(z_l) ⊙ ∂L/∂h_l), and for a fixed
 *                      vector u,  E‖W_l u‖² = n_{l-1}·(σ_w²/n_{l-1})·‖u‖² = σ_w²‖u‖²,
 *                      so  E‖∂L/∂h_{l-1}‖² = χ_l·E‖∂L/∂h_l‖²,
 *                      χ_l = σ_w²·E_z[φ'(√q_l·z)²]   (1 + χ_l with a residual:
 *                      the identity path adds ‖u‖², the cross term has mean 0).
 *  The output layer is linear: its factor is σ_w² alone.
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
 * Gaussian expectations: closed forms for the piecewise activations (ReLU
 * family, ELU, SELU, ReLU6: their kinks would slow a quadrature down), and
 * Gauss–Hermite quadrature (192 nodes, with a change of measure for wide
 * pre-activations) for the smooth ones (tanh, sigmoid).
 */
import { LEAKY_RELU_SLOPE, type Activation, type InitName } from './meta.ts';
import { gaussExpectScaled, normCdf, normPdf } from './gaussian.ts';

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
  /** Mean of x_i² over the data (per input coordinate). */
  inputMeanSquare: number;
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

/** Forward variances and backward factors of every layer, input → output (last = output layer). */
export function layerTheory(net: NetSpec): LayerTheory[] {
  const widths = [net.inputSize, ...net.hidden, net.outputSize];
  const out: LayerTheory[] = [];
  let m = net.inputMeanSquare; // mean square per unit of h_{l-1}
  for (let l = 1; l < widths.length; l++) {
    const fanIn = widths[l - 1];
    const fanOut = widths[l];
    const sw2 = sigmaW2(net.init, net.initGain, fanIn, fanOut);
    const q = sw2 * m;
    const isOutput = l === widths.length - 1;
    if (isOutput) {
      out.push({ sw2, q, residual: false, factor: sw2 });
      break;
    }
    const residual = !!net.residual && fanIn === fanOut;
    const c = chi(net.activation, sw2, q);
    out.push({ sw2, q, residual, factor: residual ? 1 + c : c });
    m = meanSquareOut(net.activation, q) + (residual ? m : 0);
  }
  return out;
}

/**
 * Predicted ‖∂L/∂h_l‖ for every layer (input → output; the last entry is the
 * output layer's ‖∂L/∂logits‖), anchored at the measured value of the output
 * layer: theory fixes the shape across depth, not the overall scale.
 */
export function predictedActGradNorms(net: NetSpec, outputNorm: number): number[] {
  const th = layerTheory(net);
  const L = th.length;
  const pred = new Array<number>(L);
  pred[L - 1] = outputNorm;
  // ∂L/∂h_{l-1} is reached from ∂L/∂h_l through layer l's factor.
  for (let l = L - 1; l >= 1; l--) pred[l - 1] = pred[l] * Math.sqrt(th[l].factor);
  return pred;
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
