/**
 * The data sets of issue 16: feature scaling from the training split only, the
 * digits' loading and shape, the regression sets, and the mean squared error's
 * gradient against finite differences.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../../node/tf-node.ts';
import { buildDigitsAsset, loadDigitsInNode } from '../../node/digits.ts';
import * as tf from '../tf.ts';
import { defaultRunConfig, type RunConfigInput } from '../config.ts';
import { makeDataset } from './datasets.ts';
import { DIGITS_ASSET_BYTES, DIGITS_PER_CLASS, DIGITS_SIZE, digitsAssetFromMnist } from './digits.ts';
import { buildModel, disposeModel, forward, meanSquaredError } from '../model.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

const ds = (input: RunConfigInput) => makeDataset(defaultRunConfig(input));

function columnStats(x: Float32Array, n: number, d: number, j: number): [number, number] {
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i * d + j];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i * d + j] - m) ** 2;
  return [m, Math.sqrt(v / n)];
}

describe('feature scaling (data.standardize)', () => {
  test('z-scores from the training split only: the training columns have mean 0 and std 1, the statistics are the raw training rows’', () => {
    const raw = ds({ data: { name: 'housing', samples: 400, testFraction: 0.25 } });
    const z = ds({ data: { name: 'housing', samples: 400, testFraction: 0.25, standardize: 'inputs_and_target' } });
    expect(raw.scaling).toBeNull();
    const s = z.scaling!;
    for (let j = 0; j < 3; j++) {
      const [mTrain, sTrain] = columnStats(raw.xTrain, raw.nTrain, 3, j);
      const [mAll] = columnStats(Float32Array.from([...raw.xTrain, ...raw.xTest]), raw.nTrain + raw.nTest, 3, j);
      expect(s.inputMean[j]).toBeCloseTo(mTrain, 6);
      expect(s.inputStd[j]).toBeCloseTo(sTrain, 6);
      // The test rows did not take part: the mean over all rows differs.
      expect(Math.abs(s.inputMean[j] - mAll)).toBeGreaterThan(1e-6);
      const [m, sd] = columnStats(z.xTrain, z.nTrain, 3, j);
      expect(m).toBeCloseTo(0, 5);
      expect(sd).toBeCloseTo(1, 5);
      // The test rows are scaled with the training statistics.
      expect(z.xTest[j]).toBeCloseTo((raw.xTest[j] - mTrain) / sTrain, 4);
    }
    const [tm, ts] = columnStats(raw.tTrain, raw.nTrain, 1, 0);
    expect(s.targetMean).toBeCloseTo(tm, 6);
    expect(s.targetStd).toBeCloseTo(ts, 6);
    expect(z.tTest[0]).toBeCloseTo((raw.tTest[0] - tm) / ts, 4);
  });

  test('inputs only leaves the target; a classification’s labels are never scaled', () => {
    const raw = ds({ data: { name: 'housing', samples: 100 } });
    const z = ds({ data: { name: 'housing', samples: 100, standardize: 'inputs' } });
    expect([...z.tTrain]).toEqual([...raw.tTrain]);
    const c = ds({ data: { name: 'spiral', samples: 100, standardize: 'inputs_and_target' } });
    const c0 = ds({ data: { name: 'spiral', samples: 100 } });
    expect([...c.yTrain]).toEqual([...c0.yTrain]);
    expect(c.scaling!.targetStd).toBe(1);
  });

  test('the same split whatever the scaling (the batch order and the test rows stay)', () => {
    const a = ds({ data: { name: 'plane', samples: 64 } });
    const b = ds({ data: { name: 'plane', samples: 64, standardize: 'inputs' } });
    expect([...b.tTrain]).toEqual([...a.tTrain]);
  });
});

describe('regression sets', () => {
  test('plane: two inputs in [-1, 1], one output unit, target (x1 + x2)/2 without noise', () => {
    const d = ds({ data: { name: 'plane', samples: 50, noise: 0 } });
    expect([d.task, d.inputShape, d.nClasses]).toEqual(['regression', [2], 1]);
    for (let i = 0; i < d.nTrain; i++) expect(d.tTrain[i]).toBeCloseTo((d.xTrain[2 * i] + d.xTrain[2 * i + 1]) / 2, 5);
  });
  test('housing: raw features in their units (area in the thousands)', () => {
    const d = ds({ data: { name: 'housing', samples: 200 } });
    expect(d.featureNames).toEqual(['area_sqft', 'rooms', 'age_years']);
    const areas = Array.from({ length: d.nTrain }, (_, i) => d.xTrain[3 * i]);
    expect(Math.min(...areas)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...areas)).toBeGreaterThan(3000);
  });
});

describe('digits', () => {
  test('the asset: 10 digits × 500 images of 14×14 bytes, 2×2 means of the package’s images', () => {
    const bytes = buildDigitsAsset();
    expect(bytes.length).toBe(DIGITS_ASSET_BYTES);
    expect(DIGITS_ASSET_BYTES).toBe(10 * DIGITS_PER_CLASS * 196);
    // Every image has ink.
    for (let k = 0; k < 10 * DIGITS_PER_CLASS; k += 97) expect(bytes.subarray(k * 196, (k + 1) * 196).some((v) => v > 128)).toBe(true);
    // Downsampling of a synthetic image: block (r, c) is the mean of its four pixels.
    const img = Float64Array.from({ length: 784 }, (_, p) => (p % 28) / 27);
    const perDigit = Array.from({ length: 10 }, () => Float64Array.from({ length: 784 * DIGITS_PER_CLASS }, (_, p) => img[p % 784]));
    const a = digitsAssetFromMnist(perDigit);
    expect(a[0]).toBe(Math.round(((0 + 1 / 27) / 2) * 255));
    expect(a[13]).toBe(Math.round(((26 / 27 + 1) / 2) * 255));
  });

  test('a run’s digits: [14, 14, 1] images in 0..1, ten balanced classes, the same for the same seed', () => {
    loadDigitsInNode();
    const d = ds({ data: { name: 'digits', samples: 200, testFraction: 0.2 } });
    expect([d.inputShape, d.inputSize, d.nClasses, d.nTrain, d.nTest]).toEqual([[DIGITS_SIZE, DIGITS_SIZE, 1], 196, 10, 160, 40]);
    const counts = new Array(10).fill(0);
    for (const y of [...d.yTrain, ...d.yTest]) counts[y]++;
    expect(counts).toEqual(new Array(10).fill(20));
    expect(Math.min(...d.xTrain)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...d.xTrain)).toBeLessThanOrEqual(1);
    const again = ds({ data: { name: 'digits', samples: 200, testFraction: 0.2 } });
    expect(again.xTrain).toEqual(d.xTrain);
    const other = ds({ seed: 2, data: { name: 'digits', samples: 200, testFraction: 0.2 } });
    expect(other.xTrain).not.toEqual(d.xTrain);
    // At most the asset's 5,000 digits.
    expect(ds({ data: { name: 'digits', samples: 20000 } }).nTrain + ds({ data: { name: 'digits', samples: 20000 } }).nTest).toBe(5000);
  });
});

describe('mean squared error: the gradient against finite differences', () => {
  test('∂MSE/∂W of every kernel entry of a small tanh net (float64 differences of float32 losses)', () => {
    const cfg = defaultRunConfig({ data: { name: 'plane', samples: 64 }, model: { hidden: [4, 3], activation: 'tanh', init: 'glorot_normal' } });
    const d = makeDataset(cfg);
    const model = buildModel(cfg, [2], 1);
    try {
      const x = tf.tensor2d(d.xTrain.subarray(0, 16 * 2), [16, 2]);
      const t = tf.tensor2d(d.tTrain.subarray(0, 16), [16, 1]);
      const loss = () => meanSquaredError(forward(model, x, { training: true }), t);
      const kernels = model.layers.map((l) => l.kernel);
      const { grads } = tf.variableGrads(loss, kernels);
      for (const k of kernels) {
        const g = grads[k.name].dataSync();
        const w = k.dataSync().slice();
        const h = 1e-2;
        for (let e = 0; e < w.length; e++) {
          const at = (v: number) => {
            const w2 = w.slice();
            w2[e] = v;
            k.assign(tf.tensor(w2, k.shape));
            return loss().dataSync()[0];
          };
          const fd = (at(w[e] + h) - at(w[e] - h)) / (2 * h);
          k.assign(tf.tensor(w, k.shape));
          expect(Math.abs(fd - g[e]), `${k.name}[${e}]: ${fd} vs ${g[e]}`).toBeLessThan(2e-3 + 1e-2 * Math.abs(g[e]));
        }
      }
      // And by hand at the output: ∂L/∂p_i = 2(p_i − t_i)/B.
      const p = forward(model, x, { training: false });
      const byHand = tf.div(tf.mul(2, tf.sub(p, t)), 16);
      const auto = tf.grad((q: tf.Tensor) => meanSquaredError(q, t))(p);
      expect(Math.max(...tf.abs(tf.sub(byHand, auto)).dataSync())).toBeLessThan(1e-6);
    } finally {
      disposeModel(model);
    }
  });
});

describe('theory line of a regression', () => {
  test('anchored at ‖∂L/∂p‖ with the mean squared error’s per-example shares: finite, close to the CLI’s exact split', async () => {
    const { netSpecOf, predictedActGradNorms } = await import('../theory.ts');
    const cfg = defaultRunConfig({ data: { name: 'plane' }, model: { hidden: [32, 32, 32, 32], activation: 'tanh', initGain: 1.5 } });
    const line = predictedActGradNorms(netSpecOf(cfg)!, 0.3);
    for (const v of line) expect(Number.isFinite(v) && v > 0).toBe(true);
    // gradscope theory (exact per-example split) gives 1.247 for dense1 at anchor 0.2968, i.e. 4.2 times the anchor.
    expect(line[0] / 0.3).toBeGreaterThan(3.6);
    expect(line[0] / 0.3).toBeLessThan(4.8);
  });
});

describe('engines', () => {
  const csv = `x1,x2,x3,label\n${Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 11},${i % 5},${i % 3}`).join('\n')}\n`;
  const file = async (text: string) => ({ name: 'c.csv', bytes: text.length, sha256: (await import('./sha256.ts')).sha256Text(text), text });

  // a CSV whose target takes many values: 'auto' parses it as a regression
  const csvReg = `x1,x2,price\n${Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 11},${((i % 7) * 2.5 + ((i * 3) % 11) * 0.7 + ((i * 5) % 13) / 4).toFixed(2)}`).join('\n')}\n`;

  test('regressions and CSVs of every task are in the typed engine’s domain', async () => {
    const { chooseEngine } = await import('../engines.ts');
    const { typedEngineSupports } = await import('../typed/supports.ts');
    for (const name of ['plane', 'housing'] as const) expect(chooseEngine(defaultRunConfig({ data: { name } })).engine).toBe('typed');
    for (const task of ['auto', 'classification', 'regression'] as const) {
      for (const text of [csv, csvReg]) expect(typedEngineSupports(defaultRunConfig({ data: { name: 'csv', task, csv: await file(text) } }))).toBeNull();
    }
    expect(chooseEngine(defaultRunConfig({ data: { name: 'csv', csv: await file(csvReg) } })).engine).toBe('typed');
  });

  // The task declared, or found by parsing (auto): the typed trainer takes the loss of the parsed data set's task.
  const csvCases = [
    { id: '3 classes, declared', text: csv, task: 'classification', standardize: 'inputs', want: 'classification' },
    { id: '3 classes, auto', text: csv, task: 'auto', standardize: 'none', want: 'classification' },
    { id: 'a number, auto', text: csvReg, task: 'auto', standardize: 'none', want: 'regression' },
    { id: 'a number, declared, standardized', text: csvReg, task: 'regression', standardize: 'inputs_and_target', want: 'regression' },
  ] as const;
  test.each(csvCases)('a CSV ($id): the typed engine’s records are the tfjs engine’s (cpu)', async ({ text, task, standardize, want }) => {
    const { Trainer } = await import('../trainer.ts');
    const { TypedTrainer } = await import('../typed/trainer.ts');
    const cfg = defaultRunConfig({ data: { name: 'csv', task, standardize, csv: await file(text) }, model: { hidden: [8, 8] }, train: { batchSize: 8, evalEvery: 2 } });
    const a = new Trainer(cfg);
    const b = new TypedTrainer(cfg);
    try {
      expect(b.data.task).toBe(want);
      expect(a.data.task).toBe(want);
      const ra = await a.runSteps(5);
      const rb = await b.runSteps(5);
      const pick = (r: (typeof ra)[number]) => [r.loss, r.acc, r.testLoss, r.testAcc, r.gradNorm, ...r.layers.map((l) => l.gradNorm)];
      expect(rb.map(pick)).toEqual(ra.map(pick));
      expect(ra.some((r) => r.testAcc !== undefined)).toBe(true);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
