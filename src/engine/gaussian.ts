/**
 * Expectations over the standard normal: Gauss–Hermite quadrature (with a change
 * of measure for functions narrower than the Gaussian), erfc, Φ and φ. Used by the
 * mean-field theory (theory.ts) and the sweep's Gaussian process.
 */

export interface Quadrature {
  /** Nodes for E over z ~ N(0, 1) (already scaled by √2). */
  z: Float64Array;
  /** Weights summing to 1. */
  w: Float64Array;
}

/**
 * Gauss–Hermite nodes and weights (physicists' Hermite polynomials, weight
 * e^(−x²)), by Newton's method on the three-term recurrence (Numerical Recipes
 * `gauher`), turned into an expectation rule for the standard normal:
 * E[f(z)] ≈ Σ w_i f(z_i), z_i = √2·x_i, w_i = ω_i/√π.
 */
export function gaussHermite(n: number): Quadrature {
  if (!Number.isInteger(n) || n < 2) throw new Error(`gaussHermite: n must be an integer >= 2, got ${n}`);
  const x = new Float64Array(n);
  const omega = new Float64Array(n);
  const PIM4 = Math.pow(Math.PI, -0.25);
  const m = Math.floor((n + 1) / 2);
  let r = 0;
  for (let i = 0; i < m; i++) {
    // Initial guesses for the largest roots first, then from the previous ones.
    if (i === 0) r = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -1 / 6);
    else if (i === 1) r -= (1.14 * Math.pow(n, 0.426)) / r;
    else if (i === 2) r = 1.86 * r - 0.86 * x[0];
    else if (i === 3) r = 1.91 * r - 0.91 * x[1];
    else r = 2 * r - x[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = PIM4;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = r * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const r1 = r;
      r = r1 - p1 / pp;
      if (Math.abs(r - r1) <= 1e-14 * Math.max(1, Math.abs(r))) break;
    }
    x[i] = r;
    x[n - 1 - i] = -r;
    omega[i] = 2 / (pp * pp);
    omega[n - 1 - i] = omega[i];
  }
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = Math.SQRT2 * x[i];
    w[i] = omega[i] / Math.sqrt(Math.PI);
  }
  return { z, w };
}

/** Nodes of the default rule (even: no node at 0). */
export const QUADRATURE_NODES = 192;
let defaultRule: Quadrature | null = null;
function rule(): Quadrature {
  defaultRule ??= gaussHermite(QUADRATURE_NODES);
  return defaultRule;
}

/** E[f(z)] for z ~ N(0, 1). */
export function gaussExpect(f: (z: number) => number, q: Quadrature = rule()): number {
  let s = 0;
  for (let i = 0; i < q.z.length; i++) s += q.w[i] * f(q.z[i]);
  return s;
}

/**
 * E_z[f(s·z)] for z ~ N(0, 1) and an f that is smooth and decays on the unit
 * scale (like sech²). For s ≤ 1 this is plain Gauss–Hermite. For s > 1 the
 * Gaussian N(0, s²) is wider than f, and nodes spaced for N(0, 1) in z would
 * step over f's peak in u = s·z: change the measure instead,
 *   E_z[f(s·z)] = E_y[f(y)·r(y)],  y ~ N(0, 1),  r(y) = N(y; 0, s²)/N(y; 0, 1),
 * so the nodes sit where f lives. (Relative error < 1e-12 for sech⁴ at any s.)
 */
export function gaussExpectScaled(f: (u: number) => number, s: number, q: Quadrature = rule()): number {
  if (s <= 1) return gaussExpect((z) => f(s * z), q);
  const k = 0.5 * (1 - 1 / (s * s));
  let acc = 0;
  for (let i = 0; i < q.z.length; i++) {
    const y = q.z[i];
    acc += q.w[i] * f(y) * Math.exp(k * y * y);
  }
  return acc / s;
}

/**
 * erfc with relative error below 1.2e-7 everywhere (Numerical Recipes `erfcc`,
 * a Chebyshev fit): plenty for the piecewise closed forms below.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ. */
export function normCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Standard normal density φ. */
export const normPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
