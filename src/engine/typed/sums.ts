/**
 * The typed engine's telemetry sums: per-layer sums of squares of the gradients,
 * weights and ∂L/∂h, in float64, stored as float32 (as fused.ts does).
 */
import type { MlpNet } from './net.ts';

const f = Math.fround;

/**
 * Telemetry: per-layer Σ g², Σ W², Σ (∂L/∂h)², in float64, stored as float32, into
 * gSq, wSq and hSq, and Σ g², Σ W² over each layer's kernel alone into kgSq, kwSq;
 * returns the global gradient norm (float32).
 */
export function sumSquares(net: MlpNet, gSq: Float64Array, wSq: Float64Array, hSq: Float64Array, kgSq: Float64Array, kwSq: Float64Array): number {
  const layers = net.layers;
  const L = layers.length;
  const params = net.params;
  const grads = net.grads;
  const vars = net.vars;
  gSq.fill(0);
  wSq.fill(0);
  for (const v of vars) {
    let sg = 0;
    let sw = 0;
    for (let k = v.offset, end = v.offset + v.size; k < end; k++) {
      const g = grads[k];
      const w = params[k];
      sg += g * g;
      sw += w * w;
    }
    gSq[v.layer] += sg;
    wSq[v.layer] += sw;
    if (v.kind === 'kernel') {
      kgSq[v.layer] = f(sg);
      kwSq[v.layer] = f(sw);
    }
  }
  let gTotal = 0;
  for (let l = 0; l < L; l++) {
    const dh = layers[l].dh;
    let s = 0;
    for (let k = 0; k < dh.length; k++) s += dh[k] * dh[k];
    hSq[l] = f(s);
    gSq[l] = f(gSq[l]);
    wSq[l] = f(wSq[l]);
    gTotal += gSq[l];
  }
  const gNorm = f(Math.sqrt(f(gTotal)));
  return gNorm;
}

/** cSq = per-layer Σ g² of the (clipped) gradients, float64 sums stored as float32. */
export function sumClipped(net: MlpNet, cSq: Float64Array): void {
  const grads = net.grads;
  cSq.fill(0);
  for (const v of net.vars) {
    let s = 0;
    for (let k = v.offset, end = v.offset + v.size; k < end; k++) s += grads[k] * grads[k];
    cSq[v.layer] += s;
  }
  for (let l = 0; l < cSq.length; l++) cSq[l] = f(cSq[l]);
}
