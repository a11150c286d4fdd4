/**
 * Optimizer update rules against tfjs's own optimizers (tf.train.*, an independent
 * implementation) where tfjs follows PyTorch's conventions (sgd, momentum, nesterov,
 * adam), and against PyTorch's formulas written out here in float64 where it does not
 * (adagrad, rmsprop, adamax; adadelta as Zeiler 2012 and PyTorch); AdamW's decoupled decay; learning-rate schedules against their closed forms;
 * and the trainer's use of the rule, the schedule and the recorded lr.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import * as tf from './tf.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import { BatchStream } from './data/datasets.ts';
import { OPTIMIZER_HYPER, optimizerUses } from './fields.ts';
import { OPTIMIZERS, type OptimizerName } from './meta.ts';
import { crossEntropy, forward } from './model.ts';
import { OPTIMIZER_RULES, learningRateAt, type OptimizerConfig } from './optimizers.ts';
import { makeRng } from './rng.ts';
import { Trainer } from './trainer.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

const SHAPES = [[7, 5], [5], [3, 3, 2, 4]];
const STEPS = 6;

function optCfg(o: RunConfigInput['optimizer']): OptimizerConfig {
  return defaultRunConfig({ optimizer: o }).optimizer;
}

/** Initial weights and a sequence of gradients (scales change over time, signs flip). */
function problem(seed: string) {
  const rng = makeRng(seed);
  const w0 = SHAPES.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal()));
  const grads: Float32Array[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const scale = Math.pow(10, rng.uniform(-2, 1));
    grads.push(w0.map((w) => Float32Array.from(w, () => scale * rng.normal())));
  }
  return { w0, grads };
}

/** Applies the engine's rule for STEPS steps; returns the weights after each step. */
function runRule(name: OptimizerName, cfg: OptimizerConfig, lr: number, seed: string): Float32Array[][] {
  const { w0, grads } = problem(seed);
  const rule = OPTIMIZER_RULES[name];
  let w = w0.map((x, i) => tf.tensor(x, SHAPES[i]));
  let slots = w.map((x) => rule.slots.map((s) => tf.fill(x.shape, s.init)));
  const out: Float32Array[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const next = tf.tidy(() =>
      w.map((wi, i) => {
        const r = rule.update({ w: wi, g: tf.tensor(grads[t][i], SHAPES[i]), slots: slots[i], lr: tf.scalar(lr), t: tf.scalar(t + 1), cfg });
        return { w: r.w, slots: r.slots };
      }),
    );
    tf.dispose([...w, ...slots.flat()]);
    w = next.map((n) => n.w);
    slots = next.map((n) => n.slots);
    out.push(w.map((x) => x.dataSync() as Float32Array));
  }
  tf.dispose([...w, ...slots.flat()]);
  return out;
}

/** The same problem through a tf.train optimizer. */
function runTfjs(make: () => tf.Optimizer, seed: string): Float32Array[][] {
  const { w0, grads } = problem(seed);
  const vars = w0.map((x, i) => tf.variable(tf.tensor(x, SHAPES[i]), true, `ref-${seed}-${i}-${Math.random()}`));
  const opt = make();
  const out: Float32Array[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const g = grads[t].map((x, i) => ({ name: vars[i].name, tensor: tf.tensor(x, SHAPES[i]) }));
    opt.applyGradients(g);
    tf.dispose(g.map((x) => x.tensor));
    out.push(vars.map((v) => v.dataSync() as Float32Array));
  }
  opt.dispose();
  tf.dispose(vars);
  return out;
}

function expectAllClose(a: Float32Array[][], b: Float32Array[][], rtol: number, atol: number): void {
  let worst = 0;
  for (let t = 0; t < a.length; t++) {
    for (let i = 0; i < a[t].length; i++) {
      for (let k = 0; k < a[t][i].length; k++) {
        const x = a[t][i][k];
        const y = b[t][i][k];
        const err = Math.abs(x - y) / (atol + rtol * Math.abs(y));
        worst = Math.max(worst, err);
        if (!(err <= 1)) throw new Error(`step ${t} var ${i}[${k}]: ${x} vs reference ${y}`);
      }
    }
  }
  expect(worst).toBeLessThanOrEqual(1);
}

/** Moves of each step (w_t − w_{t−1}); the comparison also covers the size of the step. */
function moved(a: Float32Array[][], w0: Float32Array[]): number {
  return Math.max(...a[0].map((w, i) => Math.max(...w.map((x, k) => Math.abs(x - w0[i][k])))));
}

