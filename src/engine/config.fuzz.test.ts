/**
 * Property-based fuzzing of the experiment validator and the share-URL codec
 * (contract sections 1 and 2), with a fixed fast-check seed so that every run
 * sees the same cases.
 *
 * Experiments: valid experiments (bare run configs and {v, runs}) mutated with wrong
 * types, out-of-range numbers, NaN/Infinity (as numbers and as strings), huge arrays,
 * deep nesting, unknown fields, long strings, HTML labels, missing fields and nulls.
 * Fragments: truncated and corrupted lz-string encodings, random strings, valid
 * encodings of invalid JSON and of mutated experiments, huge fragments and
 * decompression bombs.
 *
 * For every case: parsing never throws; an accepted experiment is within the
 * contract's bounds (checked here from the contract's numbers, not with the schema)
 * and keeps every value it was given unchanged; a refused one is refused with
 * one-line messages, one of which names the mutated field's path (or, for a
 * fragment that does not decode, says so).
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import LZString from 'lz-string';
import { parseExperiment, parseExperimentJson, type Experiment, type ValidationResult } from './config.ts';
import { parseFragment } from './shareLink.ts';

const SEED = 20260611;
const EXPERIMENT_RUNS = 1500;
const FRAGMENT_RUNS = 1200;

// ---------------------------------------------------------------------------
// The contract's values, written out here (section 1), independent of the schema.

const DATASETS = ['circle', 'xor', 'gauss', 'spiral', 'moons', 'shapes'];
const IMAGE_DATASETS = ['shapes'];
const ARCHS = ['mlp', 'cnn'];
const ACTIVATIONS = ['relu', 'leaky_relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'];
const INITS = ['he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'normal', 'orthogonal'];
const NORMS = ['none', 'batch', 'layer'];
const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamax', 'adamw'];
const SCHEDULES = ['constant', 'step', 'exp', 'cosine'];
const CLIP_MODES = ['none', 'global_norm', 'layer_norm', 'value', 'agc', 'adaptive'];
const MAX_LABEL = 40;
const MAX_RUNS = 4;
const UINT32_MAX = 4294967295;

/** Numeric ranges the contract states ([lo, hi], int). */
const RANGES: Record<string, { lo: number; hi: number; int: boolean }> = {
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
  data: ['name', 'samples', 'noise', 'testFraction'],
  model: ['arch', 'hidden', 'activation', 'init', 'initGain', 'norm', 'residual'],
  optimizer: ['name', 'lr', 'momentum', 'rho', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'schedule'],
  schedule: ['kind', 'warmupSteps', 'stepSize', 'gamma', 'minFactor'],
  stabilizers: ['clip', 'l1', 'l2', 'skipNonFinite'],
  clip: ['mode', 'threshold', 'z', 'warmup'],
  train: ['batchSize', 'steps', 'evalEvery'],
};
const KNOWN_KEYS = new Set(['v', 'runs', ...Object.values(FIELDS).flat()]);

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isFiniteNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Everything in an accepted experiment that is outside the contract. Empty when all is well. */
function contractViolations(exp: unknown): string[] {
  const bad: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) bad.push(what);
  };
  const keys = (o: Obj, kind: string, where: string) => {
    for (const k of Object.keys(o)) need(FIELDS[kind].includes(k), `${where}.${k}: not a contract field`);
    for (const k of FIELDS[kind].filter((f) => !['rho', 'stepSize', 'gamma', 'minFactor', 'z', 'warmup', 'evalEvery'].includes(f))) {
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
const HTML_LABELS = [
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
const validInput: fc.Arbitrary<Obj> = fc.oneof(
  anyRun as fc.Arbitrary<Obj>,
  fc.record({ v: fc.constant(1), runs: fc.array(anyRun, { minLength: 1, maxLength: MAX_RUNS }) }),
  fc.record({ runs: fc.array(anyRun, { minLength: 1, maxLength: MAX_RUNS }) }),
);

// ---------------------------------------------------------------------------
// Mutations.

function deep(depth: number, kind: 'array' | 'object'): unknown {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = kind === 'array' ? [x] : { a: x };
  return x;
}

/** A big value, built when a mutation is applied; fast-check prints its description (it cannot print a 100,000-deep value). */
class Big {
  constructor(
    readonly desc: string,
    readonly make: () => unknown,
  ) {}
  [fc.toStringMethod](): string {
    return this.desc;
  }
}
const big = (desc: string, make: () => unknown) => new Big(desc, make);
const build = (v: unknown): unknown => (v instanceof Big ? v.make() : v);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  // wrong types
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant({}),
  fc.constant([]),
  fc.integer(),
  fc.double(), // includes NaN, ±Infinity, -0, subnormals
  fc.object({ maxDepth: 2, maxKeys: 4 }),
  // non-finite numbers, as numbers and as strings
  fc.constantFrom(NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity', 'nan', '1e400', '0x10', '12', ''),
  // negative, huge, tiny and unsafe numbers
  fc.constantFrom(-1, -0, -1e308, 1e308, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, 2 ** 32, UINT32_MAX + 1, 0.5, 1.5, 1e-320),
  // very long strings, markup
  fc.constantFrom(big("'x' × 100000", () => 'x'.repeat(100_000)), 'relu'.repeat(1000), ...HTML_LABELS),
  // deep nesting
  fc.tuple(fc.constantFrom(10, 1000, 100_000), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => big(`${k} nested ${d} deep`, () => deep(d, k))),
  // huge arrays
  fc.tuple(fc.constantFrom(65, 1000, 10_000), fc.constantFrom(8, 5000, null)).map(([n, x]) => big(`[${x}] × ${n}`, () => new Array<unknown>(n).fill(x))),
);

type Mutation =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'delete'; pick: number }
  | { op: 'unknown'; pick: number; key: string; value: unknown }
  | { op: 'bound'; pick: number; which: number }
  | { op: 'resize'; pick: number; n: number };

const unknownKey = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Label', 'label ', ' seed', 'hiden', 'a\nb', 'a: b', 'x'.repeat(10_000), '\u2028'),
  )
  .filter((k) => !KNOWN_KEYS.has(k));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: nastyValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unknown' as const), pick: fc.nat(), key: unknownKey, value: fc.oneof(fc.constant(1), nastyValue) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('bound' as const), pick: fc.nat(), which: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resize' as const), pick: fc.nat(), n: fc.constantFrom(0, 5, 65, 100, 10_000) }) },
);

