/**
 * The typed engine as a RunTrainer: its domain, the engine choice, the factory and
 * trainRun, preallocated buffers, skipNonFinite, the views the page draws, and
 * hyper-parameter changes. (Its numbers against tfjs: differential.test.ts; its
 * backward pass against finite differences: gradcheck.test.ts.)
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../../node/tf-node.ts';
import { defaultRunConfig, type RunConfigInput } from '../config.ts';
import { chooseEngine, EngineUnsupportedError, macsPerStep, TYPED_MAX_MACS, TYPED_MAX_MACS_GPU } from '../engines.ts';
import { estimateRun } from '../estimate.ts';
import { BatchStream } from '../data/datasets.ts';
import type { StepRecord } from '../records.ts';
import { Trainer } from '../trainer.ts';
import { createTrainer, trainRun } from '../train.ts';
import { PRESETS, presetExperiment } from '../../ui/presets.ts';
import { typedEngineSupports } from './supports.ts';
import { TypedTrainer } from './trainer.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

const SMALL: RunConfigInput = { data: { name: 'moons', samples: 200 }, model: { hidden: [16, 16] }, train: { batchSize: 16, steps: 12, evalEvery: 4 } };
const CNN: RunConfigInput = { data: { name: 'shapes', samples: 30 }, model: { arch: 'cnn', hidden: [2, 2] }, train: { batchSize: 4 } };

describe('the typed engine’s domain and the engine choice', () => {
  test('typedEngineSupports: MLPs on the 2-D data sets, the regression sets and the image sets; not conv nets', () => {
    for (const name of ['circle', 'xor', 'gauss', 'spiral', 'moons', 'plane', 'housing'] as const) {
      expect(typedEngineSupports(defaultRunConfig({ data: { name }, model: { norm: 'batch', residual: true } }))).toBeNull();
    }
    expect(typedEngineSupports(defaultRunConfig({ data: { name: 'housing', standardize: 'inputs_and_target' } }))).toBeNull();
    expect(typedEngineSupports(defaultRunConfig(CNN))).toMatch(/conv nets/);
    for (const name of ['shapes', 'digits'] as const) expect(typedEngineSupports(defaultRunConfig({ data: { name } }))).toBeNull();
  });

  test('every MLP preset run is in the typed engine’s domain (the scaling preset’s regressions included)', () => {
    const runs = PRESETS.flatMap((p) => presetExperiment(p).runs.map((run) => ({ id: `${p.id} / ${run.label}`, run })));
    const mlps = runs.filter((c) => c.run.model.arch === 'mlp');
    expect(mlps.length).toBeGreaterThan(0);
    expect(mlps.map((c) => c.id)).toContain('scaling / standardized');
    for (const c of mlps) expect(typedEngineSupports(c.run), c.id).toBeNull();
    for (const c of mlps) expect(chooseEngine(c.run, 'typed').engine, c.id).toBe('typed');
  });

  test('chooseEngine: forced engines, the domain, the multiply-add bounds', () => {
    const small = defaultRunConfig(SMALL);
    expect(chooseEngine(small, 'tfjs').engine).toBe('tfjs');
    expect(chooseEngine(small, 'typed').engine).toBe('typed');
    expect(chooseEngine(small, 'auto')).toEqual({ engine: 'typed', reason: expect.stringMatching(/multiply-adds per step, below/) });
    // a forced typed engine outside its domain: an error that says why
    expect(() => chooseEngine(defaultRunConfig(CNN), 'typed')).toThrow(EngineUnsupportedError);
    expect(() => chooseEngine(defaultRunConfig(CNN), 'typed')).toThrow(/cannot train this run: conv nets/);
    expect(chooseEngine(defaultRunConfig(CNN), 'auto')).toEqual({ engine: 'tfjs', reason: expect.stringMatching(/conv nets/) });
    // multiply-adds: forward + backward = 3 × batch × the model's multiply-adds = flops / 2
    expect(macsPerStep(small)).toBe(3 * 16 * (2 * 16 + 16 * 16 + 16 * 2));
    expect(macsPerStep(small)).toBe(estimateRun(small).flopsPerStep / 2);
    const huge = defaultRunConfig({ model: { hidden: Array(8).fill(1024) }, train: { batchSize: 4096 } });
    expect(macsPerStep(huge)).toBeGreaterThan(TYPED_MAX_MACS);
    expect(chooseEngine(huge).engine).toBe('tfjs');
    // next to a GPU backend the bound is lower
    const mid = defaultRunConfig({ model: { hidden: Array(5).fill(64) }, train: { batchSize: 64 } });
    expect(macsPerStep(mid)).toBeGreaterThan(TYPED_MAX_MACS_GPU);
    expect(chooseEngine(mid, 'auto', 'wasm').engine).toBe('typed');
    expect(chooseEngine(mid, 'auto', 'webgpu')).toEqual({ engine: 'tfjs', reason: expect.stringMatching(/next to webgpu/) });
    expect(chooseEngine(small, 'auto', 'webgl').engine).toBe('typed');
  });

  test('createTrainer builds the chosen engine; a forced typed engine on a conv net throws', () => {
    const t = createTrainer(defaultRunConfig(SMALL), { run: 2 });
    expect(t).toBeInstanceOf(TypedTrainer);
    expect(t.run).toBe(2);
    t.dispose();
    const c = createTrainer(defaultRunConfig(CNN));
    expect(c).toBeInstanceOf(Trainer);
    expect(c.engine).toBe('tfjs');
    c.dispose();
    const f = createTrainer(defaultRunConfig(SMALL), { engine: 'tfjs' });
    expect(f.engine).toBe('tfjs');
    f.dispose();
    expect(() => createTrainer(defaultRunConfig(CNN), { engine: 'typed' })).toThrow(EngineUnsupportedError);
    expect(() => new TypedTrainer(defaultRunConfig(CNN))).toThrow(/conv nets/);
  });

  test('trainRun trains on the engine asked for; every record names its engine', async () => {
    const cfg = defaultRunConfig(SMALL);
    const runWith = async (engine?: 'typed' | 'tfjs' | 'auto') => {
      const got: StepRecord[] = [];
      await trainRun(cfg, 1, { chunk: 5, engine, onStep: (r) => got.push(r) });
      return got;
    };
    const typed = await runWith('typed');
    expect(typed).toHaveLength(12);
    expect(typed.every((r) => r.engine === 'typed' && r.run === 1)).toBe(true);
    expect(await runWith('auto')).toEqual(typed);
    const tfjs = await runWith();
    expect(tfjs.every((r) => r.engine === 'tfjs')).toBe(true);
    // the same numbers (differential.test.ts has the details)
    expect(tfjs.map((r) => r.loss)).toEqual(typed.map((r) => r.loss));
    // evaluation steps: every 4th and the last
    expect(typed.filter((r) => r.testLoss !== undefined).map((r) => r.step)).toEqual([0, 4, 8, 11]);
    await expect(trainRun(defaultRunConfig(CNN), 0, { engine: 'typed' })).rejects.toThrow(EngineUnsupportedError);
  });
});

/** Internals of the typed trainer, for inspection. */
interface Internals {
  slots: Float32Array[];
  iteration: number;
  adaptive: { mu: number; nu: number; count: number };
}
const internals = (t: TypedTrainer) => t as unknown as Internals;

