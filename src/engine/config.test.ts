/**
 * The experiment schema (contract section 1); the share-URL codec (section 2)
 * is tested in shareLink.test.ts. Expected values are the contract's, written
 * out here by hand.
 */
import { describe, expect, test } from 'vitest';
import { defaultExperiment, parseExperiment, parseExperimentJson, type Experiment } from './config.ts';

type Errs = string[];

/** The errors of an input that must be refused (fails the test if it is accepted). */
function refused(input: unknown): Errs {
  const r = parseExperiment(input);
  if (r.ok) throw new Error(`accepted but should be refused: ${JSON.stringify(input)}`);
  expect(r.errors.length).toBeGreaterThan(0);
  return r.errors;
}

function accepted(input: unknown): Experiment {
  const r = parseExperiment(input);
  if (!r.ok) throw new Error(`refused but should be accepted: ${JSON.stringify(input)}: ${r.errors.join('; ')}`);
  return r.value;
}

/** Builds a run config with `value` at the dotted `path` (e.g. "data.samples"). */
function at(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let obj: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) obj = { [keys[i]]: obj };
  return obj as Record<string, unknown>;
}

// The contract's defaults, written out in full.
const CONTRACT_DEFAULT_RUN = {
  label: 'A',
  seed: 1,
  data: { name: 'spiral', samples: 512, noise: 0.1, testFraction: 0.2 },
  model: {
    arch: 'mlp',
    hidden: [16, 16, 16],
    activation: 'relu',
    init: 'he_normal',
    initGain: 1.0,
    norm: 'none',
    residual: false,
  },
  optimizer: {
    name: 'sgd',
    lr: 0.01,
    momentum: 0.9,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    weightDecay: 0.0,
    schedule: { kind: 'constant', warmupSteps: 0 },
  },
  stabilizers: {
    clip: { mode: 'none', threshold: 1.0 },
    l1: 0.0,
    l2: 0.0,
    skipNonFinite: true,
  },
  train: { batchSize: 32, steps: 500 },
};

describe('defaults', () => {
  test('a bare {} run gets every default value of the contract', () => {
    const exp = accepted({});
    expect(exp.v).toBe(1);
    expect(exp.runs).toHaveLength(1);
    // toMatchObject: the engine may add extension fields, but every contract default must be there.
    expect(exp.runs[0]).toMatchObject(CONTRACT_DEFAULT_RUN);
  });

  test('{v:1, runs:[{}]} gives the same experiment as a bare {}', () => {
    expect(accepted({ v: 1, runs: [{}] })).toEqual(accepted({}));
    expect(defaultExperiment()).toEqual(accepted({}));
  });

  test('partial sub-objects keep the other defaults', () => {
    const run = accepted({ data: { noise: 0.5 }, optimizer: { schedule: { kind: 'cosine' } } }).runs[0];
    expect(run.data).toMatchObject({ name: 'spiral', samples: 512, noise: 0.5, testFraction: 0.2 });
    expect(run.optimizer.schedule).toMatchObject({ kind: 'cosine', warmupSteps: 0 });
    expect(run.optimizer.lr).toBe(0.01);
  });

  test('a bare run config is accepted as {v:1, runs:[it]}', () => {
    const bare = { label: 'deep', model: { hidden: [8, 8] }, optimizer: { name: 'adam', lr: 0.001 } };
    expect(accepted(bare)).toEqual(accepted({ v: 1, runs: [bare] }));
    expect(accepted(bare).runs[0].label).toBe('deep');
  });

  test('experiment without v is read as version 1', () => {
    expect(accepted({ runs: [{}, { seed: 2 }] }).runs.map((r) => r.seed)).toEqual([1, 2]);
  });
});

