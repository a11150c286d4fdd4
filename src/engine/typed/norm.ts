/**
 * The typed net's normalization (batch norm and layer norm), forward and backward,
 * as tfjs computes it op by op.
 */
import { NORM_EPSILON } from '../model.ts';
import { noRound, type Arr, type NetLayer, type Round } from './layout.ts';

export const NORM_EPS32 = Math.fround(NORM_EPSILON);

/**
 * tfjs's moments and normalization: μ = Σ(z/N), c = z − μ, σ² = Σ(c²/N), sd = √(σ² + ε),
 * x̂ = c/sd, over the batch per unit (bn) or over the units per example.
 * `centered` and `xhat` may be `z` itself (inference).
 */
export function normForward(z: Arr, B: number, U: number, bn: boolean, mean: Arr | Float64Array, vr: Arr | Float64Array, sd: Arr | Float64Array, centered: Arr, xhat: Arr, acc: Float64Array, r: Round): void {
  const N = bn ? B : U;
  const nStat = bn ? U : B;
  for (let s = 0; s < nStat; s++) acc[s] = 0;
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) acc[bn ? j : b] += r(z[o + j] / N);
  }
  for (let s = 0; s < nStat; s++) {
    mean[s] = r(acc[s]);
    acc[s] = 0;
  }
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) {
      const s = bn ? j : b;
      const c = r(z[o + j] - mean[s]);
      centered[o + j] = c;
      acc[s] += r(r(c * c) / N);
    }
  }
  for (let s = 0; s < nStat; s++) {
    vr[s] = r(acc[s]);
    sd[s] = r(Math.sqrt(r(vr[s] + (r === noRound ? NORM_EPSILON : NORM_EPS32))));
  }
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) xhat[o + j] = r(centered[o + j] / sd[bn ? j : b]);
  }
}

/** a = x̂·γ + β (two float32 ops in tfjs). */
export function scaleShift(xhat: Arr, B: number, U: number, gamma: Arr, beta: Arr, a: Arr, r: Round): void {
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) a[o + j] = r(xhat[o + j] * gamma[j]) + beta[j];
  }
}

/**
 * The gradient through a = γ·(z − μ)/√(σ² + ε) + β with the batch's (or example's)
 * μ and σ², as tfjs's tape computes it: the gradients of add, mul, div, sqrt, sub,
 * square and mean (moments), accumulated in reverse tape order:
 *   ∂z = ((∂c₂ + ∂c₁) + ∂μ/N),  ∂μ = −Σ∂c₂ − Σ∂c₁,  with c₂ = c₁ = z − μ,
 *   ∂c₂ = ∂x̂/sd,  ∂c₁ = (∂σ²/N)·2c₁,  ∂σ² = ∂sd/(2·sd),  ∂sd = −Σ(∂x̂·c₂)/sd²,  ∂x̂ = da·γ.
 */
export function normBackward(layer: NetLayer, B: number, bn: boolean, s1: Float64Array, s2: Float64Array, s3: Float64Array, r: Round): void {
  const U = layer.units;
  const da = layer.da;
  const dz = layer.dz;
  const xhat = layer.xhat!;
  const c = layer.centered!;
  const gamma = layer.gamma!;
  const sd = layer.statSd!;
  const gG = layer.gGamma!;
  const gB = layer.gBeta!;
  // ∂β = Σ_b da, ∂γ = Σ_b da·x̂ (sums over the batch, in batch order)
  const sb = s1;
  const sg = s2;
  for (let j = 0; j < U; j++) {
    sb[j] = 0;
    sg[j] = 0;
  }
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) {
      sb[j] += da[o + j];
      sg[j] += r(da[o + j] * xhat[o + j]);
    }
  }
  for (let j = 0; j < U; j++) {
    gB[j] = sb[j];
    gG[j] = sg[j];
  }
  // Per statistic (unit for batch norm, example for layer norm): the reductions.
  const N = bn ? B : U;
  const nStat = bn ? U : B;
  const sum1 = s1; // Σ ∂x̂·c₂, then ∂σ²
  const sum2 = s2; // Σ ∂c₂, then Σ ∂c₁
  for (let s = 0; s < nStat; s++) {
    sum1[s] = 0;
    sum2[s] = 0;
  }
  // ∂c₂ = (da·γ)/sd into dz for now; Σ(∂x̂·c₂) and Σ ∂c₂ per statistic
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) {
      const s = bn ? j : b;
      const dx = r(da[o + j] * gamma[j]);
      const dc2 = r(dx / sd[s]);
      dz[o + j] = dc2;
      sum1[s] += r(dx * c[o + j]);
      sum2[s] += dc2;
    }
  }
  const dMean = s3;
  for (let s = 0; s < nStat; s++) {
    const dsd = -r(r(sum1[s]) / r(sd[s] * sd[s]));
    sum1[s] = r(dsd / r(sd[s] * 2)); // ∂σ²
    dMean[s] = -r(sum2[s]); // −Σ ∂c₂
    sum2[s] = 0;
  }
  // ∂c₁ = (∂σ²/N)·2c₁; dz ← ∂c₂ + ∂c₁
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) {
      const s = bn ? j : b;
      const dc1 = r(r(sum1[s] / N) * r(c[o + j] * 2));
      sum2[s] += dc1;
      dz[o + j] = r(dz[o + j] + dc1);
    }
  }
  for (let s = 0; s < nStat; s++) dMean[s] = r(r(dMean[s] + -r(sum2[s])) / N);
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) dz[o + j] = r(dz[o + j] + dMean[bn ? j : b]);
  }
}
