/**
 * The resource estimate: parameter counts written out by hand from the layer shapes
 * of model.ts (and checked against buildModel), the memory and flop formulas, and
 * the verdict levels of the thresholds.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { defaultExperiment, defaultRunConfig, parseExperiment, type Experiment, type RunConfigInput } from './config.ts';
import { estimateExperiment, estimateRun, formatBytes, formatFlops, OPTIMIZER_SLOTS, PEAK_MODEL, resourceVerdict, THRESHOLDS } from './estimate.ts';
import { buildModel, disposeModel } from './model.ts';
import { makeDataset } from './data/datasets.ts';
import { OPTIMIZER_RULES } from './optimizers.ts';
import { OPTIMIZERS } from './meta.ts';
import { setNodeBackend } from '../node/tf-node.ts';
import { PRESETS, presetExperiment } from '../ui/presets.ts';

const run = (r: RunConfigInput) => defaultRunConfig(r);

function experiment(...runs: RunConfigInput[]): Experiment {
  const r = parseExperiment({ v: 1, runs });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

beforeAll(async () => {
  await setNodeBackend('cpu');
});

describe('parameters, by hand', () => {
  test('MLP 2 → [8, 8] → 2: 2·8+8 + 8·8+8 + 8·2+2 = 114', () => {
    expect(estimateRun(run({ data: { name: 'xor' }, model: { hidden: [8, 8] } })).params).toBe(114);
  });

  test('the same MLP with BatchNorm or LayerNorm: + gamma and beta of each hidden layer = 114 + 2·8 + 2·8 = 146', () => {
    expect(estimateRun(run({ model: { hidden: [8, 8], norm: 'batch' } })).params).toBe(146);
    expect(estimateRun(run({ model: { hidden: [8, 8], norm: 'layer' } })).params).toBe(146);
  });

  test('an MLP on the 16×16 images: 256·4+4 + 4·3+3 = 1043', () => {
    expect(estimateRun(run({ data: { name: 'shapes' }, model: { hidden: [4] } })).params).toBe(1043);
  });

  test('CNN [4, 8, 8] on 16×16×1: conv 3×3, pooling after the first two layers, dense head = 1307', () => {
    // conv1 3·3·1·4+4 = 40   → 16×16×4, pooled to 8×8×4
    // conv2 3·3·4·8+8 = 296  → 8×8×8, pooled to 4×4×8
    // conv3 3·3·8·8+8 = 584  → 4×4×8 (no pooling after the second layer)
    // dense4 (4·4·8)·3+3 = 387
    const cnn = run({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [4, 8, 8] } });
    expect(estimateRun(cnn).params).toBe(40 + 296 + 584 + 387);
    // with BatchNorm: + 2·(4 + 8 + 8)
    expect(estimateRun(run({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [4, 8, 8], norm: 'batch' } })).params).toBe(1307 + 40);
  });

  test('the same counts as the models buildModel makes', () => {
    const configs: RunConfigInput[] = [
      { model: { hidden: [8, 8] } },
      { model: { hidden: [8, 8], norm: 'batch', residual: true } },
      { model: { hidden: [3, 17, 17, 5], norm: 'layer' } },
      { data: { name: 'shapes' }, model: { hidden: [4] } },
      { data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [4, 8, 8] } },
      { data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [2, 3, 5, 7], norm: 'batch' } },
      { data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [6], norm: 'layer' } },
    ];
    for (const c of configs) {
      const cfg = run({ ...c, data: { ...c.data, samples: 16 } });
      const data = makeDataset(cfg);
      const model = buildModel(cfg, data.inputShape, data.nClasses);
      try {
        expect(estimateRun(cfg).params, JSON.stringify(c)).toBe(model.paramCount);
      } finally {
        disposeModel(model);
      }
    }
  });

  test("optimizer slots match the optimizers' rules", () => {
    for (const name of OPTIMIZERS) expect(OPTIMIZER_SLOTS[name], name).toBe(OPTIMIZER_RULES[name].slots.length);
  });
});

describe('memory and flops', () => {
  test('MLP 2 → [8, 8] → 2, batch 32, 512 samples: the formula written out', () => {
    const sgd = estimateRun(run({ data: { name: 'xor', samples: 512 }, model: { hidden: [8, 8] }, train: { batchSize: 32 } }));
    // activations: 32 × (2 input + 8 + 8 + 2 logits) = 640
    expect(sgd.activationsPerStep).toBe(640);
    // floats: 114 × (weights + grads) + 2 × 640 + 512 × 2 (data) = 228 + 1280 + 1024
    expect(sgd.bytes).toBe((228 + 1280 + 1024) * 4);
    // flops: 6 × 32 × (2·8 + 8·8 + 8·2)
    expect(sgd.flopsPerStep).toBe(6 * 32 * 96);
    const adam = estimateRun(run({ data: { name: 'xor', samples: 512 }, model: { hidden: [8, 8] }, optimizer: { name: 'adam' }, train: { batchSize: 32 } }));
    expect(adam.bytes - sgd.bytes).toBe(114 * 2 * 4); // two slots
    const momentum = estimateRun(run({ data: { name: 'xor', samples: 512 }, model: { hidden: [8, 8] }, optimizer: { name: 'momentum' }, train: { batchSize: 32 } }));
    expect(momentum.bytes - sgd.bytes).toBe(114 * 4); // one slot
  });

  test('CNN [4, 8, 8]: activations count the maps before and after pooling; flops from the multiply-adds', () => {
    const e = estimateRun(run({ data: { name: 'shapes', samples: 100 }, model: { arch: 'cnn', hidden: [4, 8, 8] }, train: { batchSize: 2 } }));
    // 256 input + 16·16·4 + 8·8·4 + 8·8·8 + 4·4·8 + 4·4·8 + 3
    expect(e.activationsPerStep).toBe(2 * (256 + 1024 + 256 + 512 + 128 + 128 + 3));
    // multiply-adds: 16·16·9·1·4 + 8·8·9·4·8 + 4·4·9·8·8 + 128·3
    expect(e.flopsPerStep).toBe(6 * 2 * (9216 + 18432 + 9216 + 384));
    // BatchNorm keeps moving statistics too (not parameters)
    const bn = estimateRun(run({ data: { name: 'shapes', samples: 100 }, model: { arch: 'cnn', hidden: [4, 8, 8], norm: 'batch' }, train: { batchSize: 2 } }));
    expect(bn.bytes - e.bytes).toBe((40 * 2 + 40) * 4); // gamma, beta (weights + grads) and mean, variance
  });

  test('an experiment sums its runs', () => {
    const exp = experiment({ model: { hidden: [8, 8] } }, { model: { hidden: [32, 32, 32] }, optimizer: { name: 'adam' } });
    const e = estimateExperiment(exp);
    expect(e.runs).toHaveLength(2);
    for (const f of ['params', 'activationsPerStep', 'bytes', 'flopsPerStep'] as const) expect(e[f]).toBe(e.runs[0][f] + e.runs[1][f]);
  });

  test('number formats', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1.25 * 1024 ** 3)).toBe('1.3 GiB');
    expect(formatFlops(3.4e9)).toBe('3.4 GFLOP');
    expect(formatFlops(1.55e12)).toBe('1.6 TFLOP');
    expect(formatFlops(18432)).toBe('18.4 kFLOP');
  });
});

describe('verdict', () => {
  const wide = (layers: number, runs: number, optimizer: 'sgd' | 'adam') =>
    experiment(...Array.from({ length: runs }, () => ({ model: { hidden: Array<number>(layers).fill(1024) }, optimizer: { name: optimizer }, train: { batchSize: 4096 } })));

  test("the contract's default experiment and every preset are ok", () => {
    const d = resourceVerdict(estimateExperiment(defaultExperiment()));
    expect(d.level).toBe('ok');
    expect(d.message).toMatch(/^about [\d.]+ MiB of memory at a step's peak and [\d.]+ kFLOP per step$/);
    for (const p of PRESETS) {
      const e = estimateExperiment(presetExperiment(p));
      expect(resourceVerdict(e).level, `${p.id}: ${resourceVerdict(e).message}`).toBe('ok');
      expect(e.bytes).toBeLessThan(10 * 1024 ** 2);
      expect(e.peak).toBeLessThan(100 * 1024 ** 2);
    }
  });

  test('4 runs of a 16×1024 MLP at batch 4096 are at least a warning, with the numbers', () => {
    for (const opt of ['sgd', 'adam'] as const) {
      const e = estimateExperiment(wide(16, 4, opt));
      const v = resourceVerdict(e);
      expect(v.level, v.message).not.toBe('ok');
      expect(v.message).toMatch(/^about \d+(\.\d)? GiB of memory at a step's peak and \d+(\.\d)? TFLOP per step[;:] /);
      expect(v.message).toMatch(/freeze|memory|crash/);
    }
    // about 15.8 M parameters a run
    expect(estimateRun(wide(16, 1, 'sgd').runs[0]).params).toBe(2 * 1024 + 1024 + 15 * (1024 * 1024 + 1024) + 1024 * 2 + 2);
  });

  test('a single run whose steps are slow but small is a warning about time', () => {
    const v = resourceVerdict(estimateExperiment(wide(4, 1, 'sgd')));
    expect(v.level).toBe('warn');
    expect(v.message).toMatch(/GFLOP per step; a step may take seconds/);
  });

  test('several GiB are refused, unless forced', () => {
    const cases = [
      wide(64, 4, 'adam'), // about 13 GiB
      experiment({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: Array<number>(64).fill(128) }, train: { batchSize: 4096 } }),
    ];
    for (const exp of cases) {
      const e = estimateExperiment(exp);
      expect(e.peak).toBeGreaterThan(THRESHOLDS.refuseBytes);
      const v = resourceVerdict(e);
      expect(v.level).toBe('refuse');
      expect(v.message).toMatch(/^about \d+(\.\d)? GiB of memory at a step's peak and .* per step: more than the 2 GiB a browser tab can safely hold \(it would freeze or crash\); lower the batch size/);
      const forced = resourceVerdict(e, { force: true });
      expect(forced.level).toBe('warn');
      expect(forced.message).toMatch(/forced/);
    }
  });

  test('force changes nothing below the refusal threshold', () => {
    const e = estimateExperiment(defaultExperiment());
    expect(resourceVerdict(e, { force: true })).toEqual(resourceVerdict(e));
  });
});

describe('the peak model against what Chromium measured (bench/memoryGrid.mjs)', () => {
  const mlp = (depth: number, width: number, batch: number, optimizer: 'sgd' | 'adam') =>
    estimateRun(run({ model: { hidden: Array<number>(depth).fill(width) }, data: { name: 'spiral', samples: 512 }, optimizer: { name: optimizer }, train: { batchSize: batch } }));
  const MiB = 1024 ** 2;

  // Peak resident memory above an idle page, MiB, measured on wasm in headless Chromium
  // (2 steps; after each variable's update got its own scope).
  const measuredWasm: [number, number, number, 'sgd' | 'adam', number][] = [
    [32, 512, 32, 'sgd', 255],
    [32, 512, 32, 'adam', 566],
    [32, 512, 256, 'sgd', 341],
    [32, 512, 256, 'adam', 553],
    [16, 1024, 32, 'sgd', 441],
    [16, 1024, 32, 'adam', 896],
    [16, 1024, 256, 'sgd', 491],
    [16, 1024, 256, 'adam', 936],
    [64, 1024, 32, 'sgd', 1638],
    [64, 1024, 32, 'adam', 3200],
  ];


  // The same on the cpu backend (plain JavaScript arrays: no heap high-water mark).
  const measuredCpu: [number, number, number, 'sgd' | 'adam', number][] = [
    [32, 512, 32, 'sgd', 168],
    [32, 512, 32, 'adam', 372],
    [32, 512, 256, 'sgd', 168],
    [32, 512, 256, 'adam', 353],
    [16, 1024, 32, 'sgd', 254],
    [16, 1024, 32, 'adam', 647],
    [64, 1024, 32, 'sgd', 1244],
    [64, 1024, 32, 'adam', 2688],
  ];

  test.each([
    ['wasm', measuredWasm],
    ['cpu', measuredCpu],
  ] as const)('on %s the estimate is at or above every measured peak, and within 1.5× of it', (backend, measured) => {
    for (const [d, w, b, o, peak] of measured) {
      const est = mlp(d, w, b, o).peakBy[backend] / MiB;
      expect(est, `${d}×${w} b${b} ${o}: estimated ${est.toFixed(0)} MiB, measured ${peak}`).toBeGreaterThanOrEqual(peak);
      expect(est / peak, `${d}×${w} b${b} ${o}`).toBeLessThan(1.5);
    }
  });

  test('the MLP whose first step ran out of wasm memory (64 × 1024, adam; 4.0 GiB before each update had its own scope, 3.1 GiB after) is refused; with sgd it is a warning', () => {
    const adam = mlp(64, 1024, 32, 'adam');
    expect(adam.peakBy.wasm).toBeGreaterThan(THRESHOLDS.refuseBytes);
    expect(resourceVerdict(adam).level).toBe('refuse');
    // Before: "ok, 521 MiB" of tensors for the sgd one, which took the tab to 2.4 GB.
    expect(resourceVerdict(mlp(64, 1024, 32, 'sgd')).level).not.toBe('ok');
  });

  test('each run counts its own worker: two runs of a tiny net need twice the per-run memory', () => {
    const one = estimateExperiment(experiment({}));
    const two = estimateExperiment(experiment({}, {}));
    expect(two.peak).toBeCloseTo(2 * one.peak, 6);
    expect(one.peak).toBeGreaterThanOrEqual(PEAK_MODEL.wasm.perRunBytes);
  });
});