describe('enums', () => {
  const ENUMS: [string, string[]][] = [
    ['data.name', ['circle', 'xor', 'gauss', 'spiral', 'moons']],
    ['model.arch', ['mlp']],
    ['model.activation', ['relu', 'leaky_relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'linear']],
    ['model.init', ['he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'normal', 'orthogonal']],
    ['model.norm', ['none', 'batch', 'layer']],
    ['optimizer.name', ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamax', 'adamw']],
    ['optimizer.schedule.kind', ['constant', 'step', 'exp', 'cosine']],
    ['stabilizers.clip.mode', ['none', 'global_norm', 'layer_norm', 'value', 'agc', 'adaptive']],
  ];
  for (const [path, values] of ENUMS) {
    test(`${path}: every contract value accepted, others refused with the allowed values`, () => {
      for (const v of values) {
        const run = accepted(at(path, v)).runs[0] as unknown as Record<string, unknown>;
        const got = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], run);
        expect(got).toBe(v);
      }
      for (const bad of ['bogus', 'RELU', '', 3, null, true]) {
        const errs = refused(at(path, bad));
        expect(errs).toHaveLength(1);
        expect(errs[0].startsWith(`runs[0].${path}: `)).toBe(true);
        // names the allowed values
        for (const v of values) expect(errs[0]).toContain(v);
      }
    });
  }

  test('shapes works with both archs; cnn needs shapes', () => {
    accepted({ data: { name: 'shapes' } });
    accepted({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [8, 8] } });
    for (const name of ['circle', 'xor', 'gauss', 'spiral', 'moons']) {
      const errs = refused({ data: { name }, model: { arch: 'cnn' } });
      expect(errs.some((e) => e.startsWith('runs[0].model.arch: ') && e.includes('shapes'))).toBe(true);
    }
  });

  test('booleans must be booleans', () => {
    for (const path of ['model.residual', 'stabilizers.skipNonFinite']) {
      accepted(at(path, true));
      accepted(at(path, false));
      for (const bad of [0, 1, 'true', null]) expect(refused(at(path, bad))[0]).toMatch(new RegExp(`^runs\\[0\\]\\.${path.replace('.', '\\.')}: `));
    }
  });
});

describe('ranges', () => {
  // [path, smallest allowed, largest allowed, refused values, integer?]
  const RANGES: [string, number, number | null, number[], boolean][] = [
    ['data.samples', 16, 20000, [15, 20001, 100.5, -1], true],
    ['data.noise', 0, 1, [-0.01, 1.01], false],
    ['data.testFraction', 0, 0.9, [-0.1, 0.91], false],
    ['model.initGain', 1e-6, null, [0, -1], false],
    ['optimizer.lr', 0, null, [-1e-9, -1], false],
    ['train.batchSize', 1, 4096, [0, 4097, 2.5], true],
    ['train.steps', 1, 1_000_000, [0, 1_000_001, 10.5], true],
    ['seed', 0, 4294967295, [-1, 4294967296, 1.5], true],
  ];
  for (const [path, lo, hi, bad, isInt] of RANGES) {
    test(`${path}: ${lo}..${hi ?? '∞'} (${isInt ? 'integer' : 'number'})`, () => {
      expect(accepted(at(path, lo))).toBeTruthy();
      if (hi !== null) expect(accepted(at(path, hi))).toBeTruthy();
      for (const b of bad) {
        const errs = refused(at(path, b));
        expect(errs).toHaveLength(1);
        expect(errs[0]).toMatch(new RegExp(`^runs\\[0\\]\\.${path.replace(/\./g, '\\.')}: must be `));
        expect(errs[0]).toContain(`got ${b}`);
        if (hi !== null) expect(errs[0]).toContain(`${lo}..${hi}`);
        if (isInt) expect(errs[0]).toContain('integer');
      }
    });
  }

  test('the contract example message, verbatim', () => {
    const errs = refused({ v: 1, runs: [{}, { model: { hidden: [16, 16, 16, 5000] } }] });
    expect(errs).toEqual(['runs[1].model.hidden[3]: must be an integer 1..1024, got 5000']);
  });

  test('model.hidden: 1..64 layers of 1..1024 units', () => {
    accepted({ model: { hidden: [1] } });
    accepted({ model: { hidden: [1024] } });
    accepted({ model: { hidden: Array(64).fill(1) } });
    expect(refused({ model: { hidden: [] } })[0]).toMatch(/^runs\[0\]\.model\.hidden: .*1\.\.64/);
    expect(refused({ model: { hidden: Array(65).fill(1) } })[0]).toMatch(/^runs\[0\]\.model\.hidden: .*1\.\.64/);
    expect(refused({ model: { hidden: [4, 0] } })).toEqual(['runs[0].model.hidden[1]: must be an integer 1..1024, got 0']);
    expect(refused({ model: { hidden: [1025] } })).toEqual(['runs[0].model.hidden[0]: must be an integer 1..1024, got 1025']);
    expect(refused({ model: { hidden: [4, 4.5] } })[0]).toMatch(/^runs\[0\]\.model\.hidden\[1\]: must be an integer 1\.\.1024/);
    expect(refused({ model: { hidden: 16 } })[0]).toMatch(/^runs\[0\]\.model\.hidden: /);
  });

  test('cnn: at most 128 filters per layer', () => {
    accepted({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [128, 1] } });
    const errs = refused({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [8, 129] } });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^runs\[0\]\.model\.hidden\[1\]: must be an integer 1\.\.128.*got 129$/);
    // an MLP may have 129 units
    accepted({ data: { name: 'shapes' }, model: { arch: 'mlp', hidden: [129] } });
  });

  test('label: a string of at most 40 characters', () => {
    accepted({ label: '' });
    accepted({ label: 'x'.repeat(40) });
    expect(refused({ label: 'x'.repeat(41) })[0]).toMatch(/^runs\[0\]\.label: .*40/);
    expect(refused({ label: 7 })[0]).toMatch(/^runs\[0\]\.label: /);
  });

  test('1..4 runs', () => {
    for (let n = 1; n <= 4; n++) expect(accepted({ v: 1, runs: Array(n).fill({}) }).runs).toHaveLength(n);
    expect(refused({ v: 1, runs: [] })[0]).toMatch(/^runs: .*1\.\.4/);
    expect(refused({ v: 1, runs: Array(5).fill({}) })[0]).toMatch(/^runs: .*1\.\.4/);
    expect(refused({ v: 1, runs: {} })[0]).toMatch(/^runs: /);
    expect(refused({ v: 1 })[0]).toMatch(/^runs: /);
  });

  test('NaN, ±Infinity and numeric strings are refused for every numeric field', () => {
    const numeric = [
      'seed',
      'data.samples',
      'data.noise',
      'data.testFraction',
      'model.initGain',
      'optimizer.lr',
      'optimizer.momentum',
      'optimizer.beta1',
      'optimizer.beta2',
      'optimizer.epsilon',
      'optimizer.weightDecay',
      'optimizer.schedule.warmupSteps',
      'stabilizers.clip.threshold',
      'stabilizers.l1',
      'stabilizers.l2',
      'train.batchSize',
      'train.steps',
    ];
    for (const path of numeric) {
      for (const bad of [NaN, Infinity, -Infinity, '1', '0.5', null, [1], {}]) {
        const errs = refused(at(path, bad));
        expect(errs, `${path} = ${String(bad)}`).toHaveLength(1);
        expect(errs[0].startsWith(`runs[0].${path}: must be`), errs[0]).toBe(true);
      }
    }
    expect(refused({ model: { hidden: [16, NaN] } })[0]).toMatch(/^runs\[0\]\.model\.hidden\[1\]: .*got NaN/);
  });

  test('several errors are all reported, each with its path', () => {
    const errs = refused({ v: 1, runs: [{ seed: -1 }, { data: { noise: 2 }, train: { batchSize: 0 } }] });
    expect(errs).toHaveLength(3);
    expect(errs.some((e) => e.startsWith('runs[0].seed: '))).toBe(true);
    expect(errs.some((e) => e.startsWith('runs[1].data.noise: '))).toBe(true);
    expect(errs.some((e) => e.startsWith('runs[1].train.batchSize: '))).toBe(true);
  });
});

