/**
 * Fixtures of the fuzz tests of the experiment parser (config.fuzz.test.ts) and
 * the share-URL codec (shareLink.fuzz.test.ts): the contract's values (section
 * 1) written out independent of the schema, `contractViolations` (what in an
 * accepted experiment is outside the contract), and fast-check generators of
 * valid experiments. Nothing outside those tests imports this file.
 */
import fc from 'fast-check';

// The contract's values, written out here (section 1), independent of the schema.

const DATASETS = ['circle', 'xor', 'gauss', 'spiral', 'moons', 'shapes', 'digits', 'plane', 'housing', 'csv'];
const IMAGE_DATASETS = ['shapes', 'digits'];
const ARCHS = ['mlp', 'cnn'];
const ACTIVATIONS = ['relu', 'leaky_relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'];
const INITS = ['he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'normal', 'orthogonal'];
const NORMS = ['none', 'batch', 'layer'];
const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamax', 'adamw'];
const SCHEDULES = ['constant', 'step', 'exp', 'cosine'];
const CLIP_MODES = ['none', 'global_norm', 'layer_norm', 'value', 'agc', 'adaptive'];
export const MAX_LABEL = 40;
const MAX_RUNS = 4;
export const UINT32_MAX = 4294967295;

/** Numeric ranges the contract states ([lo, hi], int). */
export const RANGES: Record<string, { lo: number; hi: number; int: boolean }> = {
  seed: { lo: 0, hi: UINT32_MAX, int: true },
  samples: { lo: 16, hi: 20000, int: true },
  noise: { lo: 0, hi: 1, int: false },
  testFraction: { lo: 0, hi: 0.9, int: false },
  batchSize: { lo: 1, hi: 4096, int: true },
  steps: { lo: 1, hi: 1_000_000, int: true },
  hidden: { lo: 1, hi: 1024, int: true }, // units; cnn filters 1..128
};

/**
 * Fields of each object: the contract's, plus the optional extensions this gradscope
 * documents (schedule stepSize/gamma/minFactor, rmsprop/adadelta rho, adaptive clip
 * z/warmup, train.evalEvery). Anything else in an accepted config is a bug.
 */
const FIELDS: Record<string, string[]> = {
  run: ['label', 'seed', 'data', 'model', 'optimizer', 'stabilizers', 'train'],
  data: ['name', 'samples', 'noise', 'testFraction', 'standardize', 'task', 'target', 'csv', 'path'],
  model: ['arch', 'hidden', 'activation', 'init', 'initGain', 'norm', 'residual'],
  optimizer: ['name', 'lr', 'momentum', 'rho', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'schedule'],
  schedule: ['kind', 'warmupSteps', 'stepSize', 'gamma', 'minFactor'],
  stabilizers: ['clip', 'l1', 'l2', 'skipNonFinite'],
  clip: ['mode', 'threshold', 'z', 'warmup'],
  train: ['batchSize', 'steps', 'evalEvery'],
};
export const KNOWN_KEYS = new Set(['v', 'runs', ...Object.values(FIELDS).flat()]);

export type Obj = Record<string, unknown>;
export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isFiniteNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Everything in an accepted experiment that is outside the contract. Empty when all is well. */
export function contractViolations(exp: unknown): string[] {
  const bad: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) bad.push(what);
  };
  const keys = (o: Obj, kind: string, where: string) => {
    for (const k of Object.keys(o)) need(FIELDS[kind].includes(k), `${where}.${k}: not a contract field`);
    for (const k of FIELDS[kind].filter((f) => !['rho', 'stepSize', 'gamma', 'minFactor', 'z', 'warmup', 'evalEvery', 'standardize', 'task', 'target', 'csv', 'path'].includes(f))) {
      need(k in o, `${where}.${k}: missing (defaults must be filled in)`);
    }
  };
  const inRange = (x: unknown, f: keyof typeof RANGES, where: string, hi = RANGES[f].hi) => {
    const r = RANGES[f];
    need(isFiniteNum(x) && (!r.int || Number.isInteger(x)) && x >= r.lo && x <= hi, `${where}: ${String(x)} outside ${r.lo}..${hi}`);
  };
  const nonNeg = (x: unknown, where: string, strict = false) =>
    need(isFiniteNum(x) && (strict ? x > 0 : x >= 0), `${where}: ${String(x)} is not a finite number ${strict ? '> 0' : '>= 0'}`);
  const unit = (x: unknown, where: string, closed = false) =>
    need(isFiniteNum(x) && x >= 0 && (closed ? x <= 1 : x < 1), `${where}: ${String(x)} outside [0, 1${closed ? ']' : ')'}`);
  const oneOf = (x: unknown, list: string[], where: string) => need(typeof x === 'string' && list.includes(x), `${where}: ${JSON.stringify(x)} not one of the contract's values`);

  if (!isObj(exp)) return ['experiment is not an object'];
  need(Object.keys(exp).every((k) => k === 'v' || k === 'runs'), 'experiment: fields other than v and runs');
  need(exp.v === 1, `v: ${String(exp.v)}`);
  const runs = exp.runs;
  if (!Array.isArray(runs) || runs.length < 1 || runs.length > MAX_RUNS) return [...bad, `runs: not a list of 1..${MAX_RUNS}`];
  runs.forEach((run: unknown, i) => {
    const w = `runs[${i}]`;
    if (!isObj(run)) return bad.push(`${w}: not an object`);
    keys(run, 'run', w);
    need(typeof run.label === 'string' && run.label.length <= MAX_LABEL, `${w}.label: not a string of <= ${MAX_LABEL} chars`);
    inRange(run.seed, 'seed', `${w}.seed`);
    const { data, model, optimizer, stabilizers, train } = run;
    if (!isObj(data) || !isObj(model) || !isObj(optimizer) || !isObj(stabilizers) || !isObj(train)) return bad.push(`${w}: a section is not an object`);
    keys(data, 'data', `${w}.data`);
    oneOf(data.name, DATASETS, `${w}.data.name`);
    inRange(data.samples, 'samples', `${w}.data.samples`);
    inRange(data.noise, 'noise', `${w}.data.noise`);
    inRange(data.testFraction, 'testFraction', `${w}.data.testFraction`);
    keys(model, 'model', `${w}.model`);
    oneOf(model.arch, ARCHS, `${w}.model.arch`);
    const cnn = model.arch === 'cnn';
    if (cnn) need(typeof data.name === 'string' && IMAGE_DATASETS.includes(data.name), `${w}: cnn on a non-image data set ${String(data.name)}`);
    if (!Array.isArray(model.hidden) || model.hidden.length < 1 || model.hidden.length > 64) bad.push(`${w}.model.hidden: not a list of 1..64 layers`);
    else model.hidden.forEach((u: unknown, j) => inRange(u, 'hidden', `${w}.model.hidden[${j}]`, cnn ? 128 : 1024));
    oneOf(model.activation, ACTIVATIONS, `${w}.model.activation`);
    oneOf(model.init, INITS, `${w}.model.init`);
    nonNeg(model.initGain, `${w}.model.initGain`, true);
    oneOf(model.norm, NORMS, `${w}.model.norm`);
    need(typeof model.residual === 'boolean', `${w}.model.residual: not a boolean`);
    keys(optimizer, 'optimizer', `${w}.optimizer`);
    oneOf(optimizer.name, OPTIMIZERS, `${w}.optimizer.name`);
    nonNeg(optimizer.lr, `${w}.optimizer.lr`);
    for (const f of ['momentum', 'beta1', 'beta2']) unit(optimizer[f], `${w}.optimizer.${f}`);
    if ('rho' in optimizer) unit(optimizer.rho, `${w}.optimizer.rho`);
    nonNeg(optimizer.epsilon, `${w}.optimizer.epsilon`, true);
    nonNeg(optimizer.weightDecay, `${w}.optimizer.weightDecay`);
    const sch = optimizer.schedule;
    if (!isObj(sch)) bad.push(`${w}.optimizer.schedule: not an object`);
    else {
      keys(sch, 'schedule', `${w}.optimizer.schedule`);
      oneOf(sch.kind, SCHEDULES, `${w}.optimizer.schedule.kind`);
      need(isInt(sch.warmupSteps) && sch.warmupSteps >= 0, `${w}.optimizer.schedule.warmupSteps: ${String(sch.warmupSteps)}`);
      if ('stepSize' in sch) need(isInt(sch.stepSize) && sch.stepSize >= 1, `${w}.optimizer.schedule.stepSize`);
      if ('gamma' in sch) unit(sch.gamma, `${w}.optimizer.schedule.gamma`, true);
      if ('minFactor' in sch) unit(sch.minFactor, `${w}.optimizer.schedule.minFactor`, true);
    }
    keys(stabilizers, 'stabilizers', `${w}.stabilizers`);
    const clip = stabilizers.clip;
    if (!isObj(clip)) bad.push(`${w}.stabilizers.clip: not an object`);
    else {
      keys(clip, 'clip', `${w}.stabilizers.clip`);
      oneOf(clip.mode, CLIP_MODES, `${w}.stabilizers.clip.mode`);
      nonNeg(clip.threshold, `${w}.stabilizers.clip.threshold`, true);
      if ('z' in clip) nonNeg(clip.z, `${w}.stabilizers.clip.z`, true);
      if ('warmup' in clip) need(isInt(clip.warmup) && clip.warmup >= 1, `${w}.stabilizers.clip.warmup`);
    }
    nonNeg(stabilizers.l1, `${w}.stabilizers.l1`);
    nonNeg(stabilizers.l2, `${w}.stabilizers.l2`);
    need(typeof stabilizers.skipNonFinite === 'boolean', `${w}.stabilizers.skipNonFinite: not a boolean`);
    keys(train, 'train', `${w}.train`);
    inRange(train.batchSize, 'batchSize', `${w}.train.batchSize`);
    inRange(train.steps, 'steps', `${w}.train.steps`);
    if ('evalEvery' in train) need(isInt(train.evalEvery) && train.evalEvery >= 0, `${w}.train.evalEvery`);
  });
  return bad;
}