describe('update rules against tf.train', () => {
  const cases: [OptimizerName, RunConfigInput['optimizer'], () => tf.Optimizer][] = [
    ['sgd', { lr: 0.1 }, () => tf.train.sgd(0.1)],
    ['momentum', { lr: 0.05, momentum: 0.8 }, () => tf.train.momentum(0.05, 0.8, false)],
    ['nesterov', { lr: 0.05, momentum: 0.8 }, () => tf.train.momentum(0.05, 0.8, true)],
    ['adam', { lr: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6 }, () => tf.train.adam(0.01, 0.8, 0.95, 1e-6)],
  ];
  for (const [name, o, make] of cases) {
    test(`${name} matches tf.train over ${STEPS} steps`, () => {
      for (const seed of ['a', 'b', 'c']) {
        const cfg = optCfg({ name, ...o });
        const mine = runRule(name, cfg, cfg.lr, `${name}${seed}`);
        const ref = runTfjs(make, `${name}${seed}`);
        expectAllClose(mine, ref, 2e-5, 1e-6);
        expect(moved(ref, problem(`${name}${seed}`).w0)).toBeGreaterThan(1e-4); // the steps are not trivial
      }
    });
  }

  /**
   * PyTorch's torch.optim updates (no dampening, no lr decay, not centered), in float64,
   * element by element: s, b, m, u the rule's state (all start at 0).
   */
  const PYTORCH: Partial<Record<OptimizerName, (w: number, g: number, st: number[], o: OptimizerConfig, lr: number, t: number) => number>> = {
    // state_sum += g²; w −= lr·g/(√state_sum + eps)
    adagrad: (w, g, st, o, lr) => {
      st[0] += g * g;
      return w - (lr * g) / (Math.sqrt(st[0]) + o.epsilon);
    },
    // square_avg = α·square_avg + (1−α)·g²; buf = μ·buf + g/(√square_avg + eps); w −= lr·buf
    rmsprop: (w, g, st, o, lr) => {
      st[0] = o.rho * st[0] + (1 - o.rho) * g * g;
      st[1] = o.momentum * st[1] + g / (Math.sqrt(st[0]) + o.epsilon);
      return w - lr * st[1];
    },
    // exp_avg = β₁·m + (1−β₁)·g; exp_inf = max(β₂·u, |g| + eps); w −= lr/(1−β₁ᵗ)·exp_avg/exp_inf
    adamax: (w, g, st, o, lr, t) => {
      st[0] = o.beta1 * st[0] + (1 - o.beta1) * g;
      st[1] = Math.max(o.beta2 * st[1], Math.abs(g) + o.epsilon);
      return w - ((lr / (1 - Math.pow(o.beta1, t))) * st[0]) / st[1];
    },
  };
  const pytorchCases: [OptimizerName, RunConfigInput['optimizer']][] = [
    ['adagrad', { lr: 0.1, epsilon: 1e-7 }],
    ['rmsprop', { lr: 0.01, rho: 0.85, momentum: 0.7, epsilon: 1e-6 }],
    ['rmsprop', { lr: 0.01, rho: 0.9, momentum: 0, epsilon: 1e-8 }],
    ['adamax', { lr: 0.02, beta1: 0.85, beta2: 0.97, epsilon: 1e-6 }],
  ];
  for (const [name, o] of pytorchCases) {
    test(`${name} (momentum ${o?.momentum ?? '-'}) follows PyTorch's update, written out here in float64`, () => {
      for (const seed of ['a', 'b', 'c']) {
        const cfg = optCfg({ name, ...o });
        const mine = runRule(name, cfg, cfg.lr, `${name}${seed}`);
        const { w0, grads } = problem(`${name}${seed}`);
        const w = w0.map((x) => Float64Array.from(x));
        const state = w0.map((x) => Array.from(x, () => [0, 0]));
        const ref: Float32Array[][] = [];
        for (let t = 0; t < STEPS; t++) {
          w.forEach((wi, i) => wi.forEach((x, k) => (wi[k] = PYTORCH[name]!(x, grads[t][i][k], state[i][k], cfg, cfg.lr, t + 1))));
          ref.push(w.map((x) => Float32Array.from(x)));
        }
        expectAllClose(mine, ref, 2e-5, 1e-6);
        expect(moved(ref, w0)).toBeGreaterThan(1e-4); // the steps are not trivial
      }
    });
  }

  test('adagrad: the first step from a zero accumulator moves every weight by about lr (PyTorch), not 31.6× less for |g| = 0.01 (Keras: accumulator 0.1)', () => {
    const cfg = optCfg({ name: 'adagrad', lr: 0.1, epsilon: 1e-10 });
    const r = tf.tidy(() => {
      const g = tf.fill([4], 0.01);
      const u = OPTIMIZER_RULES.adagrad.update({ w: tf.zeros([4]), g, slots: [tf.zeros([4])], lr: tf.scalar(0.1), t: tf.scalar(1), cfg });
      return u.w.dataSync();
    });
    for (const x of r) expect(x).toBeCloseTo(-0.1, 6);
  });

  test('adadelta matches Zeiler (2012) / Keras, written out here', () => {
    for (const seed of ['a', 'b']) {
      const rho = 0.9;
      const eps = 1e-6;
      const lr = 1.0;
      const cfg = optCfg({ name: 'adadelta', lr, rho, epsilon: eps });
      const mine = runRule('adadelta', cfg, lr, `adadelta${seed}`);
      const { w0, grads } = problem(`adadelta${seed}`);
      // float64 reference:
      //   E[g²]_t  = ρ·E[g²]_{t−1} + (1−ρ)·g²
      //   Δx       = −√(E[Δx²]_{t−1} + ε) / √(E[g²]_t + ε) · g
      //   E[Δx²]_t = ρ·E[Δx²]_{t−1} + (1−ρ)·Δx²
      //   x       += lr·Δx
      const w = w0.map((x) => Float64Array.from(x));
      const eg = w0.map((x) => new Float64Array(x.length));
      const ex = w0.map((x) => new Float64Array(x.length));
      const ref: Float32Array[][] = [];
      for (let t = 0; t < STEPS; t++) {
        for (let i = 0; i < w.length; i++) {
          for (let k = 0; k < w[i].length; k++) {
            const g = grads[t][i][k];
            eg[i][k] = rho * eg[i][k] + (1 - rho) * g * g;
            const dx = (-Math.sqrt(ex[i][k] + eps) / Math.sqrt(eg[i][k] + eps)) * g;
            ex[i][k] = rho * ex[i][k] + (1 - rho) * dx * dx;
            w[i][k] += lr * dx;
          }
        }
        ref.push(w.map((x) => Float32Array.from(x)));
      }
      expectAllClose(mine, ref, 1e-4, 1e-6);
      expect(moved(ref, w0)).toBeGreaterThan(1e-4);
    }
  });
});

