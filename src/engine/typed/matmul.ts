/**
 * The typed net's matrix products, as tfjs's cpu backend computes them: a dense
 * layer's forward product, the kernel's and the input's gradients, and the bias's
 * column sums.
 */
import type { Arr, Round } from './layout.ts';

/** The cpu backend's matrix-product block along the shared dimension (MathBackendCPU.blockSize). */
const BLOCK = 48;

/**
 * out[p·Q + q] = Σ_k A(p, k)·B(q, k) for p < P, q < Q, k < K, where
 * A(p, k) = A[p·aRow + k·aK] and B(q, k) = Bm[q·bRow + k·bK]: strides let the
 * same loop read a matrix or its transpose in place (x·W, xᵀ·dz, dz·Wᵀ), with
 * no transposed copy. Each sum runs over k in order, in float64, in blocks of 48
 * added one by one to the float32 result: the cpu backend's matrix product, so
 * the results are the same bit for bit. Two values of p and four of q at a time
 * (eight independent sums, each still in order) keep the adds from waiting on
 * each other.
 */
function gemm(A: Arr, aRow: number, aK: number, P: number, Bm: Arr, bRow: number, bK: number, Q: number, K: number, out: Arr, r: Round): void {
  const b2 = 2 * bRow;
  const b3 = 3 * bRow;
  let p = 0;
  for (; p + 1 < P; p += 2) {
    const o0 = p * Q;
    const o1 = o0 + Q;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      if (K <= BLOCK) {
        // One block (every layer of a small net): the sums, then one rounding each (0 + t, as below).
        let t00 = 0, t01 = 0, t02 = 0, t03 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0;
        let ia = p * aRow;
        let ib = q * bRow;
        for (let k = 0; k < K; k++, ia += aK, ib += bK) {
          const x0 = A[ia];
          const x1 = A[ia + aRow];
          const w0 = Bm[ib];
          const w1 = Bm[ib + bRow];
          const w2 = Bm[ib + b2];
          const w3 = Bm[ib + b3];
          t00 += x0 * w0;
          t01 += x0 * w1;
          t02 += x0 * w2;
          t03 += x0 * w3;
          t10 += x1 * w0;
          t11 += x1 * w1;
          t12 += x1 * w2;
          t13 += x1 * w3;
        }
        out[o0 + q] = r(0 + t00);
        out[o0 + q + 1] = r(0 + t01);
        out[o0 + q + 2] = r(0 + t02);
        out[o0 + q + 3] = r(0 + t03);
        out[o1 + q] = r(0 + t10);
        out[o1 + q + 1] = r(0 + t11);
        out[o1 + q + 2] = r(0 + t12);
        out[o1 + q + 3] = r(0 + t13);
        continue;
      }
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t00 = 0, t01 = 0, t02 = 0, t03 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0;
        let ia = p * aRow + k0 * aK;
        let ib = q * bRow + k0 * bK;
        for (let k = k0; k < k1; k++, ia += aK, ib += bK) {
          const x0 = A[ia];
          const x1 = A[ia + aRow];
          const w0 = Bm[ib];
          const w1 = Bm[ib + bRow];
          const w2 = Bm[ib + b2];
          const w3 = Bm[ib + b3];
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
      let s0 = 0;
      let s1 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0;
        let t1 = 0;
        let ia = p * aRow + k0 * aK;
        let ib = q * bRow + k0 * bK;
        for (let k = k0; k < k1; k++, ia += aK, ib += bK) {
          const w = Bm[ib];
          t0 += A[ia] * w;
          t1 += A[ia + aRow] * w;
        }
        s0 = r(s0 + t0);
        s1 = r(s1 + t1);
      }
      out[o0 + q] = s0;
      out[o1 + q] = s1;
    }
  }
  for (; p < P; p++) {
    const o0 = p * Q;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        let ia = p * aRow + k0 * aK;
        let ib = q * bRow + k0 * bK;
        for (let k = k0; k < k1; k++, ia += aK, ib += bK) {
          const x0 = A[ia];
          t0 += x0 * Bm[ib];
          t1 += x0 * Bm[ib + bRow];
          t2 += x0 * Bm[ib + b2];
          t3 += x0 * Bm[ib + b3];
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
      let s0 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0;
        let ia = p * aRow + k0 * aK;
        let ib = q * bRow + k0 * bK;
        for (let k = k0; k < k1; k++, ia += aK, ib += bK) t0 += A[ia] * Bm[ib];
        s0 = r(s0 + t0);
      }
      out[o0 + q] = s0;
    }
  }
}

/** out = x·K + bias over n examples: tfjs's add(matMul(x, K), bias). */
export function dense(x: Arr, n: number, fanIn: number, K: Arr, bias: Arr, units: number, out: Arr, r: Round): void {
  // A(p, k) = x[p·fanIn + k], B(q, k) = K[k·units + q]
  gemm(x, fanIn, 1, n, K, 1, units, units, fanIn, out, r);
  for (let b = 0; b < n; b++) {
    const o = b * units;
    for (let j = 0; j < units; j++) out[o + j] = out[o + j] + bias[j];
  }
}

/** gK[i, j] = Σ_b x[b, i]·dz[b, j]: tfjs's matMul(x, dz, transposeA). */
export function kernelGrad(x: Arr, dz: Arr, B: number, fanIn: number, units: number, gK: Arr, r: Round): void {
  // A(i, b) = x[b·fanIn + i], B(j, b) = dz[b·units + j]
  gemm(x, 1, fanIn, fanIn, dz, 1, units, units, B, gK, r);
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
  // A(b, j) = dz[b·units + j], B(i, j) = K[i·units + j]
  gemm(dz, units, 1, B, K, units, 1, fanIn, units, dx, r);
  if (skip) for (let k = 0; k < B * fanIn; k++) dx[k] = skip[k] + dx[k];
}
