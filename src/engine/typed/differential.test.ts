/**
 * The typed engine against the tfjs engine on its cpu backend, from the same config
 * and seed: the same initial weights bit for bit, then the same packed rows (loss,
 * accuracy or R², every per-layer norm, status, held-out metrics) and the same weights
 * after N steps; on diverging runs the same status at every step, hence the same
 * first diverged step, and the same layer named as its cause. Classifications
 * (cross-entropy) and regressions (mean squared error, R²: plane, housing, raw or
 * standardized) alike.
 *
 * Tolerance for every number: |typed − tfjs| ≤ 1e-4·|tfjs| + floor, with float32
 * resolution as the floor for values near 0:
 *   - updateNorm ‖W_new − W_old‖ is a difference of float32 weights, each rounded to
 *     within 2⁻²⁴·|w|, so it carries up to 2·2⁻²⁴·‖W‖ of rounding whatever its size;
 *   - a weight is compared to within 1e-4 of its layer's RMS weight.
 * The typed engine rounds like tfjs's cpu kernels (net.ts), so in practice the values
 * are identical bit for bit; the test also requires that of at least 99% of them.
 * (That matters: where a value is float32 cancellation noise in any implementation —
 * the gradient of a batch-normalized layer's bias is analytically 0, Adam divides
 * such noise by its own RMS into steps of up to lr, normalization over 2 values
 * leaves ±1 whatever the input — only the same rounding gives the same numbers.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { setNodeBackend } from '../../node/tf-node.ts';
import { defaultRunConfig, type RunConfig, type RunConfigInput } from '../config.ts';
import { ACTIVATIONS, CLIP_MODES, INITS, NORMS, OPTIMIZERS, POINT_DATASETS, REGRESSION_DATASETS, SCHEDULES, STANDARDIZE } from '../meta.ts';
import { ROW, LAYER_FIELDS, STATUS, describeDivergence, firstDiverged, layerValue, type LayerField } from '../rows.ts';
import { Trainer } from '../trainer.ts';
import { PRESETS, presetExperiment } from '../../ui/presets.ts';
import { TypedTrainer } from './trainer.ts';
import { typedEngineSupports } from './supports.ts';
import { loadDigitsInNode } from '../../node/digits.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
  loadDigitsInNode();
});

const REL = 1e-4;
const EPS32 = 2 ** -24;

interface Run {
  rows: Float32Array;
  weights: Float32Array[];
}

interface Pair {
  cfg: RunConfig;
  steps: number;
  rowLength: number;
  layerNames: string[];
  tfjs: Run;
  typed: Run;
}

/** Trains `steps` steps in two chunks (as hosts do), returning the rows, the initial and the final weights. */
async function train(t: Trainer | TypedTrainer, steps: number): Promise<Run & { w0: Float32Array[] }> {
  try {
    const w0 = await t.snapshot();
    const k = Math.ceil(steps / 2);
    const a = await t.runStepsPacked(k);
    const b = await t.runStepsPacked(steps - k);
    const rows = new Float32Array(a.length + b.length);
    rows.set(a);
    rows.set(b, a.length);
    return { rows, weights: await t.snapshot(), w0 };
  } finally {
    t.dispose();
  }
}

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

async function trainBoth(input: RunConfigInput, steps: number): Promise<Pair> {
  const cfg = defaultRunConfig(input);
  const a = new Trainer(cfg);
  const b = new TypedTrainer(cfg);
  expect(b.layerNames).toEqual(a.layerNames);
  expect(b.paramCount).toBe(a.paramCount);
  expect(b.rowLength).toBe(a.rowLength);
  const { rowLength, layerNames } = a;
  const tfjs = await train(a, steps);
  const typed = await train(b, steps);
  expect(typed.w0.length).toBe(tfjs.w0.length);
  tfjs.w0.forEach((w, i) => expect(sameBits(typed.w0[i], w), `initial variable ${i}`).toBe(true));
  return { cfg, steps, rowLength, layerNames, tfjs, typed };
}

/** Values compared, and how many of them were identical bit for bit. */
const tally = { values: 0, identical: 0 };

function agrees(got: number, want: number, floor: number): boolean {
  tally.values++;
  if (Object.is(got, want)) {
    tally.identical++;
    return true;
  }
  if (!Number.isFinite(want) || !Number.isFinite(got)) return Number.isNaN(got) && Number.isNaN(want);
  return Math.abs(got - want) <= REL * Math.abs(want) + floor;
}