/** Every typed array the trainer keeps from step to step. */
function buffers(t: TypedTrainer): ArrayBufferView[] {
  const n = t.net;
  const perLayer = n.layers.flatMap((l) => [l.z, l.a, l.y, l.h, l.dh, l.da, l.dz, l.xhat, l.centered, l.statMean, l.statVar, l.statSd, l.movingMean, l.movingVar]);
  return [n.params, n.grads, n.x, ...internals(t).slots, ...perLayer].filter((b): b is NonNullable<typeof b> => b !== null);
}

/** Typed arrays constructed while `fn` runs (Float32Array, Float64Array, Int32Array). */
async function typedArraysMadeBy(fn: () => Promise<unknown>): Promise<number> {
  const g = globalThis as unknown as Record<string, unknown>;
  const names = ['Float32Array', 'Float64Array', 'Int32Array'];
  const originals = names.map((n) => g[n] as new (...a: unknown[]) => unknown);
  let made = 0;
  names.forEach((n, i) => {
    g[n] = new Proxy(originals[i], {
      construct(target, args, newTarget) {
        made++;
        return Reflect.construct(target, args, newTarget);
      },
    });
  });
  try {
    await fn();
  } finally {
    names.forEach((n, i) => (g[n] = originals[i]));
  }
  return made;
}