/** Largest difference between two weight histories. */
function maxDiff(a: Float32Array[][], b: Float32Array[][]): number {
  let worst = 0;
  a.forEach((step, t) => step.forEach((w, i) => w.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - b[t][i][k]))))));
  return worst;
}

describe('each rule reads exactly the settings it declares', () => {
  /** A valid value far from the default of every numeric optimizer setting. */
  const OTHER = { lr: 0.5, momentum: 0.5, rho: 0.5, beta1: 0.5, beta2: 0.9, epsilon: 0.1, weightDecay: 0.1 } as const;
  const LR = 0.05;

  for (const name of OPTIMIZERS) {
    test(`${name}: ${OPTIMIZER_HYPER[name].join(', ') || 'nothing but lr'}`, () => {
      const rule = OPTIMIZER_RULES[name];
      expect(rule.reads).toEqual(OPTIMIZER_HYPER[name]);
      const cfg = optCfg({ name });
      const ref = runRule(name, cfg, LR, 'reads');
      for (const [k, v] of Object.entries(OTHER) as [keyof typeof OTHER, number][]) {
        const diff = maxDiff(runRule(name, { ...cfg, [k]: v }, LR, 'reads'), ref);
        // lr reaches the rule as its argument, weightDecay through the trainer: never from cfg.
        if ((rule.reads as readonly string[]).includes(k)) expect(diff, `${name} with ${k} = ${v}`).toBeGreaterThan(1e-4);
        else expect(diff, `${name} with ${k} = ${v}`).toBe(0);
      }
      expect(maxDiff(runRule(name, cfg, 2 * LR, 'reads'), ref), `${name} with twice the lr`).toBeGreaterThan(1e-4);
      expect(new Set(optimizerUses(name))).toEqual(new Set(['lr', ...rule.reads, 'weightDecay']));
    });
  }

  test('every optimizer: weightDecay changes the trainer\'s step (decoupled decay outside the rule)', async () => {
    for (const name of OPTIMIZERS) {
      const mk = (weightDecay: number) =>
        new Trainer(defaultRunConfig({ data: { name: 'circle', samples: 64 }, model: { hidden: [4] }, optimizer: { name, weightDecay }, train: { batchSize: 16, evalEvery: 0 } }));
      const plain = mk(0);
      const decayed = mk(0.1);
      try {
        await plain.runSteps(1);
        await decayed.runSteps(1);
        const a = await plain.snapshot();
        const b = await decayed.snapshot();
        expect(Math.max(...a.map((w, i) => Math.max(...w.map((x, k) => Math.abs(x - b[i][k]))))), name).toBeGreaterThan(1e-5);
      } finally {
        plain.dispose();
        decayed.dispose();
      }
    }
  });
});