const layerOfDivergence = (rows: Float32Array, offset: number, names: string[]) => describeDivergence(rows, offset, names).match(/in layer (\w+)/)?.[1];

/** Every disagreement of the typed run with the tfjs run, as readable lines (empty: they agree). */
function mismatches(p: Pair): string[] {
  const out: string[] = [];
  const { cfg, rowLength: rl, layerNames, tfjs, typed } = p;
  const L = layerNames.length;
  let diverged = false;
  for (let s = 0; s < p.steps; s++) {
    const o = s * rl;
    const at = (what: string, i: number) => `step ${s} ${what}: typed ${typed.rows[i]} vs tfjs ${tfjs.rows[i]}`;
    if (typed.rows[o + ROW.status] !== tfjs.rows[o + ROW.status]) out.push(at('status', o + ROW.status));
    if (tfjs.rows[o + ROW.status] === STATUS.diverged) {
      diverged = true;
      const [a, b] = [layerOfDivergence(tfjs.rows, o, layerNames), layerOfDivergence(typed.rows, o, layerNames)];
      if (a !== b) out.push(`step ${s} diverged in layer ${b} (typed) vs ${a} (tfjs)`);
      continue;
    }
    const check = (what: string, i: number, floor = 0) => {
      if (!agrees(typed.rows[i], tfjs.rows[i], floor)) out.push(at(what, i));
    };
    for (const f of ['step', 'lr', 'loss', 'acc', 'gradNorm', 'gradNormClipped', 'evaluated', 'testLoss', 'testAcc'] as const) check(f, o + ROW[f]);
    for (let l = 0; l < L; l++) {
      LAYER_FIELDS.forEach((f: LayerField, j) => {
        const floor = f === 'updateNorm' ? 2 * EPS32 * layerValue(tfjs.rows, l, 'weightNorm', o) : 0;
        check(`${layerNames[l]}.${f}`, o + ROW.HEAD + l * ROW.PER_LAYER + j, floor);
      });
    }
  }
  if (!diverged) {
    // The weights after the last step, with 1e-4 of the layer's RMS weight as the floor.
    const perLayer = cfg.model.norm === 'none' ? 2 : 4;
    const layerOfVar = (i: number) => Math.min(Math.floor(i / perLayer), L - 1);
    const sq = new Array<number>(L).fill(0);
    const n = new Array<number>(L).fill(0);
    tfjs.weights.forEach((w, i) => {
      for (const x of w) sq[layerOfVar(i)] += x * x;
      n[layerOfVar(i)] += w.length;
    });
    tfjs.weights.forEach((w, i) => {
      const floor = REL * Math.sqrt(sq[layerOfVar(i)] / n[layerOfVar(i)]);
      const k = w.findIndex((x, k) => !agrees(typed.weights[i][k], x, floor));
      if (k >= 0) out.push(`variable ${i}[${k}] after ${p.steps} steps: typed ${typed.weights[i][k]} vs tfjs ${w[k]}`);
    });
  }
  return out;
}

