/**
 * The network view's per-unit snapshot against numbers derived another way:
 *  - Σ_j signal_j² · B = ‖∂L/∂h‖² (the step row's actGradNorm) when the fixed
 *    batch is the whole training set (every batch holds the same examples);
 *  - each unit's ∂L/∂h by central finite differences of the loss in float64;
 *  - Σ_f ‖W_f‖² of a conv layer's filters = the row's ‖kernel‖²;
 *  - the tfjs engine and the typed engine give the same snapshot,
 * for classifications (cross-entropy) and regressions (mean squared error).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import { layerValue } from './rows.ts';
import { Trainer } from './trainer.ts';
import { TypedTrainer } from './typed/trainer.ts';
import { MlpNet } from './typed/net.ts';
import { crossEntropyRows } from './typed/loss.ts';
import { MAX_DRAWN, PLANE_N, UpdateTracker, representativeUnits } from './unitSnapshot.ts';
import type { RunTrainer } from './runTrainer.ts';
import * as tf from './tf.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

/** nTrain = batch = 32: every step's batch is the whole training set. */
const fullBatch = (extra: RunConfigInput = {}) =>
  defaultRunConfig({
    data: { name: 'spiral', samples: 64, testFraction: 0.5, noise: 0.1 },
    model: { hidden: [8, 6, 5], activation: 'relu' },
    optimizer: { name: 'sgd', lr: 0.05 },
    train: { batchSize: 32, steps: 100 },
    ...extra,
  });

describe('representativeUnits', () => {
  test('every unit of a narrow layer, 16 evenly spread of a wide one with both ends', () => {
    expect(representativeUnits(5)).toEqual([0, 1, 2, 3, 4]);
    const r = representativeUnits(100);
    expect(r).toHaveLength(MAX_DRAWN);
    expect(r[0]).toBe(0);
    expect(r.at(-1)).toBe(99);
    for (let i = 1; i < r.length; i++) expect(r[i]).toBeGreaterThan(r[i - 1]);
    expect(representativeUnits(17)).toHaveLength(16);
  });
});

describe('UpdateTracker', () => {
  test('the change since the previous snapshot per step; zeros at first and the same at the same step', () => {
    const t = new UpdateTracker();
    expect([...t.update('a', 0, Float32Array.of(1, 2))]).toEqual([0, 0]);
    expect([...t.update('a', 4, Float32Array.of(3, 0))]).toEqual([0.5, -0.5]);
    expect(t.steps).toBe(4);
    expect([...t.update('a', 4, Float32Array.of(3, 0))]).toEqual([0.5, -0.5]);
  });
});

/** Σ_j signal² · B against the row's actGradNorm² of the step at the same weights. */
async function checkSignalSum(t: RunTrainer) {
  for (let s = 0; s < 3; s++) {
    const snap = await t.unitSnapshot();
    expect(snap.step).toBe(t.step);
    const row = await t.runStepsPacked(1);
    snap.layers.forEach((l, li) => {
      expect(l.drawn.length).toBe(l.units); // every unit is drawn: the sum is over the whole layer
      const sum = l.signal.reduce((a, v) => a + v * v, 0) * snap.batch;
      const act = layerValue(row, li, 'actGradNorm');
      expect(Math.sqrt(sum)).toBeGreaterThan(0);
      expect(Math.abs(Math.sqrt(sum) - act) / act).toBeLessThan(1e-4);
    });
  }
}

describe('per-unit signal', () => {
  // a regression: plane, 64 samples, half of them for training
  const REGRESSION: RunConfigInput = { data: { name: 'plane', samples: 64, testFraction: 0.5 } };
  test.each([
    ['a classification', {}],
    ['a regression', REGRESSION],
  ] as const)('typed engine, %s: Σ_j signal_j² · B = actGradNorm² of the step', async (_what, extra) => {
    await checkSignalSum(new TypedTrainer(fullBatch(extra)));
  });

  test.each([
    ['a classification', {}],
    ['a regression', REGRESSION],
  ] as const)('tfjs engine, %s: Σ_j signal_j² · B = actGradNorm² of the step', async (_what, extra) => {
    const t = new Trainer(fullBatch(extra));
    await checkSignalSum(t);
    t.dispose();
  });

  test('each unit’s RMS of ∂L/∂h matches central finite differences of the loss (float64)', async () => {
    const cfg = fullBatch({ model: { hidden: [6, 5], activation: 'tanh' } });
    const t = new TypedTrainer(cfg);
    await t.runStepsPacked(3);
    const snap = await t.unitSnapshot();
    const B = snap.batch;
    const d = t.data;
    const net = new MlpNet(t.net.spec, B, { float64: true });
    net.params.set(t.net.params);
    net.x.set(d.xTrain.subarray(0, B * d.inputSize));
    const labels = d.yTrain.subarray(0, B);
    const ce = new Float64Array(2);
    const loss = (from: number) => {
      net.forwardTrain(from);
      crossEntropyRows(net.logits, labels, 0, B, d.nClasses, null, (x) => x, ce);
      return ce[0];
    };
    loss(0);
    const eps = 1e-6;
    for (let l = 0; l < net.layers.length - 1; l++) {
      const layer = net.layers[l];
      const U = layer.units;
      for (let j = 0; j < U; j++) {
        let s = 0;
        for (let b = 0; b < B; b++) {
          const k = b * U + j;
          const h0 = layer.h[k];
          layer.h[k] = h0 + eps;
          const up = loss(l + 1);
          layer.h[k] = h0 - eps;
          const down = loss(l + 1);
          layer.h[k] = h0;
          s += ((up - down) / (2 * eps)) ** 2;
        }
        loss(0);
        const fd = Math.sqrt(s / B);
        expect(snap.layers[l].signal[j]).toBeCloseTo(fd, 5);
        expect(Math.abs(snap.layers[l].signal[j] - fd) / fd).toBeLessThan(1e-3);
      }
    }
  });

  test('the snapshot does not change training (same rows with and without it)', async () => {
    const a = new TypedTrainer(fullBatch());
    const b = new TypedTrainer(fullBatch());
    const ra: Float32Array[] = [];
    const rb: Float32Array[] = [];
    for (let i = 0; i < 5; i++) {
      await a.unitSnapshot();
      ra.push(await a.runStepsPacked(2));
      rb.push(await b.runStepsPacked(2));
    }
    expect(ra).toEqual(rb);
  });

  test('a dead ReLU unit is marked dead, a live one is not', async () => {
    const t = new TypedTrainer(fullBatch());
    // Unit 2 of the first layer: a large negative bias, so its output is 0 for every example.
    t.net.layers[0].bias[2] = -100;
    const snap = await t.unitSnapshot();
    expect(snap.layers[0].dead[2]).toBe(1);
    expect(snap.layers[0].dead.reduce((a, v) => a + v, 0)).toBeLessThan(snap.layers[0].units);
  });
});