type Path = (string | number)[];

/** Every path in a value (at most the first 70 elements of an array, 8 levels deep). */
function paths(x: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (prefix.length >= 8) return out;
  if (Array.isArray(x)) x.slice(0, 70).forEach((v, i) => paths(v, [...prefix, i], out));
  else if (isObj(x)) for (const [k, v] of Object.entries(x)) paths(v, [...prefix, k], out);
  return out;
}

function getAt(x: unknown, p: Path): unknown {
  let cur = x;
  for (const k of p) cur = (cur as Record<string | number, unknown>)?.[k];
  return cur;
}

/** The contract range of the field at a path (by its name), if it has one. */
function rangeOf(p: Path): (typeof RANGES)[string] | undefined {
  const key = typeof p.at(-1) === 'number' ? p.at(-2) : p.at(-1);
  return typeof key === 'string' ? RANGES[key] : undefined;
}

/** A value just outside (or on the edge of) a field's range. */
function boundValue(p: Path, which: number, current: unknown): unknown {
  const r = rangeOf(p);
  if (!r) return [-1, -1e-300, 1e21, NaN, '1', current === true ? 'true' : Infinity, 0, 1][which];
  const eps = r.int ? 0.5 : Math.max(1e-9, r.hi * 1e-12);
  return [r.lo - 1, r.lo - eps, r.hi + eps, r.hi + 1, r.int ? r.lo + 0.5 : -Infinity, String(r.lo), r.lo, r.hi][which];
}

interface Applied {
  input: unknown;
  /** Paths (of the input as given) where a refusal must point: the error names one of them or a field inside. */
  targets: Path[];
  /** Paths of objects that got an unknown field. */
  unknownIn: Path[];
  /** Names of fields the mutations touched (for the cross-field cnn rule). */
  touched: string[];
}

