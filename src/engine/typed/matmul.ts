/**
 * The typed net's matrix products, as tfjs's cpu backend computes them: a dense
 * layer's forward product, the kernel's and the input's gradients, and the bias's
 * column sums.
 */
import type { Arr, Round } from './layout.ts';

/** The cpu backend's matrix-product block along the shared dimension (MathBackendCPU.blockSize). */
const BLOCK = 48;

/**
 * out[p·Q + q] = Σ_k A[p·K + k]·Bt[q·K + k] for p < P, q < Q: every row of A and of Bt
 * contiguous along k. Each sum runs over k in order, in float64, in blocks of 48
 * added one by one to the float32 result: the cpu backend's matrix product, so the
 * results are the same bit for bit. Two rows of A and four of Bt at a time (eight
 * independent sums, each still in order) keep the adds from waiting on each other.
 */
function gemmNT(A: Arr, P: number, Bt: Arr, Q: number, K: number, out: Arr, r: Round): void {
  let p = 0;
  for (; p + 1 < P; p += 2) {
    const a0 = p * K;
    const a1 = a0 + K;
    const o0 = p * Q;
    const o1 = o0 + Q;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      const b0 = q * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t00 = 0, t01 = 0, t02 = 0, t03 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k];
          const x1 = A[a1 + k];
          const w0 = Bt[b0 + k];
          const w1 = Bt[b1 + k];
          const w2 = Bt[b2 + k];
          const w3 = Bt[b3 + k];
          t00 += x0 * w0;
          t01 += x0 * w1;
          t02 += x0 * w2;
          t03 += x0 * w3;
          t10 += x1 * w0;
          t11 += x1 * w1;
          t12 += x1 * w2;
          t13 += x1 * w3;
        }
        s00 = r(s00 + t00);
        s01 = r(s01 + t01);
        s02 = r(s02 + t02);
        s03 = r(s03 + t03);
        s10 = r(s10 + t10);
        s11 = r(s11 + t11);
        s12 = r(s12 + t12);
        s13 = r(s13 + t13);
      }
      out[o0 + q] = s00;
      out[o0 + q + 1] = s01;
      out[o0 + q + 2] = s02;
      out[o0 + q + 3] = s03;
      out[o1 + q] = s10;
      out[o1 + q + 1] = s11;
      out[o1 + q + 2] = s12;
      out[o1 + q + 3] = s13;
    }
    for (; q < Q; q++) {
      const b0 = q * K;
      let s0 = 0;
      let s1 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0;
        let t1 = 0;
        for (let k = k0; k < k1; k++) {
          const w = Bt[b0 + k];
          t0 += A[a0 + k] * w;
          t1 += A[a1 + k] * w;
        }
        s0 = r(s0 + t0);
        s1 = r(s1 + t1);
      }
      out[o0 + q] = s0;
      out[o1 + q] = s1;
    }
  }
  for (; p < P; p++) {
    const a0 = p * K;
    const o0 = p * Q;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      const b0 = q * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k];
          t0 += x0 * Bt[b0 + k];
          t1 += x0 * Bt[b1 + k];
          t2 += x0 * Bt[b2 + k];
          t3 += x0 * Bt[b3 + k];
        }
        s0 = r(s0 + t0);
        s1 = r(s1 + t1);
        s2 = r(s2 + t2);
        s3 = r(s3 + t3);
      }
      out[o0 + q] = s0;
      out[o0 + q + 1] = s1;
      out[o0 + q + 2] = s2;
      out[o0 + q + 3] = s3;
    }
    for (; q < Q; q++) {
      const b0 = q * K;
      let s0 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0;
        for (let k = k0; k < k1; k++) t0 += A[a0 + k] * Bt[b0 + k];
        s0 = r(s0 + t0);
      }
      out[o0 + q] = s0;
    }
  }
}

/** outT[j·rows + i] = m[i·cols + j]. */
function transpose(m: Arr, rows: number, cols: number, outT: Arr): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) outT[j * rows + i] = m[o + j];
  }
}

/** out = x·K + bias over n examples: tfjs's add(matMul(x, K), bias). `kt` is scratch for Kᵀ. */
export function dense(x: Arr, n: number, fanIn: number, K: Arr, bias: Arr, units: number, out: Arr, kt: Arr, r: Round): void {
  transpose(K, fanIn, units, kt);
  gemmNT(x, n, kt, units, fanIn, out, r);
  for (let b = 0; b < n; b++) {
    const o = b * units;
    for (let j = 0; j < units; j++) out[o + j] = out[o + j] + bias[j];
  }
}

/** gK[i, j] = Σ_b x[b, i]·dz[b, j]: tfjs's matMul(x, dz, transposeA) (`xT`, `dzT` are scratch). */
export function kernelGrad(x: Arr, dz: Arr, B: number, fanIn: number, units: number, gK: Arr, xT: Arr, dzT: Arr, r: Round): void {
  transpose(x, B, fanIn, xT);
  transpose(dz, B, units, dzT);
  gemmNT(xT, fanIn, dzT, units, B, gK, r);
}

/** out[j] = Σ_b m[b, j] (in batch order, float64). */
export function columnSums(m: Arr, B: number, units: number, out: Arr, acc: Float64Array): void {
  for (let j = 0; j < units; j++) acc[j] = 0;
  for (let b = 0; b < B; b++) {
    const o = b * units;
    for (let j = 0; j < units; j++) acc[j] += m[o + j];
  }
  for (let j = 0; j < units; j++) out[j] = acc[j];
}

/**
 * dx[b, i] = Σ_j dz[b, j]·K[i, j] (tfjs's matMul(dz, K, transposeB)), then + skip[b, i]:
 * the residual path's gradient, which tfjs's tape adds to the product's.
 */
export function inputGrad(dz: Arr, K: Arr, B: number, fanIn: number, units: number, dx: Arr, skip: Arr | null, r: Round): void {
  gemmNT(dz, B, K, fanIn, units, dx, r);
  if (skip) for (let k = 0; k < B * fanIn; k++) dx[k] = skip[k] + dx[k];
}