describe('preallocated buffers', () => {
  // 1,000 samples: 800 training examples, so the batches below stay in one epoch
  // (a new epoch draws a new permutation, an Int32Array, once per epoch)
  test.each([
    ['a classification', { samples: 1000 }],
    ['a regression (plane, standardized)', { name: 'plane', samples: 1000, standardize: 'inputs_and_target' }],
  ] as const)('%s: a chunk of k steps makes one typed array (its rows), whatever k; the buffers are the same arrays throughout', async (_what, data) => {
    const cfg = defaultRunConfig({
      data,
      model: { hidden: [12, 12, 12], norm: 'batch', residual: true, activation: 'tanh' },
      optimizer: { name: 'adam' },
      stabilizers: { clip: { mode: 'agc', threshold: 0.1 }, l1: 0.001, l2: 0.001 },
      train: { batchSize: 8, evalEvery: 5 },
    });
    const t = new TypedTrainer(cfg);
    try {
      const before = buffers(t);
      await t.runStepsPacked(2); // first calls compile
      expect(await typedArraysMadeBy(() => t.runStepsPacked(1))).toBe(1);
      expect(await typedArraysMadeBy(() => t.runStepsPacked(60))).toBe(1);
      const after = buffers(t);
      expect(after).toHaveLength(before.length);
      after.forEach((b, i) => expect(b, `buffer ${i}`).toBe(before[i]));
      expect(t.step).toBe(63);
    } finally {
      t.dispose();
    }
    await expect(t.runStepsPacked(1)).rejects.toThrow(/disposed/);
  });
});

describe('skipNonFinite and divergence', () => {
  // A batch-normalized linear net at a huge learning rate (diverges after a few finite
  // steps), and a net whose float32 gradient overflows for some batches only, with the
  // adaptive clip rule on (its statistics must not see the diverged steps).
  const CASES: [string, RunConfigInput][] = [
    ['batch norm, momentum', { model: { hidden: Array(8).fill(32), init: 'normal', initGain: 3, norm: 'batch', activation: 'linear' }, optimizer: { name: 'momentum', lr: 1000 }, train: { batchSize: 32, evalEvery: 0 } }],
    [
      'transient overflow, adaptive clipping',
      { model: { hidden: Array(12).fill(32), init: 'normal', initGain: 50 }, optimizer: { name: 'momentum', lr: 1e-22 }, stabilizers: { clip: { mode: 'adaptive', warmup: 1 } }, train: { batchSize: 2, evalEvery: 0 } },
    ],
  ];
  /** Every value a step may change: weights, slots, BN moving statistics, the step count, the clip statistics. */
  const state = (t: TypedTrainer) => {
    const n = t.net;
    const kept = [n.params, ...internals(t).slots, ...n.layers.flatMap((l) => [l.movingMean, l.movingVar])].filter((b) => b !== null);
    return [...kept.map((b) => Array.from(b)), internals(t).iteration, { ...internals(t).adaptive }];
  };

  test.each(CASES)('%s: a diverged step leaves weights, optimizer slots, BN statistics, step count and clip statistics as they were', async (_what, input) => {
    const t = new TypedTrainer(defaultRunConfig(input));
    try {
      let diverged = 0;
      let finite = 0;
      for (let s = 0; s < 16; s++) {
        const before = state(t);
        const [r] = await t.runSteps(1);
        if (r.status === 'diverged') {
          diverged++;
          expect(state(t)).toEqual(before);
          for (const l of r.layers) expect(l.updateNorm).toBe(0);
        } else {
          finite++;
          expect(state(t)).not.toEqual(before);
        }
      }
      expect(diverged).toBeGreaterThan(0);
      expect(finite).toBeGreaterThan(0);
      expect(internals(t).iteration).toBe(finite);
    } finally {
      t.dispose();
    }
  });

  test('skipNonFinite false: NaN/Infinity gets into the weights, the records say diverged, nothing throws', async () => {
    const t = new TypedTrainer(defaultRunConfig({ ...CASES[0][1], stabilizers: { skipNonFinite: false } }));
    try {
      const rs = await t.runSteps(10);
      const first = rs.findIndex((r) => r.status === 'diverged');
      expect(first).toBeGreaterThanOrEqual(1);
      expect(rs.slice(first).every((r) => r.status === 'diverged')).toBe(true);
      expect((await t.snapshot()).some((w) => w.some((x) => !Number.isFinite(x)))).toBe(true);
    } finally {
      t.dispose();
    }
  });
});

