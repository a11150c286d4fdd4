/**
 * Initializers with exact variances (PyTorch/Keras conventions, untruncated).
 * tfjs's own heNormal/glorotNormal draw a truncated normal without variance
 * correction (≈0.77 of nominal), so they are not used.
 *
 * gain g multiplies the standard deviation:
 *   he_normal      N(0, 2/fan_in)            he_uniform      U(±√3·σ), σ² = 2/fan_in
 *   glorot_normal  N(0, 2/(fan_in+fan_out))  glorot_uniform  U(±√3·σ), same variance
 *   lecun_normal   N(0, 1/fan_in)            normal          N(0, 1/fan_in)
 *   orthogonal     Q from the QR of a Gaussian matrix (signs fixed by diag R), times g
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import type { InitName } from './meta.ts';
import type { Rng } from './rng.ts';

/** Nominal standard deviation of an init (before gain); NaN for orthogonal. */
export function initStd(init: InitName, fanIn: number, fanOut: number): number {
  switch (init) {
    case 'he_normal':
    case 'he_uniform':
      return Math.sqrt(2 / fanIn);
    case 'glorot_normal':
    case 'glorot_uniform':
      return Math.sqrt(2 / (fanIn + fanOut));
    case 'lecun_normal':
    case 'normal':
      return Math.sqrt(1 / fanIn);
    case 'orthogonal':
      return NaN;
  }
}

/**
 * Values of a kernel seen as a rows × cols row-major matrix (a conv kernel
 * [kh, kw, in, out] has the same memory layout with rows = kh·kw·in, cols = out).
 * `fans` are the fans of the variance formulas; they default to rows and cols,
 * and a conv kernel passes fan_out = kh·kw·out (PyTorch/Keras).
 */
export function initKernel(
  init: InitName,
  rows: number,
  cols: number,
  gain: number,
  rng: Rng,
  fans: { fanIn: number; fanOut: number } = { fanIn: rows, fanOut: cols },
): Float32Array {
  const n = rows * cols;
  const out = new Float32Array(n);
  if (init === 'orthogonal') return orthogonal(rows, cols, gain, rng);
  const std = gain * initStd(init, fans.fanIn, fans.fanOut);
  if (init === 'he_uniform' || init === 'glorot_uniform') {
    const a = Math.sqrt(3) * std;
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-a, a);
  } else {
    for (let i = 0; i < n; i++) out[i] = std * rng.normal();
  }
  return out;
}

function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  // QR needs rows >= cols; otherwise orthogonalise the transpose.
  const tall = rows >= cols;
  const r = tall ? rows : cols;
  const c = tall ? cols : rows;
  const a = new Matrix(r, c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) a.set(i, j, rng.normal());
  const qr = new QrDecomposition(a);
  const q = qr.orthogonalMatrix; // r × c with orthonormal columns
  const R = qr.upperTriangularMatrix;
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < c; j++) {
    const s = R.get(j, j) < 0 ? -gain : gain;
    for (let i = 0; i < r; i++) {
      const v = q.get(i, j) * s;
      if (tall) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  }
  return out;
}
