/**
 * The whole-net predictions of theory.ts (layerTheory, predictedProfile,
 * netSpecOf) against the per-layer factors, a run's first batch as the trainer
 * draws it, and a direct backward pass through residual ReLU layers. No tfjs
 * ops: these are fast.
 */
import { describe, expect, test } from 'vitest';
import { defaultRunConfig } from './config.ts';
import { BatchStream, makeDataset } from './data/datasets.ts';
import { initKernel } from './init.ts';
import { makeRng } from './rng.ts';
import {
  chi1,
  firstBatch,
  fixedPoint,
  layerTheory,
  logSlope,
  netSpecOf,
  outputGradSquare,
  predictedActGradNorms,
  predictedProfile,
  type NetSpec,
} from './theory.ts';

describe('a whole MLP', () => {
  const base: NetSpec = { inputSize: 2, hidden: [32, 32, 32, 32], outputSize: 2, activation: 'relu', init: 'normal', initGain: 2, inputMeanSquare: 0.3 };

  test('ReLU, init normal, gain 2: every hidden layer doubles ‖∂L/∂h‖², the output layer multiplies it by g²', () => {
    const th = layerTheory(base);
    expect(th.map((t) => t.factor)).toEqual([2, 2, 2, 2, 4]);
    const pred = predictedActGradNorms(base, 0.1);
    expect(pred[4]).toBe(0.1);
    expect(pred[3]).toBeCloseTo(0.1 * 2, 12);
    for (let l = 0; l < 3; l++) expect(pred[l] / pred[l + 1]).toBeCloseTo(Math.SQRT2, 12);
    expect(logSlope(pred.slice(0, 4))).toBeCloseTo(-0.5 * Math.log(2), 12);
    // forward: q doubles per layer too (ReLU halves, σ_w² = 4 doubles)
    expect(th[2].q / th[1].q).toBeCloseTo(2, 12);
  });

  test('Glorot brings the width ratio in; residual layers add the identity path', () => {
    const th = layerTheory({ ...base, init: 'glorot_normal', initGain: 1, hidden: [32, 64, 64] });
    expect(th[1].sw2).toBeCloseTo((2 * 32) / 96, 12);
    expect(th[1].factor).toBeCloseTo(32 / 96, 12);
    const res = layerTheory({ ...base, init: 'he_normal', initGain: 1, residual: true });
    expect(res[0].residual).toBe(false); // 2 → 32: widths differ
    expect(res.slice(1, 4).map((t) => t.residual)).toEqual([true, true, true]);
    expect(res[1].factor).toBeCloseTo(2, 12); // 1 + χ with χ = 1
  });

  test('tanh at g = 3 approaches χ₁ deep in the net', () => {
    const th = layerTheory({ ...base, activation: 'tanh', initGain: 3, hidden: Array(30).fill(64) });
    const c = chi1('tanh', 9);
    expect(Math.abs(th[29].factor - c)).toBeLessThan(1e-6);
    expect(Math.abs(th[29].q - fixedPoint('tanh', 9))).toBeLessThan(1e-6);
  });
});

