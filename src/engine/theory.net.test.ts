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
  theoryNote,
  THEORY_NOTES,
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

describe('residual ReLU: the part of ∂L/∂h along the stream, derived and checked on float64 nets', () => {
  /**
   * A net of 2 → n (ReLU) then 15 residual ReLU layers of n (He, σ_w² = 2), a
   * linear output of 2 classes, zero biases; every example's ∂L/∂logits fixed
   * at δ = (1, −1), so ∂L/∂h_16 = W_out·δ, e = δ·logits = logit₀ − logit₁.
   *
   * Euler: the net from h_l to the logits is positively homogeneous, so
   * ∂L/∂h_l · h_l = δ·logits = e at every layer: the part along the stream,
   * γ_l = e/‖h_l‖, is known exactly, and γ_{l-1}² = γ_l²·‖h_l‖²/‖h_{l-1}‖².
   *
   * One layer, by hand: a_j = w_j·ĥ (row j of W on the input's direction), so
   * z_j = ‖h‖a_j, the mask D_j = [a_j > 0], h_l = ‖h‖(ĥ + a⁺), and the rest of
   * W (orthogonal to ĥ) is independent of D and of g = ∂L/∂h_l. Averaging it:
   *   E‖g + Wᵀ D g‖² = ‖g‖² + (a⁺·g)² + 2(ĥ·g)(a⁺·g) + σ_w²·‖D g‖².
   * At large width a⁺ has ‖a⁺‖² = A = σ_w²/2 = 1 and ĥ·a⁺ = c = E[a⁺]·Σ_j ĥ_j =
   * √(ρ/π) (ρ = μ²/m of the stream's units), so ‖h_l‖²/‖h‖² = N² = 1 + 2c + A.
   * With g = γ ĥ_l + g⊥ and g⊥ isotropic (mean field for what is not along the
   * stream), g⊥² grows by 1 + χ = 2, and γ² adds
   *   β = 1 + [(c + A)² + 2(1 + c)(c + A) + 2(½ + 2c + A)] / N²   (≈ 4.6, not 2),
   * N²·γ² of it along the new stream. ρ follows the forward recursion of mean
   * field: μ_l = μ + √(m/π), m_l = 2m + 2μ√(m/π), from ρ = 1/π after the first
   * layer (a ReLU of a Gaussian), toward 0.64.
   */
  const DEPTH = 16;
  const data = makeDataset(defaultRunConfig({}));
  const B = 16;
  const xs = Array.from({ length: B }, (_, i) => [data.xTrain[2 * i], data.xTrain[2 * i + 1]]);

  /** The closed-form stream terms of residual layers 2 … 16 (index l − 2): c and A = 1, N², β. */
  const streamTerms = (() => {
    let mu = 1 / Math.sqrt(2 * Math.PI); // the first layer's ReLU of N(0, q), per √q
    let m = 0.5;
    const out: { N2: number; beta: number }[] = [];
    for (let l = 2; l <= DEPTH; l++) {
      const c = Math.sqrt(mu * mu / m / Math.PI);
      const A = 1;
      const N2 = 1 + 2 * c + A;
      out.push({ N2, beta: 1 + ((c + A) ** 2 + 2 * (1 + c) * (c + A) + 2 * (0.5 + 2 * c + A)) / N2 });
      [mu, m] = [mu + Math.sqrt(m / Math.PI), 2 * m + 2 * mu * Math.sqrt(m / Math.PI)];
    }
    return out;
  })();

  /** Per layer (h_1 … h_16), Σ over the examples: measured ‖∂L/∂h‖², the stream model, mean field; and e per example. */
  function run(n: number, seed: number) {
    const rng = makeRng(`stream-${n}-${seed}`);
    const gauss = (len: number, sd: number) => Float64Array.from({ length: len }, () => sd * rng.normal());
    const W1 = gauss(2 * n, 1); // He: 2/fan_in = 1
    const Ws = Array.from({ length: DEPTH - 1 }, () => gauss(n * n, Math.sqrt(2 / n))); // [in × out]
    const Wo = gauss(2 * n, Math.sqrt(2 / n));
    const measured = new Float64Array(DEPTH);
    const model = new Float64Array(DEPTH);
    const meanField = new Float64Array(DEPTH);
    const es: number[] = [];
    let eulerWorst = 0;
    for (const x of xs) {
      const hs: Float64Array[] = [Float64Array.from({ length: n }, (_, j) => Math.max(0, x[0] * W1[j] + x[1] * W1[n + j]))];
      const masks: Uint8Array[] = [];
      for (const W of Ws) {
        const h = hs.at(-1)!;
        const next = Float64Array.from(h);
        const mask = new Uint8Array(n);
        for (let j = 0; j < n; j++) {
          let z = 0;
          for (let k = 0; k < n; k++) z += h[k] * W[k * n + j];
          if (z > 0) [mask[j], next[j]] = [1, next[j] + z];
        }
        masks.push(mask);
        hs.push(next);
      }
      const top = hs.at(-1)!;
      let e = 0;
      for (let k = 0; k < n; k++) e += top[k] * (Wo[2 * k] - Wo[2 * k + 1]);
      es.push(e);
      let g = Float64Array.from({ length: n }, (_, k) => Wo[2 * k] - Wo[2 * k + 1]);
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, k) => s + v * b[k], 0);
      const G = dot(g, g);
      let along = (e * e) / dot(top, top);
      let rest = G - along;
      let mf = G;
      measured[DEPTH - 1] += G;
      model[DEPTH - 1] += G;
      meanField[DEPTH - 1] += G;
      for (let l = DEPTH - 1; l >= 1; l--) {
        const W = Ws[l - 1];
        const mask = masks[l - 1];
        const next = Float64Array.from(g);
        for (let k = 0; k < n; k++) {
          let s = 0;
          for (let j = 0; j < n; j++) if (mask[j]) s += W[k * n + j] * g[j];
          next[k] += s;
        }
        g = next;
        eulerWorst = Math.max(eulerWorst, Math.abs(dot(g, hs[l - 1]) - e) / Math.abs(e));
        measured[l - 1] += dot(g, g);
        const { N2, beta } = streamTerms[l - 1];
        rest = 2 * rest + (beta - N2) * along;
        along *= N2;
        model[l - 1] += rest + along;
        meanField[l - 1] += mf *= 2;
      }
    }
    return { measured, model, meanField, es, eulerWorst };
  }

  test('∂L/∂h·h = ∂L/∂logits·logits at every layer; the stream model holds at widths 128 and 512, and theory.ts’s line is it', () => {
    const gaps: Record<number, { model: number[]; meanField: number[]; line: number[] }> = {};
    for (const [n, seeds] of [
      [128, 8],
      [512, 3],
    ] as const) {
      const sum = { measured: new Float64Array(DEPTH), model: new Float64Array(DEPTH), meanField: new Float64Array(DEPTH), line: new Float64Array(DEPTH) };
      const spec: NetSpec = {
        inputSize: 2,
        hidden: Array(DEPTH).fill(n),
        outputSize: 2,
        activation: 'relu',
        init: 'he_normal',
        initGain: 1,
        residual: true,
        inputMeanSquare: 0,
        batch: batchInputsOf(xs),
      };
      for (let seed = 1; seed <= seeds; seed++) {
        const r = run(n, seed);
        expect(r.eulerWorst).toBeLessThan(1e-9);
        // theory.ts, anchored as gradscope theory anchors it: ‖δ‖² = 2 per example, e² per example
        const line = predictedProfile(spec, Math.sqrt(2 * B), Array(B).fill(2), r.es.map((e) => e * e)).actGradNorm;
        for (let l = 0; l < DEPTH; l++) {
          sum.measured[l] += r.measured[l];
          sum.model[l] += r.model[l];
          sum.meanField[l] += r.meanField[l];
          sum.line[l] += line[l] ** 2;
        }
      }
      const ratio = (k: 'model' | 'meanField' | 'line') => Array.from(sum[k], (v, l) => Math.sqrt(v / sum.measured[l]));
      gaps[n] = { model: ratio('model'), meanField: ratio('meanField'), line: ratio('line') };
      console.info(
        `[theory] residual relu float64, n = ${n}, ${seeds} seeds, predicted/measured per layer (h_1 … h_16): stream model ${gaps[n].model.map((v) => v.toFixed(2)).join(' ')}; ` +
          `theory.ts ${gaps[n].line.map((v) => v.toFixed(2)).join(' ')}; mean field ${gaps[n].meanField.map((v) => v.toFixed(2)).join(' ')}`,
      );
      for (const k of ['model', 'line'] as const) gaps[n][k].forEach((v, l) => expect(Math.abs(v - 1), `${k}, n = ${n}, layer ${l + 1}`).toBeLessThan(0.15));
    }
    // mean field alone misses by far more at width 128 than at 512: a finite-width effect that depth compounds
    expect(gaps[128].meanField[0]).toBeLessThan(0.75);
    expect(gaps[512].meanField[0]).toBeGreaterThan(gaps[128].meanField[0] + 0.1);
    // theory.ts's stream terms are these closed forms (the forward recursion's c and A, any input)
    const th = layerTheory({ inputSize: 2, hidden: Array(DEPTH).fill(128), outputSize: 2, activation: 'relu', init: 'he_normal', initGain: 1, residual: true, inputMeanSquare: 0.37 });
    expect(th[0].stream).toBeUndefined(); // 2 → 128: not residual
    th.slice(1, DEPTH).forEach((t, i) => {
      expect(t.factor).toBeCloseTo(2, 12); // the part orthogonal to the stream: 1 + χ
      expect(t.stream!.growth).toBeCloseTo(streamTerms[i].N2, 9);
      expect(t.stream!.total).toBeCloseTo(streamTerms[i].beta, 9);
    });
    // and the predicted factor per layer near the input is well above 1 + χ = 2
    expect(streamTerms[0].beta).toBeGreaterThan(4);
    expect(streamTerms.at(-1)!.N2).toBeGreaterThan(2.8);
  });
});

