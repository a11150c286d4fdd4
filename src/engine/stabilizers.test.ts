/**
 * Gradient clipping rules (contract section 1, "Exact meanings"), checked element by
 * element against the rules computed here in float64 from the same inputs:
 *   global_norm  g·min(1, τ/(‖g‖+1e-6))                 (PyTorch clip_grad_norm_)
 *   layer_norm   the same per layer                       (Keras clipnorm)
 *   adaptive     no clipping during warm-up, then clip the global norm to exp(μ + z·σ)
 * and the trainer's records: norms consistent with each other and `clipped` status.
 * value and agc (per element, per unit) are in stabilizers.elementwise.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { createAdaptiveState, disposeAdaptiveState, type AdaptiveState } from './stabilizers.ts';
import { makeRng } from './rng.ts';
import type { StepRecord } from './records.ts';
import { N_LAYERS, SEEDS, STEPS, VAR_LAYER, clipCfg, close, layerSqOf, randomSet, records, runClip, sq } from './stabilizers.fixtures.ts';

beforeAll(async () => {
  await setNodeBackend('wasm');
});

function expectClose(a: number, b: number, what: string, rel = 2e-5): void {
  expect(close(a, b, rel), `${what}: ${a} vs ${b}`).toBe(true);
}

let adaptive: AdaptiveState;
beforeAll(() => {
  adaptive = createAdaptiveState();
});
afterAll(() => disposeAdaptiveState(adaptive));

describe('clipGradients on random gradient sets', () => {
  test('none: gradients unchanged', () => {
    for (const seed of SEEDS) {
      const set = randomSet(makeRng(`none${seed}`), false);
      const r = runClip(set, clipCfg('none', 1), adaptive);
      r.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(set.grads[i])));
      expect(r.changed).toBe(false);
    }
  });

  test('global_norm: one common factor min(1, τ/(‖g‖+1e-6)); post-norm = min(pre, τ)', () => {
    let clipped = 0;
    for (const seed of SEEDS) {
      for (const frac of [0.1, 0.5, 0.9, 1.5, 10]) {
        const set = randomSet(makeRng(`global${seed}`), false);
        const pre = Math.sqrt(sq(set.grads.flatMap((g) => Array.from(g))));
        const tau = frac * pre;
        const r = runClip(set, clipCfg('global_norm', tau), adaptive);
        const factor = Math.min(1, tau / (pre + 1e-6));
        r.grads.forEach((g, i) => g.forEach((v, k) => expectClose(v, set.grads[i][k] * factor, `var ${i}[${k}]`)));
        const post = Math.sqrt(layerSqOf(r.grads).reduce((a, b) => a + b, 0));
        // post = min(pre, τ) up to the 1e-6 epsilon (relative τ·1e-6/pre) and float32 rounding
        expect(Math.abs(post - Math.min(pre, tau)) / Math.min(pre, tau)).toBeLessThan(1e-5);
        expect(post).toBeLessThanOrEqual(tau * (1 + 1e-6));
        expect(r.changed).toBe(frac < 1);
        r.layerSq.forEach((s, l) => expectClose(s, layerSqOf(r.grads)[l], `layerSq ${l}`, 1e-5));
        if (frac < 1) clipped++;
      }
    }
    expect(clipped).toBe(SEEDS.length * 3);
  });

  test('layer_norm: each layer ≤ τ, layers already ≤ τ unchanged', () => {
    let clippedLayers = 0;
    let keptLayers = 0;
    for (const seed of SEEDS) {
      const set = randomSet(makeRng(`layer${seed}`), false);
      const pre = layerSqOf(set.grads).map(Math.sqrt);
      // τ between the smallest and largest layer norm (away from any of them)
      const sorted = [...pre].sort((a, b) => a - b);
      const tau = Math.sqrt(sorted[0] * sorted[1]);
      const r = runClip(set, clipCfg('layer_norm', tau), adaptive);
      const post = layerSqOf(r.grads).map(Math.sqrt);
      for (let l = 0; l < N_LAYERS; l++) {
        const factor = Math.min(1, tau / (pre[l] + 1e-6));
        expect(post[l]).toBeLessThanOrEqual(tau * (1 + 1e-5));
        if (pre[l] <= tau) {
          keptLayers++;
          expect(post[l]).toBe(Math.sqrt(layerSqOf(set.grads)[l])); // bit-identical values
        } else {
          clippedLayers++;
          expectClose(post[l], tau, `layer ${l} post-norm`, 1e-5);
        }
        r.grads.forEach((g, i) => {
          if (VAR_LAYER[i] === l) g.forEach((v, k) => expectClose(v, set.grads[i][k] * factor, `var ${i}[${k}]`));
        });
      }
      expect(r.changed).toBe(pre.some((p) => p > tau));
      r.layerSq.forEach((s, l) => expectClose(s, post[l] ** 2, `layerSq ${l}`, 1e-5));
    }
    expect(clippedLayers).toBeGreaterThan(0);
    expect(keptLayers).toBeGreaterThan(0);
  });

  test('adaptive: no clipping during warm-up, then clipping to exp(μ + z·σ) of the fed history', () => {
    const warmup = 8;
    const z = 2;
    const state = createAdaptiveState();
    const rng = makeRng('adaptive');
    const base = randomSet(makeRng('adaptive-base'), false);
    const baseNorm = Math.sqrt(sq(base.grads.flatMap((g) => Array.from(g))));
    // Reference statistics of ln‖g‖, recomputed here in float64 from the fed history:
    // EMA with α = max(1/(n+1), 0.05) (so plain mean/variance while n < 20).
    const fed: number[] = [];
    let mu = 0;
    let nu = 0;
    let clippedAfterWarmup = 0;
    let spikesInWarmup = 0;
    let firstClip = -1;
    try {
      for (let step = 0; step < 60; step++) {
        // log-normal norms around 1 with occasional ×30 spikes: one inside the warm-up and
        // one on the first step after it (n = warmup), where the rule is already active
        let target = Math.exp(0.2 * rng.normal());
        if (step === 3 || step === warmup || step % 11 === 10) target *= 30;
        const f = target / baseNorm;
        const set = { grads: base.grads.map((g) => g.map((x) => Math.fround(x * f))), weights: base.weights };
        const pre = Math.sqrt(sq(set.grads.flatMap((g) => Array.from(g))));
        const n = fed.length;
        const sigma = Math.sqrt(Math.max(0, nu - mu * mu));
        const bound = Math.exp(mu + z * sigma);
        // cross-check the EMA against the plain mean/std while α = 1/(n+1)
        if (n > 0 && n < 20) {
          const m = fed.reduce((a, b) => a + b, 0) / n;
          const sd = Math.sqrt(fed.reduce((a, b) => a + (b - m) ** 2, 0) / n);
          expect(mu).toBeCloseTo(m, 10);
          expect(sigma).toBeCloseTo(sd, 8);
        }
        const active = n >= warmup;
        const trigger = active && pre > bound;
        const r = runClip(set, clipCfg('adaptive', 1, { z, warmup }), state);
        const post = Math.sqrt(layerSqOf(r.grads).reduce((a, b) => a + b, 0));
        expect(r.changed, `step ${step}`).toBe(trigger);
        if (trigger) {
          clippedAfterWarmup++;
          if (firstClip < 0) firstClip = step;
          expectClose(post, bound, `step ${step} post-norm`, 1e-4);
          r.grads.forEach((g, i) => g.forEach((v, k) => expectClose(v, (set.grads[i][k] * bound) / pre, `var ${i}`, 1e-4)));
        } else {
          if (!active && target > 10) spikesInWarmup++;
          r.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(set.grads[i])));
        }
        // the statistics are fed the clipped norm
        const x = Math.log(trigger ? bound : pre);
        fed.push(x);
        const alpha = Math.max(1 / (n + 1), 0.05);
        mu += alpha * (x - mu);
        nu += alpha * (x * x - nu);
      }
    } finally {
      disposeAdaptiveState(state);
    }
    expect(spikesInWarmup).toBe(1);
    expect(firstClip).toBe(warmup);
    expect(clippedAfterWarmup).toBeGreaterThanOrEqual(4);
  });
});

// ---------------------------------------------------------------------------
// The trainer's records. lr = 0 so every run sees the same gradients at the same
// step whatever the clip mode (the weights never move; batches follow the seed).

describe('trainer records', () => {
  let reference: StepRecord[];

  beforeAll(async () => {
    reference = await records({ clip: { mode: 'none' } });
  });

  function checkConsistent(rs: StepRecord[]): void {
    for (const r of rs) {
      const sumSq = r.layers.reduce((a, l) => a + l.gradNorm ** 2, 0);
      const sumSqC = r.layers.reduce((a, l) => a + l.gradNormClipped ** 2, 0);
      expectClose(r.gradNorm, Math.sqrt(sumSq), `step ${r.step} gradNorm`, 1e-5);
      expectClose(r.gradNormClipped, Math.sqrt(sumSqC), `step ${r.step} gradNormClipped`, 1e-5);
      expect(r.gradNormClipped).toBeLessThanOrEqual(r.gradNorm * (1 + 1e-6));
      expect(r.layers.map((l) => l.updateNorm)).toEqual(r.layers.map(() => 0)); // lr 0
    }
  }

  test('no clipping: status ok, clipped norms equal the norms, gradNorm = √Σ layer²', () => {
    checkConsistent(reference);
    for (const r of reference) {
      expect(r.status).toBe('ok');
      expect(r.gradNormClipped).toBe(r.gradNorm);
      r.layers.forEach((l) => expect(l.gradNormClipped).toBe(l.gradNorm));
    }
    // the batches differ, so the norms do
    expect(new Set(reference.map((r) => r.gradNorm)).size).toBe(STEPS);
  });

  test('global_norm: gradNormClipped = min(gradNorm, τ); clipped exactly when gradNorm > τ', async () => {
    const norms = reference.map((r) => r.gradNorm).sort((a, b) => a - b);
    const tau = (norms[STEPS / 2 - 1] + norms[STEPS / 2]) / 2; // the median: half the steps clip
    const rs = await records({ clip: { mode: 'global_norm', threshold: tau } });
    checkConsistent(rs);
    let n = 0;
    rs.forEach((r, i) => {
      expect(r.gradNorm).toBeCloseTo(reference[i].gradNorm, 6);
      const clip = r.gradNorm > tau;
      n += clip ? 1 : 0;
      expect(r.status).toBe(clip ? 'clipped' : 'ok');
      expectClose(r.gradNormClipped, Math.min(r.gradNorm, tau), `step ${i}`, 1e-5);
      const f = Math.min(1, tau / (r.gradNorm + 1e-6));
      r.layers.forEach((l) => expectClose(l.gradNormClipped, l.gradNorm * f, `step ${i} ${l.name}`, 1e-5));
    });
    expect(n).toBe(STEPS / 2);
  });

  test('layer_norm: every layer ≤ τ, unchanged layers equal; clipped exactly when a layer > τ', async () => {
    const all = reference.flatMap((r) => r.layers.map((l) => l.gradNorm)).sort((a, b) => a - b);
    const tau = all[Math.floor(all.length * 0.75)] * 1.00001;
    const rs = await records({ clip: { mode: 'layer_norm', threshold: tau } });
    checkConsistent(rs);
    const statuses = new Set<string>();
    rs.forEach((r) => {
      const clip = r.layers.some((l) => l.gradNorm > tau);
      expect(r.status).toBe(clip ? 'clipped' : 'ok');
      statuses.add(r.status);
      r.layers.forEach((l) => {
        if (l.gradNorm > tau) expectClose(l.gradNormClipped, tau, `${r.step} ${l.name}`, 1e-5);
        else expect(l.gradNormClipped).toBeCloseTo(l.gradNorm, 7);
      });
    });
    expect(statuses).toEqual(new Set(['ok', 'clipped']));
  });

  test('adaptive: records follow the rule computed from the recorded history', async () => {
    const warmup = 4;
    const z = 0.5; // small z: many steps clip
    const rs = await records({ clip: { mode: 'adaptive', z, warmup } }, 32);
    checkConsistent(rs);
    let mu = 0;
    let nu = 0;
    let clipped = 0;
    rs.forEach((r, n) => {
      const bound = Math.exp(mu + z * Math.sqrt(Math.max(0, nu - mu * mu)));
      const trigger = n >= warmup && r.gradNorm > bound;
      expect(r.status, `step ${n}`).toBe(trigger ? 'clipped' : 'ok');
      expectClose(r.gradNormClipped, trigger ? bound : r.gradNorm, `step ${n}`, 1e-4);
      clipped += trigger ? 1 : 0;
      const x = Math.log(r.gradNormClipped);
      const a = Math.max(1 / (n + 1), 0.05);
      mu += a * (x - mu);
      nu += a * (x * x - nu);
    });
    // both outcomes occur after the warm-up (4 of 32 steps clip here)
    expect(clipped).toBeGreaterThanOrEqual(2);
    expect(rs.length - warmup - clipped).toBeGreaterThanOrEqual(2);
  });
});