describe('the line per example, combined over the batch', () => {
  const tanh: NetSpec = { inputSize: 2, hidden: [64, 64, 64, 64], outputSize: 2, activation: 'tanh', init: 'normal', initGain: 3, inputMeanSquare: 0.2 };
  const batchOf = (ms: number[], mean = ms.map(() => 0)) => ({ meanSquare: Float64Array.from(ms), mean: Float64Array.from(mean) });

  test('a batch of identical examples gives the single-q line', () => {
    const one = predictedProfile(tanh, 0.3);
    const same = predictedProfile({ ...tanh, batch: batchOf([0.2, 0.2, 0.2]) }, 0.3);
    same.actGradNorm.forEach((v, l) => expect(v / one.actGradNorm[l]).toBeCloseTo(1, 7));
    same.factor.forEach((v, l) => expect(v / one.factor[l]).toBeCloseTo(1, 7));
    expect(one.factor).toEqual(layerTheory(tanh).map((t) => t.factor));
    expect(predictedActGradNorms(tanh, 0.3)).toEqual(one.actGradNorm);
  });

  test('each example carries its own share through its own factors; the layer’s prediction is the norm over the batch', () => {
    const ms = [0.001, 0.5];
    const squares = [1, 3]; // measured ‖∂L/∂logits^(i)‖², any common scale
    const prof = predictedProfile({ ...tanh, batch: batchOf(ms) }, 2, squares);
    const f = ms.map((m) => layerTheory({ ...tanh, inputMeanSquare: m }).map((t) => t.factor));
    const L = tanh.hidden.length + 1;
    // ‖∂L/∂h_l‖² = Σ_i 4·share_i·Π_{k>l} f_i[k]
    const sq = (l: number) => [0, 1].reduce((a, i) => a + 4 * (squares[i] / 4) * f[i].slice(l).reduce((p, v) => p * v, 1), 0);
    for (let l = 0; l < L; l++) expect(prof.actGradNorm[l] / Math.sqrt(sq(l + 1))).toBeCloseTo(1, 6);
    for (let l = 0; l < L; l++) expect(prof.factor[l] / (sq(l) / sq(l + 1))).toBeCloseTo(1, 6);
    expect(prof.actGradNorm[L - 1]).toBe(2);
    expect(prof.factor[L - 1]).toBeCloseTo(9, 12); // the output layer: σ_w²
    // the small-‖x‖ example is still in tanh's linear part: the combined factor toward the input is above either example's typical χ
    expect(prof.factor[1]).toBeGreaterThan(layerTheory(tanh)[1].factor);
  });

  test('without measured squares the anchor is split in the shares the theory expects', () => {
    const spec = { ...tanh, batch: batchOf([0.001, 0.05, 0.5]) };
    const qOut = [0.001, 0.05, 0.5].map((m) => layerTheory({ ...tanh, inputMeanSquare: m }).at(-1)!.q);
    const expected = predictedProfile(spec, 1.5, qOut.map((q) => outputGradSquare(2, q)));
    // (the per-example recursions read tanh's moments from their table: equal to ~1e-8)
    const byTheory = predictedProfile(spec, 1.5).actGradNorm;
    byTheory.forEach((v, l) => expect(v / expected.actGradNorm[l]).toBeCloseTo(1, 7));
    // measured squares that cannot be used (wrong length, all zero) fall back to the same
    expect(predictedProfile(spec, 1.5, [1, 2]).actGradNorm).toEqual(byTheory);
    expect(predictedProfile(spec, 1.5, [0, 0, 0]).actGradNorm).toEqual(byTheory);
  });

  test('ReLU: χ does not depend on q, so any batch gives exactly χ per layer', () => {
    const relu: NetSpec = { ...tanh, activation: 'relu', initGain: 2, batch: batchOf([1e-4, 0.3, 2, 7]) };
    const prof = predictedProfile(relu, 0.1);
    for (let l = 1; l < 4; l++) expect(prof.actGradNorm[l - 1] / prof.actGradNorm[l]).toBeCloseTo(Math.SQRT2, 12);
  });
});

describe('a run’s first batch', () => {
  test('netSpecOf takes step 0’s examples as the trainer draws them', () => {
    const cfg = defaultRunConfig({ seed: 7, data: { name: 'moons', samples: 300 }, model: { hidden: [16, 8] }, train: { batchSize: 50 } });
    const spec = netSpecOf(cfg)!;
    const data = makeDataset(cfg);
    const idx = new BatchStream(data.nTrain, 7).next(50);
    expect(firstBatch(cfg).idx).toEqual(idx);
    expect(spec.batch!.meanSquare).toHaveLength(50);
    for (const i of [0, 17, 49]) {
      const [a, b] = [data.xTrain[2 * idx[i]], data.xTrain[2 * idx[i] + 1]];
      expect(spec.batch!.meanSquare[i]).toBeCloseTo((a * a + b * b) / 2, 12);
      expect(spec.batch!.mean[i]).toBeCloseTo((a + b) / 2, 12);
    }
    expect(spec.inputMeanSquare).toBeCloseTo(spec.batch!.meanSquare.reduce((a, b) => a + b, 0) / 50, 12);
    expect([spec.inputSize, spec.outputSize, spec.hidden]).toEqual([2, 2, [16, 8]]);
    // the batch is capped at the training set, as in the trainer
    expect(netSpecOf({ ...cfg, train: { ...cfg.train, batchSize: 4096 } })!.batch!.meanSquare).toHaveLength(data.nTrain);
    // the same network and batch: the same object (the per-example factors are cached on it)
    expect(netSpecOf({ ...cfg, optimizer: { ...cfg.optimizer, lr: 0.5 } })).toBe(spec);
    expect(netSpecOf({ ...cfg, seed: 8 })).not.toBe(spec);
  });

  test('images: 256 inputs, 3 classes; no line for CNNs and normalized nets', () => {
    const img = netSpecOf(defaultRunConfig({ data: { name: 'shapes', samples: 64 }, model: { hidden: [32] }, train: { batchSize: 16 } }))!;
    expect([img.inputSize, img.outputSize]).toEqual([256, 3]);
    expect(predictedProfile(img, 1).actGradNorm.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(netSpecOf(defaultRunConfig({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [4] } }))).toBeNull();
    expect(netSpecOf(defaultRunConfig({ model: { norm: 'layer' } }))).toBeNull();
  });
});

