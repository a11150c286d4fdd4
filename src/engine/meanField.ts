/**
 * Mean-field moments of one unit and one layer (theory.ts has the whole net):
 * E[φ²], E[φ′²] and E[φ] of the engine's activations under a Gaussian
 * pre-activation, the σ_w² of each init, the variance map, its fixed point and χ.
 */
import { LEAKY_RELU_SLOPE, type Activation, type InitName } from './meta.ts';
import { gaussExpectScaled, normCdf, normPdf } from './gaussian.ts';

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
