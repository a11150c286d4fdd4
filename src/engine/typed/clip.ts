/**
 * The typed engine's clip modes (stabilizers.ts): global norm, adaptive, per layer,
 * by value and AGC, on the gradients in place, with tfjs's float32 rounding.
 */
import type { RunConfig } from '../config.ts';
import { ADAPTIVE_MIN_ALPHA, AGC_EPS, CLIP_EPS } from '../stabilizers.ts';
import type { MlpNet } from './net.ts';
import { sumClipped } from './sums.ts';

const f = Math.fround;

/** Running statistics of the `adaptive` clip mode (float32 values, as the tfjs engine's variables). */
export interface AdaptiveStats {
  mu: number;
  nu: number;
  count: number;
}

/** What a clip mode reads and writes besides the gradients. */
export interface ClipBuffers {
  /** Per layer: Σ g² (read) and Σ g² after clipping (written), float32 values. */
  readonly gSq: Float64Array;
  readonly cSq: Float64Array;
  /** Per-layer clip factors (`layer_norm`). */
  readonly layerScale: Float64Array;
  /** AGC: per-unit sums of a variable's weights and gradients. */
  readonly unitW: Float64Array;
  readonly unitG: Float64Array;
  readonly adaptive: AdaptiveStats;
}

/**
 * Applies the clip mode to `net.grads` in place and fills cSq with the per-layer Σ g²
 * after clipping (float32 values). Returns whether the clip changed the gradient.
 * Feeds the adaptive rule's statistics on finite steps.
 */
export function clipGradients(clip: RunConfig['stabilizers']['clip'], net: MlpNet, b: ClipBuffers, gNorm: number, finite: boolean): boolean {
  const { mode, threshold, z, warmup } = clip;
  const grads = net.grads;
  const vars = net.vars;
  const L = net.nLayers;
  const { gSq, cSq } = b;
  const tau = f(threshold);
  const eps = f(CLIP_EPS);
  switch (mode) {
    case 'none':
      cSq.set(gSq);
      return false;
    case 'global_norm':
    case 'adaptive': {
      let s = 1;
      let fed = gNorm;
      if (mode === 'global_norm') {
        s = Math.min(1, f(tau / f(gNorm + eps)));
      } else {
        const st = b.adaptive;
        const sigma = f(Math.sqrt(Math.max(0, f(st.nu - f(st.mu * st.mu)))));
        const bound = f(Math.exp(f(st.mu + f(sigma * f(z)))));
        if (st.count >= warmup && gNorm > bound) {
          s = f(bound / f(gNorm + eps));
          fed = bound;
        }
        if (finite) {
          // The running statistics of ln‖g‖ (the clipped norm when clipped).
          const lx = f(Math.log(Math.max(fed, f(1e-30))));
          const alpha = Math.max(f(1 / f(st.count + 1)), f(ADAPTIVE_MIN_ALPHA));
          st.mu = f(st.mu + f(alpha * f(lx - st.mu)));
          st.nu = f(st.nu + f(alpha * f(f(lx * lx) - st.nu)));
          st.count = st.count + 1;
        }
      }
      if (s !== 1) for (let k = 0; k < grads.length; k++) grads[k] *= s;
      const s2 = f(s * s);
      for (let l = 0; l < L; l++) cSq[l] = f(gSq[l] * s2);
      return s < 1;
    }
    case 'layer_norm': {
      let changed = false;
      for (let l = 0; l < L; l++) {
        const s = Math.min(1, f(tau / f(f(Math.sqrt(gSq[l])) + eps)));
        b.layerScale[l] = s;
        cSq[l] = f(gSq[l] * f(s * s));
        if (s < 1) changed = true;
      }
      for (const v of vars) {
        const s = b.layerScale[v.layer];
        if (s !== 1) for (let k = v.offset, end = v.offset + v.size; k < end; k++) grads[k] *= s;
      }
      return changed;
    }
    case 'value': {
      let maxAbs = 0;
      for (let k = 0; k < grads.length; k++) {
        const g = grads[k];
        const a = Math.abs(g);
        if (a > maxAbs) maxAbs = a;
        grads[k] = g > tau ? tau : g < -tau ? -tau : g;
      }
      sumClipped(net, cSq);
      return maxAbs > tau;
    }
    case 'agc': {
      const params = net.params;
      const uw = b.unitW;
      const ug = b.unitG;
      const agcEps = f(AGC_EPS);
      let changed = false;
      for (const v of vars) {
        // units: the columns of a kernel; a whole vector otherwise
        const cols = v.kind === 'kernel' ? v.cols : 1;
        const rows = v.kind === 'kernel' ? v.rows : v.size;
        uw.fill(0, 0, cols);
        ug.fill(0, 0, cols);
        for (let r = 0; r < rows; r++) {
          const o = v.offset + r * cols;
          for (let c = 0; c < cols; c++) {
            const w = params[o + c];
            const g = grads[o + c];
            uw[c] += f(w * w);
            ug[c] += f(g * g);
          }
        }
        for (let c = 0; c < cols; c++) {
          const wn = Math.max(f(Math.sqrt(f(uw[c]))), agcEps);
          const gn = f(Math.sqrt(f(ug[c])));
          const maxNorm = f(wn * tau);
          if (gn > maxNorm) {
            changed = true;
            ug[c] = f(maxNorm / Math.max(gn, eps));
          } else ug[c] = 1;
        }
        for (let r = 0; r < rows; r++) {
          const o = v.offset + r * cols;
          for (let c = 0; c < cols; c++) grads[o + c] *= ug[c];
        }
      }
      sumClipped(net, cSq);
      return changed;
    }
  }
}
