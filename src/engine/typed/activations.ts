/**
 * The typed net's activations and their gradients, as tfjs's cpu kernels compute
 * them, float32 constants and NaN/Infinity included.
 */
import type { Activation } from '../meta.ts';
import { LEAKY_ALPHA } from '../model.ts';
import { noRound, type Arr, type Round } from './layout.ts';
import { tanhInto32 } from './tanh32.ts';

/** tfjs's SELU constants (backend_util.SELU_SCALE, SELU_SCALEALPHA). */
export const SELU_SCALE = 1.0507009873554805;
export const SELU_SCALEALPHA = 1.7580993408473768;

const LEAKY_ALPHA32 = Math.fround(LEAKY_ALPHA);
const SELU_SCALE32 = Math.fround(SELU_SCALE);
const SELU_SCALEALPHA32 = Math.fround(SELU_SCALEALPHA);

/** y = act(a) elementwise, as tfjs's cpu kernels compute it (`a` and `y` may be the same array). */
export function activate(act: Activation, a: Arr, y: Arr, n: number): void {
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = Math.max(0, a[i]);
      return;
    case 'leaky_relu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        y[i] = v < 0 ? LEAKY_ALPHA * v : v;
      }
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) y[i] = Math.min(Math.max(0, a[i]), 6);
      return;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        y[i] = v >= 0 ? v : Math.exp(v) - 1;
      }
      return;
    case 'selu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        y[i] = v >= 0 ? SELU_SCALE * v : SELU_SCALEALPHA * (Math.exp(v) - 1);
      }
      return;
    case 'tanh':
      // float32 storage: the same values as Math.tanh, in less time (tanh32.ts)
      if (y instanceof Float32Array) tanhInto32(a, y, n);
      else for (let i = 0; i < n; i++) y[i] = Math.tanh(a[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-a[i]));
      return;
    case 'linear':
      if (y !== a) for (let i = 0; i < n; i++) y[i] = a[i];
      return;
  }
}

/** da = ∂L/∂a from dh = ∂L/∂y: tfjs's gradient of each activation, its float32 constants and NaN/Infinity included. */
export function activationGrad(act: Activation, dh: Arr, a: Arr, y: Arr, da: Arr, n: number, r: Round): void {
  const f64 = r === noRound;
  switch (act) {
    case 'relu':
      // dy·step(x): step is 1 for x > 0, 0 for x ≤ 0, NaN for NaN (and 0·Infinity is NaN)
      for (let i = 0; i < n; i++) {
        const v = a[i];
        da[i] = dh[i] * (v > 0 ? 1 : v <= 0 ? 0 : NaN);
      }
      return;
    case 'leaky_relu': {
      const alpha = f64 ? LEAKY_ALPHA : LEAKY_ALPHA32;
      for (let i = 0; i < n; i++) da[i] = a[i] > 0 ? dh[i] : dh[i] * alpha;
      return;
    }
    case 'relu6':
      // dy·(x ≤ 6)·step(x)
      for (let i = 0; i < n; i++) {
        const v = a[i];
        da[i] = dh[i] * (v > 0 ? (v <= 6 ? 1 : 0) : v <= 0 ? 0 : NaN);
      }
      return;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        da[i] = v >= 0 ? dh[i] : dh[i] * (v + 1);
      }
      return;
    case 'selu': {
      const scale = f64 ? SELU_SCALE : SELU_SCALE32;
      const sa = f64 ? SELU_SCALEALPHA : SELU_SCALEALPHA32;
      for (let i = 0; i < n; i++) {
        const v = a[i];
        da[i] = v > 0 ? dh[i] * scale : r(dh[i] * sa) * r(Math.exp(v));
      }
      return;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        da[i] = r(1 - r(v * v)) * dh[i];
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        da[i] = dh[i] * r(v * r(1 - v));
      }
      return;
    case 'linear':
      for (let i = 0; i < n; i++) da[i] = dh[i];
      return;
  }
}
