/**
 * Divergence handling (contract: a step is `diverged` when the loss or the global
 * gradient norm is NaN/Inf; with skipNonFinite the update is not applied — weights and
 * optimizer state unchanged — and training goes on; the engine never throws for it).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import * as tf from './tf.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import type { BatchStream } from './data/datasets.ts';
import { recordToJson, type StepRecord } from './records.ts';
import type { AdaptiveState } from './stabilizers.ts';
import { Trainer } from './trainer.ts';

beforeAll(async () => {
  await setNodeBackend('wasm');
});

/** The trainer's private state, for inspection. */
interface Internals {
  slots: tf.Variable[][];
  iteration: tf.Variable;
  adaptive: AdaptiveState;
  batches: BatchStream;
}
const internals = (t: Trainer) => t as unknown as Internals;

/** Every piece of state a step may change: weights, optimizer slots, step count, adaptive-clip statistics. */
function state(t: Trainer): Float32Array[] {
  const i = internals(t);
  const vars: tf.Tensor[] = [...t.model.trainable, ...i.slots.flat(), i.iteration, i.adaptive.mu, i.adaptive.nu, i.adaptive.count];
  return vars.map((v) => Float32Array.from(v.dataSync()));
}

const isFiniteRecord = (r: StepRecord) => Number.isFinite(r.loss) && Number.isFinite(r.gradNorm);

// A deep ReLU net with gain 3 (activations ×√4.5 per layer) and a large learning rate.
const EXPLODING: RunConfigInput = {
  model: { hidden: Array(8).fill(32), init: 'normal', initGain: 3 },
  optimizer: { name: 'momentum', lr: 0.1, momentum: 0.9 },
  train: { batchSize: 32, evalEvery: 0 },
};

describe('a deep ReLU net with gain 3 and lr 0.1', () => {
  test('goes non-finite within a few steps; records say diverged; nothing throws', async () => {
    const tr = new Trainer(defaultRunConfig(EXPLODING));
    try {
      const rs = await tr.runSteps(10);
      const first = rs.findIndex((r) => r.status === 'diverged');
      expect(first).toBeGreaterThanOrEqual(1); // a finite step first (so the optimizer has state)
      expect(first).toBeLessThanOrEqual(5);
      for (const r of rs) {
        // diverged exactly when the loss or the global norm is not finite
        expect(r.status).toBe(isFiniteRecord(r) ? 'ok' : 'diverged');
        if (r.status === 'diverged') {
          for (const l of r.layers) expect(l.updateNorm).toBe(0); // skipped: nothing applied
          const json = recordToJson(r);
          expect(json).toMatch(/"(NaN|Infinity|-Infinity)"/);
          expect(() => JSON.parse(json)).not.toThrow();
        }
      }
      expect(rs.slice(first).every((r) => r.status === 'diverged')).toBe(true);
    } finally {
      tr.dispose();
    }
  });

  test('skipNonFinite: a diverged step leaves weights, optimizer slots, step count and clip statistics unchanged', async () => {
    // (Adam's steps are bounded by lr, so it does not blow up here; it is covered below.)
    for (const name of ['momentum', 'nesterov'] as const) {
      const tr = new Trainer(defaultRunConfig({ ...EXPLODING, optimizer: { ...EXPLODING.optimizer, name } }));
      try {
        let diverged = 0;
        let finite = 0;
        for (let s = 0; s < 8; s++) {
          const before = state(tr);
          const [r] = await tr.runSteps(1);
          const after = state(tr);
          if (r.status === 'diverged') {
            diverged++;
            after.forEach((a, i) => expect(Array.from(a), `${name} step ${s} state ${i}`).toEqual(Array.from(before[i])));
          } else {
            finite++;
            // a finite step did change the state (so the comparison above can fail)
            expect(after.some((a, i) => a.some((x, k) => x !== before[i][k]))).toBe(true);
          }
        }
        expect(diverged, name).toBeGreaterThan(0);
        expect(finite, name).toBeGreaterThan(0);
        // the slots are non-zero: there was optimizer state to protect
        expect(internals(tr).slots.flat().some((v) => v.dataSync().some((x) => x !== 0 && Number.isFinite(x)))).toBe(true);
        for (const w of await tr.snapshot()) expect(w.every(Number.isFinite)).toBe(true);
      } finally {
        tr.dispose();
      }
    }
  });

  test('global_norm clipping at 1: the same config stays finite for 100 steps', async () => {
    const tr = new Trainer(defaultRunConfig({ ...EXPLODING, stabilizers: { clip: { mode: 'global_norm', threshold: 1 } } }));
    try {
      const rs = await tr.runSteps(100);
      expect(rs.filter((r) => r.status === 'diverged')).toHaveLength(0);
      for (const r of rs) {
        expect(isFiniteRecord(r)).toBe(true);
        expect(r.gradNormClipped).toBeLessThanOrEqual(1 + 1e-5);
        expect(r.status).toBe(r.gradNorm > 1 ? 'clipped' : 'ok');
      }
      expect(rs.filter((r) => r.status === 'clipped').length).toBeGreaterThan(50);
      for (const w of await tr.snapshot()) expect(w.every(Number.isFinite)).toBe(true);
    } finally {
      tr.dispose();
    }
  });

  test('skipNonFinite false: NaN/Inf gets into the weights, records keep saying diverged, no throw', async () => {
    const tr = new Trainer(defaultRunConfig({ ...EXPLODING, stabilizers: { skipNonFinite: false } }));
    try {
      const rs = await tr.runSteps(8);
      const first = rs.findIndex((r) => r.status === 'diverged');
      expect(first).toBeGreaterThanOrEqual(1);
      expect(rs.slice(first).every((r) => r.status === 'diverged')).toBe(true);
      const w = (await tr.snapshot()).flatMap((a) => Array.from(a));
      expect(w.some((x) => !Number.isFinite(x))).toBe(true);
      // a further chunk still runs
      const more = await tr.runSteps(3);
      expect(more.map((r) => r.status)).toEqual(['diverged', 'diverged', 'diverged']);
    } finally {
      tr.dispose();
    }
  });
});