// ---------------------------------------------------------------------------
// Generators of valid experiments (inside the contract's ranges, and the
// schema's tighter ones for fields the contract gives no range for).

/** Labels with markup or script: they are plain text, stored and shown as is. */
export const HTML_LABELS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  "'; DROP TABLE runs; --",
  'javascript:alert(document.domain)',
  '{{constructor.constructor("x")()}}',
  '&lt;b&gt;&amp;&#x27;',
  '\u202Egnp.exe',
  '<b>bold</b>\u0000\n\t',
  '${alert(1)}',
  '<iframe src="javascript:alert(1)"></iframe>', // 44 chars: too long
];

/** A double in [min, max], ends included (fc.double with bounds is slow: about 1 ms a value). */
const dbl = (min: number, max: number) =>
  fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 ** 30 }).map((i) => min + ((max - min) * i) / 2 ** 30) }, { weight: 1, arbitrary: fc.constantFrom(min, max) });
const label = fc.oneof(
  fc.string({ maxLength: MAX_LABEL }),
  fc.string({ unit: 'binary', maxLength: MAX_LABEL / 2 }), // astral characters are two UTF-16 units
  fc.constantFrom(...HTML_LABELS.filter((l) => l.length <= MAX_LABEL)),
);

function runArb(cnn: boolean) {
  const opt = { requiredKeys: [] as never[] };
  // a cnn needs data.name: shapes (and says arch: cnn)
  const need = (...keys: string[]) => (cnn ? { requiredKeys: keys as never[] } : opt);
  return fc.record(
    {
      label,
      seed: fc.oneof(fc.integer({ min: 0, max: UINT32_MAX }), fc.constantFrom(0, UINT32_MAX)),
      data: fc.record(
        {
          name: fc.constantFrom(...(cnn ? IMAGE_DATASETS : DATASETS)),
          samples: fc.oneof(fc.integer({ min: 16, max: 20000 }), fc.constantFrom(16, 20000)),
          noise: fc.oneof(dbl(0, 1), fc.constantFrom(0, 1)),
          testFraction: fc.oneof(dbl(0, 0.9), fc.constantFrom(0, 0.9)),
        },
        need('name'),
      ),
      model: fc.record(
        {
          arch: fc.constant(cnn ? 'cnn' : 'mlp'),
          hidden: cnn
            ? fc.array(fc.integer({ min: 1, max: 128 }), { minLength: 1, maxLength: 8 })
            : fc.oneof(fc.array(fc.integer({ min: 1, max: 1024 }), { minLength: 1, maxLength: 8 }), fc.array(fc.constantFrom(1, 1024), { minLength: 64, maxLength: 64 })),
          activation: fc.constantFrom(...ACTIVATIONS),
          init: fc.constantFrom(...INITS),
          initGain: dbl(1e-3, 10),
          norm: fc.constantFrom(...NORMS),
          residual: fc.boolean(),
        },
        need('arch'),
      ),
      optimizer: fc.record(
        {
          name: fc.constantFrom(...OPTIMIZERS),
          lr: fc.oneof(dbl(0, 10), fc.constant(0)),
          momentum: dbl(0, 0.99),
          beta1: dbl(0, 0.99),
          beta2: dbl(0, 0.999),
          epsilon: dbl(1e-10, 1e-3),
          weightDecay: dbl(0, 0.1),
          schedule: fc.record({ kind: fc.constantFrom(...SCHEDULES), warmupSteps: fc.integer({ min: 0, max: 1000 }) }, opt),
        },
        opt,
      ),
      stabilizers: fc.record(
        {
          clip: fc.record({ mode: fc.constantFrom(...CLIP_MODES), threshold: dbl(1e-3, 100) }, opt),
          l1: dbl(0, 1),
          l2: dbl(0, 1),
          skipNonFinite: fc.boolean(),
        },
        opt,
      ),
      train: fc.record(
        {
          batchSize: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constantFrom(1, 4096)),
          steps: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(1, 1_000_000)),
        },
        opt,
      ),
    },
    need('data', 'model'),
  );
}

const anyRun = fc.oneof({ weight: 4, arbitrary: runArb(false) }, { weight: 1, arbitrary: runArb(true) });

/** A valid experiment input: a bare run config, or {v:1, runs} (v may be left out). */
export const validInput: fc.Arbitrary<Obj> = fc.oneof(
  anyRun as fc.Arbitrary<Obj>,
  fc.record({ v: fc.constant(1), runs: fc.array(anyRun, { minLength: 1, maxLength: MAX_RUNS }) }),
  fc.record({ runs: fc.array(anyRun, { minLength: 1, maxLength: MAX_RUNS }) }),
);