const arbConfig: fc.Arbitrary<RunConfigInput> = fc
  .record({
    seed: fc.integer({ min: 0, max: 10_000 }),
    // the 2-D sets (plane a regression) and housing (a regression on 3 features)
    data: fc.constantFrom(...new Set([...POINT_DATASETS, ...REGRESSION_DATASETS])),
    standardize: fc.constantFrom(...STANDARDIZE),
    samples: fc.integer({ min: 16, max: 96 }),
    testFraction: fc.constantFrom(0, 0.25, 0.5),
    hidden: fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 1, maxLength: 6 }),
    activation: fc.constantFrom(...ACTIVATIONS),
    init: fc.constantFrom(...INITS),
    initGain: fc.constantFrom(0.5, 1, 1.5),
    norm: fc.constantFrom(...NORMS),
    residual: fc.boolean(),
    optimizer: fc.constantFrom(...OPTIMIZERS),
    lr: fc.constantFrom(0.001, 0.01, 0.05),
    epsilon: fc.constantFrom(1e-7, 1e-3),
    weightDecay: fc.constantFrom(0, 0, 0.05),
    schedule: fc.constantFrom(...SCHEDULES),
    warmupSteps: fc.integer({ min: 0, max: 3 }),
    clip: fc.constantFrom(...CLIP_MODES),
    threshold: fc.constantFrom(0.05, 0.5, 2),
    warmup: fc.integer({ min: 1, max: 3 }),
    l1: fc.constantFrom(0, 0, 0.001),
    l2: fc.constantFrom(0, 0, 0.01),
    skipNonFinite: fc.boolean(),
    batchSize: fc.integer({ min: 1, max: 16 }),
    steps: fc.integer({ min: 3, max: 8 }),
    evalEvery: fc.integer({ min: 0, max: 3 }),
  })
  .map(
    (r): RunConfigInput => ({
      seed: r.seed,
      data: { name: r.data, samples: r.samples, testFraction: r.testFraction, standardize: r.standardize },
      model: { arch: 'mlp', hidden: r.hidden, activation: r.activation, init: r.init, initGain: r.initGain, norm: r.norm, residual: r.residual },
      optimizer: {
        name: r.optimizer,
        lr: r.lr,
        epsilon: r.epsilon,
        weightDecay: r.weightDecay,
        schedule: { kind: r.schedule, warmupSteps: r.warmupSteps, stepSize: 2, gamma: 0.5 },
      },
      stabilizers: { clip: { mode: r.clip, threshold: r.threshold, warmup: r.warmup }, l1: r.l1, l2: r.l2, skipNonFinite: r.skipNonFinite },
      train: { batchSize: r.batchSize, steps: r.steps, evalEvery: r.evalEvery },
    }),
  );

afterAll(() => {
  console.log(`typed vs tfjs (cpu): ${tally.identical} of ${tally.values} values compared identical bit for bit`);
});

describe('typed vs tfjs engine, random configs in the typed domain', () => {
  const drawn = { regression: new Set<string>(), standardizedRegressions: 0, rawRegressions: 0, classifications: 0 };
  test('the same rows and weights within 1e-4 (fast-check)', async () => {
    const before = { ...tally };
    await fc.assert(
      fc.asyncProperty(arbConfig, async (input) => {
        const p = await trainBoth(input, input.train!.steps!);
        const name = p.cfg.data.name;
        if (REGRESSION_DATASETS.includes(name)) {
          drawn.regression.add(name);
          if (p.cfg.data.standardize === 'inputs_and_target') drawn.standardizedRegressions++;
          if (p.cfg.data.standardize === 'none') drawn.rawRegressions++;
        } else drawn.classifications++;
        expect(mismatches(p), JSON.stringify(input)).toEqual([]);
      }),
      { numRuns: 100, seed: 20261201, endOnFailure: true },
    );
    const values = tally.values - before.values;
    expect(values).toBeGreaterThan(10_000);
    // the runs drew regressions, raw and standardized, and classifications
    expect(drawn.regression.size).toBe(REGRESSION_DATASETS.length);
    expect(drawn.standardizedRegressions).toBeGreaterThan(0);
    expect(drawn.rawRegressions).toBeGreaterThan(0);
    expect(drawn.classifications).toBeGreaterThan(0);
    expect((tally.identical - before.identical) / values).toBeGreaterThan(0.99);
  });
});

describe('MLPs on images (pixels flattened, as the flatten layer of the tfjs model reads them)', () => {
  const cases: { id: string; run: RunConfigInput; steps: number }[] = [
    { id: 'shapes, relu, sgd', run: { seed: 2, data: { name: 'shapes', samples: 160 }, model: { hidden: [32, 16], activation: 'relu' }, train: { batchSize: 16, evalEvery: 4 } }, steps: 12 },
    {
      id: 'shapes, tanh, batch norm, adam, L2, global-norm clipping',
      run: { seed: 3, data: { name: 'shapes', samples: 160 }, model: { hidden: [16, 16], activation: 'tanh', norm: 'batch' }, optimizer: { name: 'adam', lr: 0.01 }, stabilizers: { l2: 1e-3, clip: { mode: 'global_norm', threshold: 0.5 } }, train: { batchSize: 8, evalEvery: 3 } },
      steps: 12,
    },
    { id: 'digits, relu, residual, layer norm, momentum', run: { seed: 4, data: { name: 'digits', samples: 200 }, model: { hidden: [24, 24, 24], activation: 'relu', norm: 'layer', residual: true }, optimizer: { name: 'momentum', lr: 0.05 }, train: { batchSize: 16, evalEvery: 5 } }, steps: 10 },
  ];
  test.each(cases)('$id', async ({ run, steps }) => {
    const p = await trainBoth(run, steps);
    expect(mismatches(p)).toEqual([]);
    // every value of these runs identical bit for bit on tfjs's cpu backend
    expect(sameBits(p.typed.rows, p.tfjs.rows)).toBe(true);
  });
});