describe('unknown fields and versions', () => {
  test('unknown fields are refused at every depth, with their path', () => {
    expect(refused({ v: 1, runs: [{}], extra: 1 })).toEqual(['extra: unknown field']);
    expect(refused({ lable: 'A' })).toEqual(['runs[0].lable: unknown field']);
    expect(refused({ v: 1, runs: [{}, { data: { size: 3 } }] })).toEqual(['runs[1].data.size: unknown field']);
    expect(refused({ model: { depth: 3 } })).toEqual(['runs[0].model.depth: unknown field']);
    expect(refused({ optimizer: { schedule: { period: 3 } } })).toEqual(['runs[0].optimizer.schedule.period: unknown field']);
    expect(refused({ stabilizers: { clip: { norm: 3 } } })).toEqual(['runs[0].stabilizers.clip.norm: unknown field']);
    expect(refused({ stabilizers: { clipping: 'global_norm' } })).toEqual(['runs[0].stabilizers.clipping: unknown field']);
    expect(refused({ train: { epochs: 3 } })).toEqual(['runs[0].train.epochs: unknown field']);
  });

  test('an old or unknown version is refused clearly', () => {
    for (const v of [0, 2, '1', null, 1.5]) {
      const errs = refused({ v, runs: [{}] });
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatch(/^v: must be 1\b/);
      expect(errs[0]).toContain('version');
    }
  });

  test('non-objects are refused with a message, not an exception', () => {
    for (const x of [null, undefined, 3, 'text', [], [{}], true]) expect(refused(x)[0]).toMatch(/must be an object/);
    expect(refused({ v: 1, runs: [3] })[0]).toMatch(/^runs\[0\]: /);
  });

  test('JSON text: invalid JSON gives a message', () => {
    const r = parseExperimentJson('{"model": {"hidden": [16,');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/not valid JSON/);
    const ok = parseExperimentJson('{"train":{"steps":7}}');
    expect(ok.ok && ok.value.runs[0].train.steps).toBe(7);
  });
});