describe('views and changes', () => {
  test('predictGrid and snapshot agree with the tfjs engine (batch norm: inference mode)', async () => {
    const cfg = defaultRunConfig({ ...SMALL, model: { hidden: [16, 16], norm: 'batch' }, optimizer: { name: 'adam', lr: 0.05 } });
    const a = new Trainer(cfg);
    const b = new TypedTrainer(cfg);
    try {
      await a.runStepsPacked(7);
      await b.runStepsPacked(7);
      expect(await b.snapshot()).toEqual(await a.snapshot());
      const [ga, gb] = [await a.predictGrid(24), await b.predictGrid(24)];
      expect(gb).toHaveLength(24 * 24);
      gb.forEach((p, i) => expect(Math.abs(p - ga[i])).toBeLessThan(1e-6));
      expect(Math.max(...gb) - Math.min(...gb)).toBeGreaterThan(0.01); // not a constant
      await expect(new TypedTrainer(defaultRunConfig({ data: { name: 'xor' } })).predictGrid(2)).resolves.toHaveLength(4);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('a regression’s predictGrid: the prediction over the training targets’ range, clipped to 0..1, the tfjs engine’s bit for bit', async () => {
    const cfg = defaultRunConfig({ data: { name: 'plane', samples: 200 }, model: { hidden: [8, 8] }, optimizer: { name: 'adam', lr: 0.05 }, train: { batchSize: 16 } });
    const a = new Trainer(cfg);
    const b = new TypedTrainer(cfg);
    try {
      await a.runStepsPacked(20);
      await b.runStepsPacked(20);
      const [ga, gb] = [await a.predictGrid(16), await b.predictGrid(16)];
      expect(gb).toHaveLength(16 * 16);
      expect(gb.every((v, i) => Object.is(v, ga[i]))).toBe(true);
      expect(gb.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(Math.max(...gb) - Math.min(...gb)).toBeGreaterThan(0.1);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('a regression’s records: loss = mean (p − t)² and acc = R² of the batch, testLoss and testAcc of the test set, from the predictions in float64', async () => {
    const cfg = defaultRunConfig({ data: { name: 'housing', samples: 300, standardize: 'inputs_and_target' }, model: { hidden: [8] }, train: { batchSize: 20, evalEvery: 1 } });
    const t = new TypedTrainer(cfg);
    try {
      const d = t.data;
      const D = d.inputSize;
      const predict = (x: Float32Array, n: number) => {
        const p = new Float64Array(n);
        t.net.infer(x, n, { take: (out, start, count) => p.set(out.subarray(0, count), start) });
        return p;
      };
      const scores = (p: Float64Array, targets: ArrayLike<number>) => {
        const n = p.length;
        let mean = 0;
        for (let i = 0; i < n; i++) mean += targets[i] / n;
        let sse = 0;
        let sst = 0;
        for (let i = 0; i < n; i++) {
          sse += (p[i] - targets[i]) ** 2;
          sst += (targets[i] - mean) ** 2;
        }
        return { mse: sse / n, r2: 1 - sse / sst };
      };
      // the first batch, drawn as the trainer draws it; no normalization, so inference = training mode
      const idx = new BatchStream(d.nTrain, cfg.seed).next(t.batchSize);
      const xb = new Float32Array(idx.length * D);
      idx.forEach((i, b) => xb.set(d.xTrain.subarray(i * D, (i + 1) * D), b * D));
      const batch = scores(predict(xb, idx.length), Array.from(idx, (i) => d.tTrain[i]));
      const test = scores(predict(d.xTest, d.nTest), d.tTest);
      const [r] = await t.runSteps(1);
      const near = (got: number | undefined, want: number) => expect(Math.abs(got! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      near(r.loss, batch.mse);
      near(r.acc, batch.r2);
      near(r.testLoss, test.mse);
      near(r.testAcc, test.r2);
      // an untrained net explains little of either
      expect(batch.r2).toBeLessThan(0.9);
    } finally {
      t.dispose();
    }
  });

  test('updateConfig: a new learning rate, clip mode or optimizer applies at the next step; a new batch size needs a rebuild', async () => {
    const cfg = defaultRunConfig(SMALL);
    const t = new TypedTrainer(cfg);
    try {
      await t.runSteps(2);
      expect(t.updateConfig({ ...cfg, optimizer: { ...cfg.optimizer, lr: 0.5 }, stabilizers: { ...cfg.stabilizers, clip: { ...cfg.stabilizers.clip, mode: 'global_norm', threshold: 1e-3 } } })).toBe(true);
      const [r] = await t.runSteps(1);
      expect(r.lr).toBe(0.5);
      expect(r.status).toBe('clipped');
      expect(t.updateConfig({ ...t.cfg, train: { ...cfg.train, batchSize: 8 } })).toBe(false);
      expect(t.lrAt(0)).toBe(0.5);
      // A new optimizer is live, with fresh state (changes.test.ts checks its first step).
      expect(t.updateConfig({ ...t.cfg, optimizer: { ...t.cfg.optimizer, name: 'adam' } })).toBe(true);
      expect(t.paramCount).toBe(2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
      expect(t.layerNames).toEqual(['dense1', 'dense2', 'dense3']);
    } finally {
      t.dispose();
    }
  });
});