describe('diverging runs: the same step, status and layer', () => {
  // Every run of every preset, for the steps its preset test trains it (presets.test.ts).
  // (Those the typed engine trains: every MLP, the scaling preset's regressions included; not the conv nets.)
  const presetRuns = PRESETS.flatMap((p) => presetExperiment(p).runs.map((run, i) => ({ id: `${p.id} / ${run.label}`, run, steps: p.checkSteps, expect: p.expect[i] }))).filter((c) => typedEngineSupports(c.run) === null);
  // divergence.test.ts's exploding net, its skipNonFinite: false twin, and a net whose
  // float32 gradient overflows for some batches only (divergence comes and goes).
  const EXPLODING: RunConfigInput = {
    model: { hidden: Array(8).fill(32), init: 'normal', initGain: 3 },
    optimizer: { name: 'momentum', lr: 0.1, momentum: 0.9 },
    train: { batchSize: 32, evalEvery: 0 },
  };
  const TRANSIENT = (name: 'momentum' | 'adam'): RunConfigInput => ({
    model: { hidden: Array(12).fill(32), init: 'normal', initGain: 50 },
    optimizer: { name, lr: name === 'adam' ? 1e-3 : 1e-22 },
    train: { batchSize: 2, evalEvery: 0 },
  });
  // The scaling preset (an MLP regression on housing, raw and standardized) for all of its steps.
  const scaling = presetExperiment(PRESETS.find((p) => p.id === 'scaling')!).runs;
  // A regression on plane that overflows: a linear output whose squared error grows without bound.
  const REGRESSION_EXPLODING: RunConfigInput = {
    data: { name: 'plane' },
    model: { hidden: [16, 16, 16], init: 'normal', initGain: 3 },
    optimizer: { name: 'momentum', lr: 0.5, momentum: 0.9 },
    train: { batchSize: 16, evalEvery: 2 },
  };
  const cases: { id: string; run: RunConfigInput; steps: number; expect?: string }[] = [
    ...presetRuns,
    ...scaling.map((run, i) => ({ id: `scaling preset, ${run.label}, all ${run.train.steps} steps`, run, steps: run.train.steps, expect: i === 0 ? 'diverges' : 'finite' })),
    { id: 'regression exploding, momentum', run: REGRESSION_EXPLODING, steps: 30, expect: 'diverges' },
    { id: 'regression exploding, skipNonFinite false', run: { ...REGRESSION_EXPLODING, stabilizers: { skipNonFinite: false } }, steps: 30, expect: 'diverges' },
    { id: 'exploding, momentum', run: EXPLODING, steps: 10, expect: 'diverges' },
    { id: 'exploding, skipNonFinite false', run: { ...EXPLODING, stabilizers: { skipNonFinite: false } }, steps: 8, expect: 'diverges' },
    { id: 'transient overflow, momentum', run: TRANSIENT('momentum'), steps: 16, expect: 'diverges' },
    { id: 'transient overflow, adam', run: TRANSIENT('adam'), steps: 16, expect: 'diverges' },
  ];

  test('the preset runs include the scaling preset’s regressions', () => {
    const ids = presetRuns.map((c) => c.id);
    for (const run of scaling) expect(ids).toContain(`scaling / ${run.label}`);
    expect(scaling.every((run) => run.data.name === 'housing')).toBe(true);
  });

  test.each(cases)('$id', async ({ run, steps, expect: outcome }) => {
    const p = await trainBoth(run, steps);
    const first = firstDiverged(p.tfjs.rows, steps, p.rowLength);
    if (outcome === 'diverges') expect(first, 'the tfjs run diverges').toBeGreaterThanOrEqual(0);
    if (outcome === 'finite') expect(first, 'the tfjs run stays finite').toBe(-1);
    expect(firstDiverged(p.typed.rows, steps, p.rowLength)).toBe(first);
    if (first >= 0) {
      const o = first * p.rowLength;
      expect(layerOfDivergence(p.typed.rows, o, p.layerNames)).toBe(layerOfDivergence(p.tfjs.rows, o, p.layerNames));
    }
    expect(mismatches(p)).toEqual([]);
  });
});
