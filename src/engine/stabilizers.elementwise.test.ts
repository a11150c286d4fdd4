/**
 * Gradient clipping rules (contract section 1, "Exact meanings"), checked element by
 * element against the rules computed here in float64 from the same inputs:
 *   value        clamp to [−τ, τ]
 *   agc          per unit: ‖G_u‖/max(‖W_u‖, 1e-3) ≤ λ     (Brock et al. 2021)
 * and the trainer's records: norms consistent with each other and `clipped` status.
 * The norm-based modes (global_norm, layer_norm, adaptive) are in stabilizers.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { createAdaptiveState, disposeAdaptiveState, type AdaptiveState } from './stabilizers.ts';
import { makeRng } from './rng.ts';
import type { StepRecord } from './records.ts';
import { SEEDS, SHAPES, clipCfg, close, layerSqOf, randomSet, records, runClip, unitNorms, unitOf } from './stabilizers.fixtures.ts';

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
  test('value: every element in [−τ, τ], elements inside unchanged', () => {
    let inside = 0;
    let outside = 0;
    for (const seed of SEEDS) {
      const set = randomSet(makeRng(`value${seed}`), false);
      const all = set.grads.flatMap((g) => Array.from(g, Math.abs)).sort((a, b) => a - b);
      const tau = all[Math.floor(all.length * 0.8)] * 1.0001;
      const r = runClip(set, clipCfg('value', tau), adaptive);
      r.grads.forEach((g, i) =>
        g.forEach((v, k) => {
          const x = set.grads[i][k];
          if (Math.abs(x) <= tau) {
            inside++;
            expect(v).toBe(x);
          } else {
            outside++;
            expect(v).toBe(Math.fround(Math.sign(x) * tau));
          }
        }),
      );
      expect(r.changed).toBe(true);
      r.layerSq.forEach((s, l) => expectClose(s, layerSqOf(r.grads)[l], `layerSq ${l}`, 1e-5));
      // τ above every element: nothing changes
      const big = runClip(set, clipCfg('value', all[all.length - 1] * 1.01), adaptive);
      expect(big.changed).toBe(false);
      big.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(set.grads[i])));
    }
    expect(inside).toBeGreaterThan(outside);
    expect(outside).toBeGreaterThan(0);
  });

  test('agc: every unit ratio ‖G_u‖/max(‖W_u‖, 1e-3) ≤ λ; units below the bound unchanged', () => {
    let clippedUnits = 0;
    let keptUnits = 0;
    let floorUsed = 0;
    for (const seed of SEEDS) {
      for (const lambda of [0.01, 0.1, 1]) {
        const set = randomSet(makeRng(`agc${seed}`), seed % 2 === 0); // even seeds: a zero bias weight → the 1e-3 floor
        const r = runClip(set, clipCfg('agc', lambda), adaptive);
        let anyClipped = false;
        SHAPES.forEach((shape, i) => {
          const gPre = unitNorms(set.grads[i], shape);
          const wN = unitNorms(set.weights[i], shape).map((w) => Math.max(w, 1e-3));
          const gPost = unitNorms(r.grads[i], shape);
          gPre.forEach((gn, u) => {
            if (wN[u] === 1e-3) floorUsed++;
            const bound = lambda * wN[u];
            expect(gPost[u] / wN[u]).toBeLessThanOrEqual(lambda * (1 + 1e-5));
            if (gn <= bound * (1 - 1e-5)) {
              keptUnits++;
              for (let k = 0; k < r.grads[i].length; k++) if (unitOf(k, shape) === u) expect(r.grads[i][k]).toBe(set.grads[i][k]);
            } else if (gn > bound * (1 + 1e-5)) {
              clippedUnits++;
              anyClipped = true;
              expectClose(gPost[u], bound, `var ${i} unit ${u}`, 1e-5);
              // direction kept: every element scaled by bound/‖G_u‖
              for (let k = 0; k < r.grads[i].length; k++) {
                if (unitOf(k, shape) === u) expectClose(r.grads[i][k], (set.grads[i][k] * bound) / gn, `var ${i}[${k}]`, 1e-5);
              }
            }
          });
        });
        expect(r.changed).toBe(anyClipped);
        r.layerSq.forEach((s, l) => expectClose(s, layerSqOf(r.grads)[l], `layerSq ${l}`, 1e-5));
      }
    }
    expect(clippedUnits).toBeGreaterThan(20);
    expect(keptUnits).toBeGreaterThan(20);
    expect(floorUsed).toBeGreaterThan(0);
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

  for (const mode of ['value', 'agc'] as const) {
    test(`${mode}: clipped exactly when some norm went down`, async () => {
      // value: clamp at a small value; agc: λ around the typical gradient/weight ratio
      const tau = mode === 'value' ? 0.05 : 0.02;
      const rs = await records({ clip: { mode, threshold: tau } });
      checkConsistent(rs);
      const statuses = new Set<string>();
      rs.forEach((r, i) => {
        expect(r.gradNorm).toBeCloseTo(reference[i].gradNorm, 6);
        const changed = r.layers.some((l) => l.gradNormClipped < l.gradNorm * (1 - 1e-6));
        expect(r.status, `step ${i}`).toBe(changed ? 'clipped' : 'ok');
        statuses.add(r.status);
        r.layers.forEach((l) => expect(l.gradNormClipped).toBeLessThanOrEqual(l.gradNorm * (1 + 1e-6)));
      });
      expect(statuses.has('clipped')).toBe(true);
    });
  }
});