function applyMutations(valid: Obj, muts: Mutation[]): Applied {
  let root: unknown = structuredClone(valid);
  const targets: Path[] = [];
  const unknownIn: Path[] = [];
  const touched: string[] = [];
  for (const m of muts) {
    const all = paths(root);
    let p = all[m.pick % all.length];
    const parent = p.length ? (getAt(root, p.slice(0, -1)) as Record<string | number, unknown>) : null;
    const key = p.at(-1);
    const set = (v: unknown) => {
      if (parent && key !== undefined) parent[key] = v;
      else root = v;
    };
    for (const k of p) if (typeof k === 'string') touched.push(k);
    switch (m.op) {
      case 'set':
        set(build(m.value));
        targets.push(p);
        break;
      case 'delete':
        if (Array.isArray(parent) && typeof key === 'number') {
          parent.splice(key, 1);
          targets.push(p.slice(0, -1));
        } else if (parent && key !== undefined) {
          delete parent[key];
          targets.push(p.slice(0, -1), p);
        } else {
          root = undefined;
          targets.push(p);
        }
        break;
      case 'unknown': {
        // the nearest enclosing plain object
        while (p.length && !isObj(getAt(root, p))) p = p.slice(0, -1);
        const obj = getAt(root, p);
        if (!isObj(obj)) break;
        Object.defineProperty(obj, m.key, { value: build(m.value), enumerable: true, configurable: true, writable: true });
        unknownIn.push(p);
        break;
      }
      case 'bound':
        set(boundValue(p, m.which, getAt(root, p)));
        targets.push(p);
        break;
      case 'resize': {
        while (p.length && !Array.isArray(getAt(root, p))) p = p.slice(0, -1);
        const arr = getAt(root, p);
        if (!Array.isArray(arr) || arr.length === 0) break;
        // (10,000 copies of a whole run would only time JSON.parse of 10 MB here)
        const n = isObj(arr[0]) ? Math.min(m.n, 1000) : m.n;
        const grown = Array.from({ length: n }, (_, i) => arr[i % arr.length]);
        if (p.length) (getAt(root, p.slice(0, -1)) as Record<string | number, unknown>)[p.at(-1)!] = grown;
        else root = grown;
        targets.push(p);
        break;
      }
    }
  }
  return { input: root, targets, unknownIn, touched };
}

// ---------------------------------------------------------------------------
// Checks.

/** The paths the validator reports for an input: a bare run config is runs[0]. */
function normalize(input: unknown, p: Path): Path {
  return isObj(input) && !('runs' in input) && !('v' in input) ? ['runs', 0, ...p] : p;
}

function pathText(p: Path): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out || '(config)';
}

/** `a` is `b` or a field inside it (text paths). */
const within = (a: string, b: string) => b === '(config)' || a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);

const ERROR_LINE = /^(\(config\)|[A-Za-z_$][\w$]*|\["[^\n]*?"\])(\.[A-Za-z_$][\w$]*|\[\d+\]|\["[^\n]*?"\])*: \S/;