describe('residual ReLU: where the measurement leaves the line', () => {
  /**
   * Mean field takes the weights of the backward pass as independent of the
   * forward ones; then a residual ReLU layer (He) multiplies ‖∂L/∂h‖² by exactly
   * 1 + χ = 2. A real backward pass uses the transposed forward weights. The
   * residual stream is a sum of ReLU outputs, all positive, so it has a large
   * common component, and a unit's mask is set mostly by the sum of its
   * weights; the back-propagated signal then picks up a component along that
   * common direction which the next layer down amplifies more than χ, and the
   * skip and branch terms stop being orthogonal. It starts at 1/width at the
   * output and grows toward the input: a finite-width effect that depth compounds.
   * Here, 16 × 128 on the spiral's inputs, from random output-side vectors.
   */
  test('with independent backward weights the factor is 1 + χ = 2; with the forward ones it is larger', () => {
    const n = 128;
    const depth = 16;
    const data = makeDataset(defaultRunConfig({}));
    const B = 32;
    const perLayer = (sameWeights: boolean, seed: number) => {
      const rng = makeRng(`residual-backward-${seed}`);
      const Ws = [initKernel('he_normal', 2, n, 1, rng), ...Array.from({ length: depth - 1 }, () => initKernel('he_normal', n, n, 1, rng))];
      const masks: Uint8Array[] = []; // [B·n] per residual layer
      let h = Float64Array.from({ length: B * n }, (_, k) => {
        const [i, j] = [Math.floor(k / n), k % n];
        return Math.max(0, data.xTrain[2 * i] * Ws[0][j] + data.xTrain[2 * i + 1] * Ws[0][n + j]);
      });
      for (let l = 1; l < depth; l++) {
        const W = Ws[l];
        const mask = new Uint8Array(B * n);
        const next = Float64Array.from(h);
        for (let i = 0; i < B; i++) {
          for (let j = 0; j < n; j++) {
            let z = 0;
            for (let k = 0; k < n; k++) z += h[i * n + k] * W[k * n + j];
            if (z > 0) {
              mask[i * n + j] = 1;
              next[i * n + j] += z;
            }
          }
        }
        masks.push(mask);
        h = next;
      }
      let u = Float64Array.from({ length: B * n }, () => rng.normal());
      const norm2 = (v: Float64Array) => v.reduce((a, x) => a + x * x, 0);
      const top = norm2(u);
      for (let l = depth - 1; l >= 1; l--) {
        const W = sameWeights ? Ws[l] : initKernel('he_normal', n, n, 1, rng);
        const mask = masks[l - 1];
        const next = Float64Array.from(u);
        for (let i = 0; i < B; i++) {
          for (let k = 0; k < n; k++) {
            let s = 0;
            for (let j = 0; j < n; j++) if (mask[i * n + j]) s += W[k * n + j] * u[i * n + j];
            next[i * n + k] += s;
          }
        }
        u = next;
      }
      return (norm2(u) / top) ** (1 / (depth - 1));
    };
    const mean = (same: boolean) => [1, 2, 3].reduce((a, s) => a + perLayer(same, s), 0) / 3;
    const independent = mean(false);
    const same = mean(true);
    console.info(`[theory] residual ReLU 16 × 128, factor per layer: independent backward weights ${independent.toFixed(3)}, the forward weights ${same.toFixed(3)} (mean field: 2)`);
    expect(Math.abs(independent - 2)).toBeLessThan(0.06);
    expect(same).toBeGreaterThan(2.1);
  });
});