describe('learning-rate schedules', () => {
  type ScheduleInput = NonNullable<NonNullable<RunConfigInput['optimizer']>['schedule']>;
  const cfg = (schedule: ScheduleInput, lr = 0.1) => optCfg({ lr, schedule });

  test('constant', () => {
    for (const t of [0, 1, 10, 999]) expect(learningRateAt(cfg({ kind: 'constant' }), 1000, t)).toBe(0.1);
  });

  test('linear warm-up from lr/W to lr, then the schedule', () => {
    const c = cfg({ kind: 'constant', warmupSteps: 4 });
    expect([0, 1, 2, 3, 4, 5].map((t) => learningRateAt(c, 100, t))).toEqual([0.025, 0.05, 0.075, 0.1, 0.1, 0.1].map((x) => expect.closeTo(x, 12)));
  });

  test('step decay: lr·γ^⌊(t−W)/stepSize⌋', () => {
    const c = cfg({ kind: 'step', stepSize: 10, gamma: 0.5, warmupSteps: 0 });
    const expected: [number, number][] = [
      [0, 0.1],
      [9, 0.1],
      [10, 0.05],
      [19, 0.05],
      [20, 0.025],
      [35, 0.0125],
    ];
    for (const [t, v] of expected) expect(learningRateAt(c, 100, t)).toBeCloseTo(v, 12);
    const w = cfg({ kind: 'step', stepSize: 10, gamma: 0.1, warmupSteps: 5 });
    expect(learningRateAt(w, 100, 0)).toBeCloseTo(0.02, 12);
    expect(learningRateAt(w, 100, 14)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(w, 100, 15)).toBeCloseTo(0.01, 12);
  });

  test('exponential: lr·γ^((t−W)/stepSize)', () => {
    const c = cfg({ kind: 'exp', stepSize: 10, gamma: 0.5 });
    expect(learningRateAt(c, 100, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(c, 100, 5)).toBeCloseTo(0.1 / Math.SQRT2, 12);
    expect(learningRateAt(c, 100, 10)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(c, 100, 30)).toBeCloseTo(0.0125, 12);
  });

  test('cosine: lr·(f + (1−f)·½(1+cos(π(t−W)/(T−1−W)))) from lr down to lr·f at the last step', () => {
    // 101 steps: t = 0 … 100, the last one at the end of the curve.
    const c = cfg({ kind: 'cosine', minFactor: 0 });
    expect(learningRateAt(c, 101, 0)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(c, 101, 50)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(c, 101, 25)).toBeCloseTo(0.1 * (0.5 + 0.5 * Math.SQRT1_2), 12);
    expect(learningRateAt(c, 101, 100)).toBeCloseTo(0, 12);
    // 20 steps, minFactor 0: the last step's rate is 0 (it was lr·0.0062).
    expect(learningRateAt(c, 20, 19)).toBeCloseTo(0, 12);
    const f = cfg({ kind: 'cosine', minFactor: 0.2, warmupSteps: 20 });
    expect(learningRateAt(f, 121, 9)).toBeCloseTo(0.05, 12); // warm-up (9+1)/20
    expect(learningRateAt(f, 121, 20)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(f, 121, 70)).toBeCloseTo(0.1 * (0.2 + 0.8 * 0.5), 12);
    expect(learningRateAt(f, 121, 120)).toBeCloseTo(0.02, 12);
    // monotone non-increasing after the warm-up
    let prev = Infinity;
    for (let t = 20; t < 121; t++) {
      const v = learningRateAt(f, 121, t);
      expect(v).toBeLessThanOrEqual(prev);
      prev = v;
    }
  });
});

describe('the trainer applies the rule with the recorded lr', () => {
  const data = { name: 'circle', samples: 128 } as const;
  const model = { hidden: [8, 8] };

  test('sgd: updateNorm = lr·gradNorm per layer, with lr from the schedule (warm-up + step decay)', async () => {
    const cfg = defaultRunConfig({
      data,
      model,
      optimizer: { name: 'sgd', lr: 0.5, schedule: { kind: 'step', warmupSteps: 4, stepSize: 3, gamma: 0.5 } },
      train: { steps: 12, batchSize: 16, evalEvery: 0 },
    });
    const tr = new Trainer(cfg);
    try {
      const rs = await tr.runSteps(12);
      // closed form: warm-up 0.5·(t+1)/4, then 0.5·0.5^⌊(t−4)/3⌋
      const expected = [0.125, 0.25, 0.375, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125];
      rs.forEach((r, t) => {
        expect(r.step).toBe(t);
        expect(r.lr).toBeCloseTo(expected[t], 12);
        expect(r.status).toBe('ok');
        for (const l of r.layers) {
          expect(Math.abs(l.updateNorm / (r.lr * l.gradNorm) - 1), `step ${t} ${l.name}`).toBeLessThan(2e-3);
        }
      });
    } finally {
      tr.dispose();
    }
  });

  /**
   * Reference: the same model (same seed) trained with tf.train.<opt>.minimize on the
   * same batches (BatchStream with the run's seed), loss = mean cross-entropy.
   */
  async function compareWithTfjs(name: OptimizerName, o: RunConfigInput['optimizer'], make: () => tf.Optimizer, steps: number) {
    const cfg = defaultRunConfig({ data, model, optimizer: { name, ...o }, train: { steps, batchSize: 16, evalEvery: 0 } });
    const tr = new Trainer(cfg);
    const ref = new Trainer(cfg); // only its model and data are used
    const opt = make();
    try {
      await tr.runSteps(steps);
      const batches = new BatchStream(ref.data.nTrain, cfg.seed);
      const x = tf.tensor2d(ref.data.xTrain, [ref.data.nTrain, 2]);
      const y = tf.oneHot(tf.tensor1d(ref.data.yTrain, 'int32'), 2);
      for (let s = 0; s < steps; s++) {
        const idx = tf.tensor1d(batches.next(16), 'int32');
        opt.minimize(() => crossEntropy(forward(ref.model, tf.gather(x, idx), { training: true }), tf.cast(tf.gather(y, idx), 'float32')), false, ref.model.trainable);
        idx.dispose();
      }
      tf.dispose([x, y]);
      const a = await tr.snapshot();
      const b = await ref.snapshot();
      let worst = 0;
      a.forEach((w, i) => w.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - b[i][k]) / (1e-5 + 1e-4 * Math.abs(b[i][k]))))));
      expect(worst).toBeLessThanOrEqual(1);
      // and training did move the weights
      const init = new Trainer(cfg);
      const w0 = await init.snapshot();
      init.dispose();
      expect(Math.max(...a.map((w, i) => Math.max(...w.map((v, k) => Math.abs(v - w0[i][k])))))).toBeGreaterThan(1e-3);
    } finally {
      opt.dispose();
      tr.dispose();
      ref.dispose();
    }
  }

  test('adam through the trainer (slots, bias correction with the step count) = tf.train.adam', async () => {
    await compareWithTfjs('adam', { lr: 0.01 }, () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), 8);
  });

  test('momentum through the trainer = tf.train.momentum', async () => {
    await compareWithTfjs('momentum', { lr: 0.1, momentum: 0.9 }, () => tf.train.momentum(0.1, 0.9), 8);
  });

  test('adamw = adam plus w ← w − lr·λ·w (decoupled), and = adam when λ = 0', async () => {
    const lr = 0.05;
    const wd = 0.3;
    const mk = (name: OptimizerName, weightDecay: number) =>
      new Trainer(defaultRunConfig({ data, model, optimizer: { name, lr, weightDecay }, train: { batchSize: 16, evalEvery: 0 } }));
    const adam = mk('adam', 0);
    const adamw = mk('adamw', wd);
    const adamw0 = mk('adamw', 0);
    try {
      const w0 = await adam.snapshot();
      const ra = await adam.runSteps(1);
      const rw = await adamw.runSteps(1);
      const a1 = await adam.snapshot();
      const w1 = await adamw.snapshot();
      // the same gradient at step 0 (same weights and batch), so the difference is the decay alone
      expect(rw[0].gradNorm).toBe(ra[0].gradNorm);
      let checked = 0;
      w1.forEach((w, i) =>
        w.forEach((v, k) => {
          const expected = a1[i][k] - lr * wd * w0[i][k];
          expect(Math.abs(v - expected)).toBeLessThan(2e-6 + 1e-5 * Math.abs(expected));
          if (Math.abs(lr * wd * w0[i][k]) > 1e-3) checked++;
        }),
      );
      expect(checked).toBeGreaterThan(20);
      // λ = 0: identical to adam over several steps
      const rs0 = await adamw0.runSteps(6);
      const rsA = [...ra, ...(await adam.runSteps(5))];
      expect(rs0.map((r) => r.loss)).toEqual(rsA.map((r) => r.loss));
    } finally {
      adam.dispose();
      adamw.dispose();
      adamw0.dispose();
    }
  });
});