/** Checks a refusal: every message is one line `path: text`, and one names what was mutated. */
function checkRefusal(errors: string[], a: Applied | null, prefix = ''): void {
  expect(errors.length).toBeGreaterThan(0);
  expect(new Set(errors).size, `repeated message: ${errors.join(' | ')}`).toBe(errors.length);
  for (const e of errors) {
    expect(e, e).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(e.startsWith(prefix), e).toBe(true);
    expect(e.slice(prefix.length), e).toMatch(ERROR_LINE);
    expect(e.length, e).toBeLessThan(400);
  }
  if (!a) return;
  const errPaths = errors.map((e) => {
    const rest = e.slice(prefix.length);
    const m = /^((?:[^:"]|"(?:[^"\\]|\\.)*")*): /.exec(rest);
    return { path: m ? m[1] : rest, text: rest };
  });
  const targets = a.targets.map((t) => pathText(normalize(a.input, t)));
  const unknownIn = a.unknownIn.map((t) => pathText(normalize(a.input, t)));
  const named = errPaths.some(
    ({ path, text }) =>
      targets.some((t) => within(path, t)) ||
      (text.endsWith(': unknown field') && unknownIn.some((t) => within(path, t))) ||
      // the one cross-field rule: a cnn needs an image data set and <= 128 filters
      (/cnn/.test(text) && a.touched.some((k) => ['arch', 'name', 'data', 'model', 'hidden'].includes(k))),
  );
  expect(named, `no message names ${[...targets, ...unknownIn].join(', ')}: ${errors.join(' | ')}`).toBe(true);
}

/** Every value the input gave is in the accepted config, unchanged (only defaults are added). */
function checkPreserved(input: unknown, out: Experiment): void {
  const walk = (x: unknown, p: Path) => {
    if (x === undefined) return;
    if (Array.isArray(x)) {
      expect(Array.isArray(getAt(out, p)), pathText(p)).toBe(true);
      expect((getAt(out, p) as unknown[]).length, pathText(p)).toBe(x.length);
      x.forEach((v, i) => walk(v, [...p, i]));
    } else if (isObj(x)) for (const [k, v] of Object.entries(x)) walk(v, [...p, k]);
    else expect(Object.is(getAt(out, p), x), `${pathText(p)} changed from ${String(x)} to ${String(getAt(out, p))}`).toBe(true);
  };
  if (isObj(input) && !('runs' in input) && !('v' in input)) walk(input, ['runs', 0]);
  else walk(input, []);
}

function checkAccepted(input: unknown, out: Experiment): void {
  expect(contractViolations(out)).toEqual([]);
  checkPreserved(input, out);
}

/** Runs a parser: it must return, not throw. */
function noThrow<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`parser threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

const counts = { experiments: 0, accepted: 0, refused: 0, fragments: 0, fragAccepted: 0, fragRefused: 0, fragEmpty: 0, slowestFragmentMs: 0 };

afterAll(() => {
  console.log(
    `config fuzz (seed ${SEED}): ${counts.experiments} mutated experiments (${counts.accepted} accepted, ${counts.refused} refused), ` +
      `${counts.fragments} fragments (${counts.fragAccepted} accepted, ${counts.fragRefused} refused, ${counts.fragEmpty} without an experiment; slowest ${counts.slowestFragmentMs.toFixed(0)} ms)`,
  );
});

/** JSON text of an input, when it has one (deep nesting or undefined at the root does not). */
function jsonOf(x: unknown): string | null {
  try {
    return JSON.stringify(x) ?? null;
  } catch {
    return null;
  }
}

function checkExperiment(a: Applied): void {
  // as an object (NaN, Infinity, undefined and own __proto__ keys included) ...
  const r = noThrow(() => parseExperiment(a.input));
  counts.experiments++;
  if (r.ok) {
    counts.accepted++;
    checkAccepted(a.input, r.value);
  } else {
    counts.refused++;
    checkRefusal(r.errors, a);
  }
  // ... and as JSON text (what the CLI and the links carry).
  const text = jsonOf(a.input);
  if (text === null) return;
  const parsed = JSON.parse(text) as unknown;
  const rj = noThrow(() => parseExperimentJson(text));
  if (rj.ok) checkAccepted(parsed, rj.value);
  else checkRefusal(rj.errors, { ...a, input: parsed });
}

describe('fuzz: mutated experiments', () => {
  test('valid experiments are accepted within the contract, values unchanged', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const r = noThrow(() => parseExperiment(input));
        if (!r.ok) throw new Error(`valid input refused: ${r.errors.join(' | ')}`);
        checkAccepted(input, r.value);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test(`${EXPERIMENT_RUNS} mutated experiments: never throw; accepted within bounds, or refused naming the field`, () => {
    fc.assert(
      fc.property(validInput, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (valid, muts) => {
        checkExperiment(applyMutations(valid, muts));
      }),
      { seed: SEED, numRuns: EXPERIMENT_RUNS },
    );
    // both outcomes are exercised
    expect(counts.accepted).toBeGreaterThan(50);
    expect(counts.refused).toBeGreaterThan(EXPERIMENT_RUNS / 2);
  });

  test('labels with HTML or script are kept as plain strings, or refused with a message', () => {
    for (const l of HTML_LABELS) {
      for (const input of [{ label: l }, { v: 1, runs: [{ label: l }, { label: l + l }] }]) {
        const r = parseExperiment(input);
        if (r.ok) {
          expect(r.value.runs[0].label).toBe(l);
          checkAccepted(input, r.value);
        } else {
          for (const e of r.errors) expect(e).toMatch(/^runs\[\d\]\.label: must be a string of at most 40 characters, got /);
        }
      }
      expect(parseExperiment({ label: l }).ok).toBe(l.length <= MAX_LABEL);
    }
  });

  test('known hard cases', () => {
    const cases: [unknown, RegExp][] = [
      [{ label: deep(200_000, 'array') }, /^runs\[0\]\.label: must be a string/],
      [{ model: { hidden: [deep(200_000, 'array')] } }, /^runs\[0\]\.model\.hidden\[0\]: must be an integer/],
      [{ v: 1, runs: [deep(200_000, 'array')] }, /^runs\[0\]: /],
      [{ 'a\nb': 1 }, /^runs\[0\]\["a\\nb"\]: unknown field$/],
      [{ model: { ['x'.repeat(100_000)]: 1 } }, /^runs\[0\]\.model\["x{37}\.\.\."\]: unknown field$/],
      [{ model: { hidden: new Array<number>(10_000).fill(5000) } }, /^runs\[0\]\.model\.hidden: must have 1\.\.64 layers/],
      [{ optimizer: { lr: NaN } }, /^runs\[0\]\.optimizer\.lr: .*got NaN$/],
      [{ optimizer: { lr: 'Infinity' } }, /^runs\[0\]\.optimizer\.lr: .*got "Infinity"$/],
    ];
    for (const [input, re] of cases) {
      const r = noThrow(() => parseExperiment(input));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.errors[0]).toMatch(re);
        checkRefusal(r.errors, null);
      }
    }
    // JSON text: a deeply nested value, and a syntax error whose quoted text has line breaks
    const nested = `{"label":${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
    const rn = noThrow(() => parseExperimentJson(nested));
    expect(rn.ok).toBe(false);
    const rs = noThrow(() => parseExperimentJson('{\n"label": tru\ne}'));
    expect(rs.ok).toBe(false);
    if (!rs.ok) {
      expect(rs.errors).toHaveLength(1);
      expect(rs.errors[0]).toMatch(/^\(config\): not valid JSON \(/);
      expect(rs.errors[0]).not.toMatch(/\n/);
    }
  });
});

// ---------------------------------------------------------------------------
// Fragments.

const URI_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';

/**
 * An lz-string stream whose every code repeats the previous entry plus one character:
 * `chars` characters decode to about (chars·6/14)²/2 characters (a decompression bomb).
 */
function bomb(chars: number): string {
  const out: string[] = [];
  let cur = 0;
  let pos = 0;
  const put = (value: number, n: number) => {
    for (let i = 0; i < n; i++) {
      if ((value >> i) & 1) cur |= 1 << (5 - pos);
      if (++pos === 6) {
        out.push(URI_ALPHABET[cur]);
        cur = 0;
        pos = 0;
      }
    }
  };
  put(0, 2);
  put('{'.charCodeAt(0), 8);
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  while (out.length < chars - 4) {
    put(dictSize++, numBits);
    if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
  }
  put(2, numBits);
  if (pos) out.push(URI_ALPHABET[cur]);
  return out.join('');
}

type FragCase = { frag: string; kind: 'valid' | 'corrupt' | 'badjson' | 'mutated' | 'random' | 'huge' | 'plain'; applied?: Applied; exp?: Experiment };

const encode = (x: unknown) => LZString.compressToEncodedURIComponent(JSON.stringify(x));
const validExperiment = validInput.map((i) => {
  const r = parseExperiment(i);
  if (!r.ok) throw new Error('generator made an invalid experiment');
  return r.value;
});
const prefixArb = fc.constantFrom('', '#', 'http://127.0.0.1:5173/#', 'https://example.org/app/?q=1#backend=cpu&', '  #');
const suffixArb = fc.constantFrom('', '&backend=wasm', '&%E0%A4%A=1', '&=', '  ');

const fragmentArb: fc.Arbitrary<FragCase> = fc.oneof(
  // an intact link
  fc.tuple(validExperiment, prefixArb, suffixArb).map(([exp, pre, suf]): FragCase => ({ frag: `${pre}e=${encode(exp)}${suf}`, kind: 'valid', exp })),
  // truncated or corrupted encodings
  fc
    .tuple(validExperiment, fc.nat(), fc.nat(), fc.constantFrom('truncate', 'replace', 'insert', 'delete', 'swapcase'), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
    .map(([exp, i, j, how, junk]): FragCase => {
      const enc = encode(exp);
      const at = i % enc.length;
      const c = URI_ALPHABET[j % URI_ALPHABET.length];
      const bad =
        how === 'truncate' ? enc.slice(0, at)
        : how === 'replace' ? enc.slice(0, at) + (j % 2 ? c : junk) + enc.slice(at + 1)
        : how === 'insert' ? enc.slice(0, at) + (j % 2 ? c : junk) + enc.slice(at)
        : how === 'delete' ? enc.slice(0, at) + enc.slice(at + 1 + (j % 8))
        : enc.slice(0, at) + enc.slice(at).replace(/[a-z]/, (x) => x.toUpperCase());
      return { frag: `#e=${bad}`, kind: 'corrupt' };
    }),
  // valid encodings of text that is not JSON, or JSON that is not an experiment
  fc
    .oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: 'binary', maxLength: 50 }),
      validExperiment.chain((e) => fc.nat().map((n) => JSON.stringify(e).slice(0, n % JSON.stringify(e).length))),
      fc.constantFrom('null', '[]', '[{}]', '1', '"x"', 'true', '{"v":1,"runs":[]}', 'NaN', '{"v":1,"runs":[{}],}'),
    )
    .map((t): FragCase => ({ frag: `#e=${LZString.compressToEncodedURIComponent(t)}`, kind: 'badjson' })),
  // valid encodings of mutated experiments
  fc.tuple(validInput, fc.array(mutationArb, { minLength: 1, maxLength: 2 })).map(([v, m]): FragCase => {
    const applied = applyMutations(v, m);
    const text = jsonOf(applied.input);
    const frag = `#e=${LZString.compressToEncodedURIComponent(text ?? '{')}`;
    // (a value too deeply nested for JSON text is sent as a broken text instead)
    return text === null ? { frag, kind: 'badjson' } : { frag, kind: 'mutated', applied: { ...applied, input: JSON.parse(text) as unknown } };
  }),
  // random strings
  fc
    .tuple(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...URI_ALPHABET, '=', '&', '%', '#', ' ', '{') })), fc.constantFrom('', '#', '#e=', 'e='))
    .map(([s, pre]): FragCase => ({ frag: pre + s, kind: 'random' })),
  // hand-written JSON fragments, URL-encoded or not
  fc.tuple(validInput, fc.array(mutationArb, { maxLength: 1 }), fc.boolean(), fc.nat()).map(([v, m, enc, cut]): FragCase => {
    const applied = applyMutations(v, m);
    let text = jsonOf(applied.input) ?? '{';
    if (cut % 5 === 0) text = text.slice(0, cut % text.length);
    let frag = `#${text}`;
    try {
      if (enc) frag = `#${encodeURIComponent(text)}`;
    } catch {
      // a cut through a surrogate pair: send the text as is
    }
    return { frag, kind: 'plain' };
  }),
  // huge fragments: repeated encodings, long junk, decompression bombs
  fc
    .tuple(validExperiment, fc.constantFrom(3, 50, 1000), fc.constantFrom(1000, 8000, 11_999, 12_001, 50_000, 199_000, 250_000), fc.nat({ max: 9 }))
    .map(([exp, rep, n, which]): FragCase => {
      const enc = encode(exp);
      const frag =
        which < 3 ? `#e=${enc.repeat(rep)}`
        : which < 5 ? `#e=${'A'.repeat(n)}`
        : which < 7 ? `#e=${bomb(n)}`
        : which < 8 ? `#backend=${'x'.repeat(n)}&e=${enc}`
        : `#${'%7B'.repeat(n / 3)}`;
      return { frag, kind: 'huge' };
    }),
);