function batchInputsOf(xs: number[][]) {
  return { meanSquare: Float64Array.from(xs, ([a, b]) => (a * a + b * b) / 2), mean: Float64Array.from(xs, ([a, b]) => (a + b) / 2) };
}

describe('the note under the line: where one net is known to sit off it', () => {
  const deep: NetSpec = { inputSize: 2, hidden: Array(16).fill(128), outputSize: 2, activation: 'relu', init: 'he_normal', initGain: 1, inputMeanSquare: 0.3 };
  const kind = (over: Partial<NetSpec>) => theoryNote({ ...deep, ...over })?.kind ?? null;

  test('residual with a ReLU-like activation, where at least one layer adds its input', () => {
    expect(kind({ residual: true })).toBe('residual-relu');
    expect(kind({ residual: true, activation: 'leaky_relu' })).toBe('residual-relu');
    expect(kind({ residual: true, activation: 'relu6' })).toBe('residual-relu');
    expect(kind({ residual: true, hidden: [8, 8] })).toBe('residual-relu'); // dense2 adds dense1's output
    expect(kind({ residual: true, hidden: [8, 16, 32] })).toBeNull(); // no two equal widths: no residual layer
    expect(kind({ residual: true, hidden: [2, 16] })).toBe('residual-relu'); // dense1 adds the 2-D input
    expect(kind({ residual: true, hidden: [128] })).toBeNull(); // one layer: nothing to compound
    expect(kind({})).toBeNull(); // plain ReLU: on the line
    for (const activation of ['tanh', 'elu', 'selu', 'linear'] as const) expect(kind({ residual: true, activation })).toBeNull();
  });

  test('sigmoid with σ_w ≥ 2 (σ_w² = Var(W)·fan_in ≥ 4) or at most two classes', () => {
    const sig = (over: Partial<NetSpec>) => kind({ activation: 'sigmoid', init: 'normal', initGain: 1, outputSize: 3, ...over });
    expect(sig({ initGain: 4 })).toBe('sigmoid');
    expect(sig({ initGain: 2 })).toBe('sigmoid'); // σ_w² = 4
    expect(sig({ initGain: 1.9 })).toBeNull();
    expect(sig({ init: 'he_normal', initGain: Math.SQRT2 })).toBe('sigmoid'); // 2·g² = 4
    expect(sig({ init: 'he_normal', initGain: 1 })).toBeNull(); // σ_w² = 2
    expect(sig({ outputSize: 2 })).toBe('sigmoid'); // two classes: every example's ∂L/∂logits points one way
    expect(sig({ outputSize: 2, hidden: [128] })).toBeNull();
    expect(sig({ residual: true, initGain: 4 })).toBe('sigmoid'); // not ReLU-like: the sigmoid note
  });

  test('the notes are short plain sentences that point to the README', () => {
    for (const text of Object.values(THEORY_NOTES)) {
      expect(text.length).toBeLessThan(200);
      expect(text).toMatch(/\(see README\)\.$/);
    }
    expect(theoryNote({ ...deep, residual: true })!.text).toBe(THEORY_NOTES['residual-relu']);
  });
});