describe('after a skipped step, training goes on as if it never happened', () => {
  // Weights so large that the float32 gradient norm overflows for some batches and not
  // for others (it scales with the input's radius): divergence comes and goes by batch.
  const cfg = (name: 'momentum' | 'adam') =>
    defaultRunConfig({
      model: { hidden: Array(12).fill(32), init: 'normal', initGain: 50 },
      optimizer: { name, lr: name === 'adam' ? 1e-3 : 1e-22 },
      train: { batchSize: 2, evalEvery: 0 },
    });

  for (const name of ['momentum', 'adam'] as const) {
    test(`${name}: a twin that never sees the diverged batches ends in the same state`, async () => {
      const STEPS = 16;
      const a = new Trainer(cfg(name));
      const b = new Trainer(cfg(name));
      try {
        const ra = await a.runSteps(STEPS);
        const divergedSteps = ra.filter((r) => r.status === 'diverged').map((r) => r.step);
        // divergence must be transient: diverged steps followed by finite ones
        expect(divergedSteps.length).toBeGreaterThanOrEqual(3);
        expect(divergedSteps.some((s) => s + 1 < STEPS && ra[s + 1].status !== 'diverged')).toBe(true);
        expect(ra[0].status).not.toBe('diverged');
        // The twin draws the diverged steps' batches without training on them.
        const rb: StepRecord[] = [];
        for (let s = 0; s < STEPS; s++) {
          if (divergedSteps.includes(s)) {
            internals(b).batches.next(b.batchSize);
            b.step++;
          } else {
            rb.push(...(await b.runSteps(1)));
          }
        }
        const finiteA = ra.filter((r) => r.status !== 'diverged');
        expect(rb).toEqual(finiteA);
        const sa = state(a);
        const sb = state(b);
        // adaptive statistics are only fed finite steps: equal too
        sa.forEach((x, i) => expect(Array.from(x), `state ${i}`).toEqual(Array.from(sb[i])));
        // and the optimizer state is real (non-zero slots)
        expect(internals(a).slots.flat().some((v) => v.dataSync().some((x) => x !== 0))).toBe(true);
        // the step count used by the bias correction counts applied steps only
        expect(internals(a).iteration.dataSync()[0]).toBe(STEPS - divergedSteps.length);
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  }
});