/** Independently: does the fragment hold an `e` key or JSON (so that it must yield an experiment)? */
function holdsExperiment(fragOrUrl: string): boolean {
  const at = fragOrUrl.indexOf('#');
  const frag = (at >= 0 ? fragOrUrl.slice(at + 1) : fragOrUrl).trim();
  if (/^(\{|%7B)/i.test(frag)) return true;
  return frag.split('&').some((part) => part === 'e' || part.startsWith('e='));
}

const DECODE_FAILURE =
  /^share URL: (the experiment in the link is corrupted or truncated|the experiment in the link decodes to more than \d+ characters|the experiment is not valid JSON|the fragment is not valid URL encoding|the experiment in the link is \d+ characters, at most \d+ allowed|fragment is \d+ characters, at most \d+ allowed|the experiment part of the link \(e=, \d+ characters\) does not match its checksum|the link's checksum \(sum=.*\) is not 6 hexadecimal digits|the link has a checksum \(sum=.*\) but no experiment)/;

function checkFragment(c: FragCase): void {
  const t0 = performance.now();
  const r = noThrow(() => parseFragment(c.frag));
  counts.slowestFragmentMs = Math.max(counts.slowestFragmentMs, performance.now() - t0);
  counts.fragments++;
  expect(typeof r.options).toBe('object');
  if (r.experiment === null) {
    counts.fragEmpty++;
    expect(holdsExperiment(c.frag), c.frag.slice(0, 200)).toBe(false);
    return;
  }
  expect(holdsExperiment(c.frag) || c.frag.length > 200_000, c.frag.slice(0, 200)).toBe(true);
  const res: ValidationResult<Experiment> = r.experiment;
  if (res.ok) {
    counts.fragAccepted++;
    expect(contractViolations(res.value)).toEqual([]);
    if (c.exp) expect(res.value).toEqual(c.exp);
    if (c.applied) checkPreserved(c.applied.input, res.value);
    return;
  }
  counts.fragRefused++;
  expect(c.kind, res.errors.join(' | ')).not.toBe('valid');
  for (const e of res.errors) {
    expect(e.startsWith('share URL: '), e).toBe(true);
    expect(e, e).not.toMatch(/[\n\r\u2028\u2029]/);
  }
  const decodeFailure = res.errors.length === 1 && DECODE_FAILURE.test(res.errors[0]);
  // a fragment that does not decode says so; one that decodes is judged like any config
  if (!decodeFailure) checkRefusal(res.errors, c.applied ?? null, 'share URL: ');
}

describe('fuzz: share-URL fragments', () => {
  test(`${FRAGMENT_RUNS} fragments: never throw; valid links restore the experiment; bad ones are refused saying why`, () => {
    fc.assert(
      fc.property(fragmentArb, (c) => checkFragment(c)),
      { seed: SEED, numRuns: FRAGMENT_RUNS },
    );
    expect(counts.fragAccepted).toBeGreaterThan(100);
    expect(counts.fragRefused).toBeGreaterThan(FRAGMENT_RUNS / 3);
    // a decompression bomb under the length limit is refused quickly
    expect(counts.slowestFragmentMs).toBeLessThan(5000);
  });

  test('decompression bombs are refused before decoding, or decode in bounded time', () => {
    for (const n of [11_000, 12_001, 100_000, 199_000]) {
      const t0 = performance.now();
      const r = parseFragment(`#e=${bomb(n)}`);
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(r.experiment?.ok).toBe(false);
      if (r.experiment && !r.experiment.ok) expect(r.experiment.errors[0]).toMatch(DECODE_FAILURE);
    }
  });
});