describe('the two engines agree', () => {
  test.each([
    ['a classification', {}],
    ['a regression (plane)', { data: { name: 'plane' } }],
  ] as const)('%s: signals, edges, updates and unit outputs over the plane', async (_what, extra: RunConfigInput) => {
    const cfg = defaultRunConfig({ model: { hidden: [20, 8], activation: 'relu' }, optimizer: { name: 'sgd', lr: 0.1 }, ...extra });
    const a = new TypedTrainer(cfg);
    const b = new Trainer(cfg);
    for (let round = 0; round < 2; round++) {
      const [sa, sb] = [await a.unitSnapshot(), await b.unitSnapshot()];
      expect(sa.step).toBe(sb.step);
      expect(sa.updateSteps).toBe(sb.updateSteps);
      expect(sa.input.drawn).toEqual([0, 1]);
      expect(sa.layers[0].drawn).toEqual(representativeUnits(20));
      sa.layers.forEach((la, li) => {
        const lb = sb.layers[li];
        expect(la.drawn).toEqual(lb.drawn);
        const close = (x: ArrayLike<number> | null, y: ArrayLike<number> | null) => {
          expect(x && y).toBeTruthy();
          for (let i = 0; i < x!.length; i++) expect(x![i]).toBeCloseTo(y![i], 5);
        };
        close(la.signal, lb.signal);
        close(la.weight, lb.weight);
        close(la.grad, lb.grad);
        close(la.update, lb.update);
        expect([...la.dead]).toEqual([...lb.dead]);
        if (!la.plane) expect(li).toBe(sa.layers.length - 1);
        else {
          expect(la.plane.length).toBe(la.drawn.length * PLANE_N * PLANE_N);
          close(la.plane, lb.plane);
        }
      });
      await a.runStepsPacked(4);
      await b.runStepsPacked(4);
    }
    const last = await a.unitSnapshot();
    expect(last.updateSteps).toBe(4);
    expect(last.layers[0].update!.some((v) => v !== 0)).toBe(true);
    b.dispose();
  });
});

describe('a CNN', () => {
  test('per-filter norms: Σ_f ‖W_f‖² = ‖kernel‖² of the row; the head’s edges join filters to classes', async () => {
    const cfg = defaultRunConfig({ data: { name: 'shapes', samples: 64 }, model: { arch: 'cnn', hidden: [4, 6] }, train: { batchSize: 8 } });
    const t = new Trainer(cfg);
    const first = await t.unitSnapshot();
    const row = await t.runStepsPacked(1);
    const snap = await t.unitSnapshot();
    expect(snap.input.image).toBe(true);
    expect(snap.updateSteps).toBe(1);
    first.layers.forEach((l, li) => {
      if (l.kind !== 'conv') return;
      const sum = l.filterW!.reduce((a, v) => a + v * v, 0);
      expect(Math.sqrt(sum)).toBeCloseTo(layerValue(row, li, 'kernelWeightNorm'), 4);
      expect(l.filterG!.length).toBe(l.units);
      expect(l.signal.length).toBe(l.units);
    });
    // No tensor outlives a snapshot but the previous kernels it keeps for ΔW.
    const before = tf.memory().numTensors;
    await t.unitSnapshot();
    await t.runStepsPacked(1);
    await t.unitSnapshot();
    expect(tf.memory().numTensors).toBe(before);
    const conv2 = snap.layers[1];
    expect(conv2.filterU!.some((v) => v > 0)).toBe(true);
    const head = snap.layers[2];
    expect(head.kind).toBe('dense');
    expect(head.weight!.length).toBe(6 * head.drawn.length);
    t.dispose();
  });
});
