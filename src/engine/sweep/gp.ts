/**
 * Gaussian-process surrogate and expected improvement for the Bayesian search.
 *
 * Inputs live in the unit cube (log-scaled for log parameters). The kernel is
 * Matérn 5/2 with one length scale per dimension (one shared for 3 parameters),
 * a constant mean (the data are standardized) and a white-noise term. The length
 * scales and the noise are chosen over a small grid by maximizing the log marginal
 * likelihood plus a Gamma(3, 6) log prior on each length scale (BoTorch's default
 * prior; with few points it keeps the fit from collapsing onto short length
 * scales), with the signal variance profiled out:
 *   σ² = yᵀ(R + ηI)⁻¹y / n,   log L = −n/2·log σ² − ½·log|R + ηI| + Σ log p(ℓ).
 * Linear algebra (Cholesky factor, solves) is ml-matrix's.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { normCdf, normPdf } from '../theory.ts';

const LENGTH_SCALES = [0.05, 0.08, 0.12, 0.18, 0.25, 0.35, 0.5, 0.7, 1.0, 1.5, 2.0];
/** Coarser per-axis grid for two length scales (7 × 7 pairs). */
const LENGTH_SCALES_2D = [0.05, 0.1, 0.18, 0.3, 0.5, 0.9, 1.6];
const NOISES = [1e-6, 1e-4, 1e-3, 1e-2, 0.05];
/** Gamma(3, 6) prior on each length scale (mean 0.5 on the unit cube). */
const LS_PRIOR = { shape: 3, rate: 6 };

function logPrior(ls: readonly number[]): number {
  let s = 0;
  for (const l of ls) s += (LS_PRIOR.shape - 1) * Math.log(l) - LS_PRIOR.rate * l;
  return s;
}

function matern52(r: number): number {
  const s = Math.sqrt(5) * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

function dist(a: readonly number[], b: readonly number[], ls: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = (a[k] - b[k]) / ls[k];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Correlation matrix R(A, B) (no noise). */
function corr(A: readonly (readonly number[])[], B: readonly (readonly number[])[], ls: readonly number[]): Matrix {
  const m = new Matrix(A.length, B.length);
  for (let i = 0; i < A.length; i++) for (let j = 0; j < B.length; j++) m.set(i, j, matern52(dist(A[i], B[j], ls)));
  return m;
}

interface Factor {
  chol: CholeskyDecomposition;
  alpha: Matrix; // (R + ηI)⁻¹ y
  logDet: number;
}

function factor(X: readonly (readonly number[])[], y: Matrix, ls: readonly number[], noise: number): Factor | null {
  const n = X.length;
  const K = corr(X, X, ls);
  for (let jitter = noise; jitter < 1; jitter *= 10) {
    const Kj = K.clone();
    for (let i = 0; i < n; i++) Kj.set(i, i, 1 + jitter);
    const chol = new CholeskyDecomposition(Kj);
    if (!chol.isPositiveDefinite()) continue;
    const L = chol.lowerTriangularMatrix;
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += 2 * Math.log(L.get(i, i));
    return { chol, alpha: chol.solve(y), logDet };
  }
  return null;
}

export interface GpPrediction {
  mean: Float64Array;
  sd: Float64Array;
}

export interface Gp {
  lengthScales: number[];
  noise: number;
  logLikelihood: number;
  /** Posterior mean and standard deviation of the latent function, in the data's units. */
  predict(X: readonly (readonly number[])[]): GpPrediction;
  /** The same kernel and hyper-parameters with one more (x, y) observation (kriging believer). */
  withObservation(x: readonly number[], y: number): Gp;
}

function lengthScaleGrid(d: number): number[][] {
  if (d === 1) return LENGTH_SCALES.map((l) => [l]);
  if (d === 2) return LENGTH_SCALES_2D.flatMap((a) => LENGTH_SCALES_2D.map((b) => [a, b]));
  return LENGTH_SCALES.map((l) => Array(d).fill(l));
}

function build(X: number[][], yRaw: number[], ls: number[], noise: number): Gp | null {
  const n = X.length;
  const mu = yRaw.reduce((a, b) => a + b, 0) / n;
  let sd = Math.sqrt(yRaw.reduce((a, b) => a + (b - mu) * (b - mu), 0) / n);
  if (!(sd > 1e-12)) sd = 1;
  const y = Matrix.columnVector(yRaw.map((v) => (v - mu) / sd));
  const f = factor(X, y, ls, noise);
  if (!f) return null;
  let quad = 0;
  for (let i = 0; i < n; i++) quad += y.get(i, 0) * f.alpha.get(i, 0);
  const sigma2 = Math.max(quad / n, 1e-12);
  const logLikelihood = -0.5 * n * Math.log(sigma2) - 0.5 * f.logDet + logPrior(ls);
  return {
    lengthScales: ls,
    noise,
    logLikelihood,
    predict(P) {
      const m = P.length;
      const mean = new Float64Array(m);
      const sdOut = new Float64Array(m);
      if (m === 0) return { mean, sd: sdOut };
      const Ks = corr(X, P, ls); // n × m
      const V = f.chol.solve(Ks); // (R + ηI)⁻¹ Ks
      for (let j = 0; j < m; j++) {
        let mj = 0;
        let q = 0;
        for (let i = 0; i < n; i++) {
          const k = Ks.get(i, j);
          mj += k * f.alpha.get(i, 0);
          q += k * V.get(i, j);
        }
        mean[j] = mu + sd * mj;
        sdOut[j] = sd * Math.sqrt(Math.max(sigma2 * (1 - q), 0));
      }
      return { mean, sd: sdOut };
    },
    withObservation(x, yv) {
      return build([...X, [...x]], [...yRaw, yv], ls, noise) ?? this;
    },
  };
}

/** Fits the GP to (X, y): hyper-parameters by maximum marginal likelihood over a grid. */
export function fitGp(X: readonly (readonly number[])[], y: readonly number[]): Gp {
  if (X.length === 0) throw new Error('fitGp: no observations');
  const Xc = X.map((x) => [...x]);
  const yc = [...y];
  let best: Gp | null = null;
  for (const ls of lengthScaleGrid(Xc[0].length)) {
    for (const noise of NOISES) {
      const g = build(Xc, yc, ls, noise);
      if (g && (!best || g.logLikelihood > best.logLikelihood)) best = g;
    }
  }
  if (!best) throw new Error('fitGp: the kernel matrix is not positive definite');
  return best;
}

/** Expected improvement below `best` (minimization), with exploration margin ξ. */
export function expectedImprovement(mean: number, sd: number, best: number, xi = 0): number {
  const d = best - mean - xi;
  if (!(sd > 1e-12)) return Math.max(d, 0);
  const z = d / sd;
  return d * normCdf(z) + sd * normPdf(z);
}
