/**
 * The sweep config: a versioned schema validated like the experiment (messages
 * name the field path and the allowed values or range; unknown fields are
 * refused), the trial configs it implies, and its share-URL codec (`sweep=` next
 * to the experiment's `e=` in the page's fragment).
 *
 *   { v: 1, base: RunConfig, params: [{ path, scale, min, max, values?, steps? }] (1..3),
 *     method: grid | random | bayes, budget, stepsPerTrial, objective: final_loss | test_acc,
 *     seed, bayes?: { initial, batch, candidates }, compare?: { "<path>": value, ... } }
 */
import { z } from 'zod';
import LZString from 'lz-string';
import { capProblems, describeInput, formatIssues, parseJsonText, parseRunConfig, refuseDeep, type RunConfig, type ValidationResult } from '../config.ts';
import { MAX_ENCODED_LENGTH, decodeFailure, parseFragment } from '../shareLink.ts';
import { formatPath } from '../issues.ts';
import { decompressLink } from '../linkCodec.ts';
import { NUMERIC_FIELDS, checkPath, describeRange, inRange, numericField, setPath } from './paths.ts';
import { gridSize } from './space.ts';
import { describeCompare, formatValue, shortName } from './meta.ts';

export const SWEEP_VERSION = 1;
export const SWEEP_FRAGMENT_KEY = 'sweep';
/** Most parameter points in one sweep (a grid's size or the budget). */
export const MAX_POINTS = 1024;
/**
 * Most points of a grid kept in a sweep store (`gradscope sweep --store`), where
 * agents on many machines share the work: a 20×20×5 grid is 2,000.
 */
export const MAX_STORED_GRID_POINTS = 20_000;

/** Limits that depend on where a sweep runs (default: the page's and a plain `gradscope sweep`'s). */
export interface SweepLimits {
  /** Most points of a grid (default MAX_POINTS). */
  maxGridPoints?: number;
}

export const STORED_SWEEP_LIMITS: SweepLimits = { maxGridPoints: MAX_STORED_GRID_POINTS };
export const MAX_PARAMS = 3;
export const MAX_STEPS_PER_TRIAL = 100_000;
export const DEFAULT_GRID_STEPS = 8;

export const METHODS = ['grid', 'random', 'bayes'] as const;
export type Method = (typeof METHODS)[number];
export const SCALES = ['linear', 'log', 'list'] as const;
export type Scale = (typeof SCALES)[number];
export const OBJECTIVES = ['final_loss', 'test_acc'] as const;
export type Objective = (typeof OBJECTIVES)[number];

function int(lo: number, hi: number) {
  const msg = `must be an integer ${lo}..${hi}`;
  return z.number({ error: msg }).int({ error: msg }).min(lo, { error: msg }).max(hi, { error: msg });
}

function finite() {
  return z.number({ error: 'must be a finite number' }).refine(Number.isFinite, { error: 'must be a finite number' });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(' | ')}` });
}

const ParamSchema = z.strictObject({
  path: z.string({ error: 'must be a numeric path into the run config, e.g. optimizer.lr' }),
  scale: oneOf(SCALES).default('linear'),
  min: finite().optional(),
  max: finite().optional(),
  values: z
    .array(finite(), { error: `must be a list of 1..64 numbers` })
    .min(1, { error: `must be a list of 1..64 numbers` })
    .max(64, { error: `must be a list of 1..64 numbers` })
    .optional(),
  steps: int(2, 64).optional(),
});

const BayesSchema = z
  .strictObject({
    initial: int(1, MAX_POINTS).optional(),
    batch: int(1, 64).default(1),
    candidates: int(16, 20_000).default(2000),
  })
  .prefault({});

const SweepSchema = z.strictObject({
  v: z.literal(SWEEP_VERSION, { error: `must be ${SWEEP_VERSION} (this gradscope reads sweep version ${SWEEP_VERSION})` }),
  base: z.unknown().optional(),
  params: z
    .array(ParamSchema, { error: `must be a list of 1..${MAX_PARAMS} parameters` })
    .min(1, { error: `must be a list of 1..${MAX_PARAMS} parameters` })
    .max(MAX_PARAMS, { error: `must be a list of 1..${MAX_PARAMS} parameters` }),
  method: oneOf(METHODS).default('grid'),
  budget: int(1, MAX_POINTS).default(20),
  stepsPerTrial: int(1, MAX_STEPS_PER_TRIAL).default(200),
  objective: oneOf(OBJECTIVES).default('final_loss'),
  seed: int(0, 4294967295).default(1),
  bayes: BayesSchema,
  compare: z.record(z.string(), z.unknown(), { error: 'must be an object of "<run-config path>": value' }).optional(),
});

export interface SweepParam {
  path: string;
  scale: Scale;
  /** Bounds (linear/log); for a list, its smallest and largest value. */
  min: number;
  max: number;
  /** list: the values; otherwise absent. */
  values?: number[];
  /** Grid points along this parameter (list: the number of values). */
  steps: number;
  integer: boolean;
}

export interface SweepConfig {
  v: 1;
  base: RunConfig;
  params: SweepParam[];
  method: Method;
  budget: number;
  stepsPerTrial: number;
  objective: Objective;
  seed: number;
  bayes: { initial?: number; batch: number; candidates: number };
  compare?: Record<string, unknown>;
}

export type SweepInput = Partial<Omit<SweepConfig, 'params' | 'base' | 'bayes'>> & {
  base?: unknown;
  params: Partial<Omit<SweepParam, 'integer'>>[];
  bayes?: Partial<SweepConfig['bayes']>;
};

// ---------------------------------------------------------------- messages

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The sweepable paths, for messages and help. */
export function sweepablePaths(): string[] {
  return [...NUMERIC_FIELDS.keys()];
}

// ---------------------------------------------------------------- parsing

function checkParam(p: z.output<typeof ParamSchema>, i: number, errors: string[]): SweepParam | null {
  const at = (k: string) => `params[${i}].${k}`;
  const field = numericField(p.path);
  if (!field) {
    const hint = p.path === 'train.steps' ? ' (stepsPerTrial sets it)' : ` (one of ${sweepablePaths().join(', ')})`;
    errors.push(`${at('path')}: must be a numeric path into the run config${hint}, got ${describeInput(p.path)}`);
    return null;
  }
  const range = describeRange(field);
  const bad = (k: string, v: number) => errors.push(`${at(k)}: must be ${range} (the range of ${p.path}), got ${describeInput(v)}`);
  const n = errors.length;
  if (p.scale === 'list') {
    if (!p.values) {
      errors.push(`${at('values')}: a list scale needs values (1..64 numbers)`);
      return null;
    }
    if (p.min !== undefined || p.max !== undefined) errors.push(`${at(p.min !== undefined ? 'min' : 'max')}: not used with a list scale (give values only)`);
    if (p.steps !== undefined) errors.push(`${at('steps')}: not used with a list scale (the grid takes every value)`);
    p.values.forEach((v, j) => {
      if (!inRange(field, v)) bad(`values[${j}]`, v);
    });
    if (errors.length > n) return null;
    const values = [...new Set(p.values)];
    return { path: p.path, scale: 'list', min: Math.min(...values), max: Math.max(...values), values, steps: values.length, integer: field.integer };
  }
  if (p.values !== undefined) errors.push(`${at('values')}: only a list scale takes values (use min and max for ${p.scale})`);
  if (p.min === undefined) errors.push(`${at('min')}: required for a ${p.scale} scale (${range})`);
  if (p.max === undefined) errors.push(`${at('max')}: required for a ${p.scale} scale (${range})`);
  if (p.min === undefined || p.max === undefined) return null;
  if (!inRange(field, p.min) && !(field.integer && inRange(field, Math.ceil(p.min)))) bad('min', p.min);
  if (!inRange(field, p.max) && !(field.integer && inRange(field, Math.floor(p.max)))) bad('max', p.max);
  if (errors.length > n) return null;
  if (!(p.max > p.min)) {
    errors.push(`${at('max')}: must be greater than min (${p.min}), got ${describeInput(p.max)}`);
    return null;
  }
  if (p.scale === 'log' && !(p.min > 0)) {
    errors.push(`${at('min')}: must be > 0 for a log scale, got ${describeInput(p.min)}`);
    return null;
  }
  return { path: p.path, scale: p.scale, min: p.min, max: p.max, steps: p.steps ?? DEFAULT_GRID_STEPS, integer: field.integer };
}

/** Reads an own property only (never one inherited from Object.prototype). */
function own(obj: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(obj, k) ? obj[k] : undefined;
}

/** Writes an own property, whatever its name ("__proto__" included: never a prototype). */
function put(obj: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mergeAt(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(own(obj, k))) put(obj, k, {});
    obj = own(obj, k) as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  const cur = own(obj, last);
  put(obj, last, isPlainObject(cur) && isPlainObject(value) ? deepMerge(cur, value) : value);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) put(out, k, v);
  for (const [k, v] of Object.entries(b)) {
    const cur = own(out, k);
    put(out, k, isPlainObject(cur) && isPlainObject(v) ? deepMerge(cur, v) : v);
  }
  return out;
}

/**
 * The compare variant's base: `compare`'s entries merged into the base at their
 * paths. A key is a run-config path (`checkPath`: never `__proto__`,
 * `constructor` or `prototype`); values are merged as own properties, so that a
 * `"__proto__"` inside a value is an unknown field like any other.
 */
export function applyCompare(base: RunConfig, compare: Record<string, unknown>): ValidationResult<RunConfig> {
  const draft = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const errors: string[] = [];
  for (const path of Object.keys(compare)) {
    if (!path) errors.push('compare: a key must be a run-config path such as "stabilizers.clip"');
    else {
      const bad = checkPath(path);
      if (bad) errors.push(`${formatPath(['compare', path])}: ${bad}`);
    }
  }
  if (errors.length) return { ok: false, errors: capProblems(errors) };
  for (const path of Object.keys(compare)) mergeAt(draft, path.split('.'), compare[path]);
  return parseRunConfig(draft, ['compare']);
}

/** Validates a sweep config: fills defaults, refuses unknown fields and out-of-range values. */
export function parseSweep(input: unknown, limits: SweepLimits = {}): ValidationResult<SweepConfig> {
  if (!isPlainObject(input)) return { ok: false, errors: [`(sweep): must be an object, got ${describeInput(input)}`] };
  const obj = { v: SWEEP_VERSION, ...input };
  if (obj.v !== SWEEP_VERSION) {
    return { ok: false, errors: [`v: must be ${SWEEP_VERSION} (this gradscope reads sweep version ${SWEEP_VERSION}), got ${describeInput(obj.v)}`] };
  }
  // Before zod, which drops a "__proto__" key of a record without a word.
  const rawCompare = Object.hasOwn(input, 'compare') ? input.compare : undefined;
  if (isPlainObject(rawCompare)) {
    const bad = Object.keys(rawCompare).flatMap((path) => {
      const why = path ? checkPath(path) : null;
      return why ? [`${formatPath(['compare', path])}: ${why}`] : [];
    });
    if (bad.length) return { ok: false, errors: capProblems(bad) };
  }
  const r = SweepSchema.safeParse(obj, { reportInput: true });
  if (!r.success) return { ok: false, errors: formatIssues(r.error, [], '(sweep)') };
  const s = r.data;
  const errors: string[] = [];
  const base = parseRunConfig(s.base ?? {}, ['base']);
  if (!base.ok) errors.push(...base.errors);
  const params: SweepParam[] = [];
  s.params.forEach((p, i) => {
    const q = checkParam(p, i, errors);
    if (q) params.push(q);
  });
  const seen = new Map<string, number>();
  s.params.forEach((p, i) => {
    if (seen.has(p.path)) errors.push(`params[${i}].path: ${p.path} is already params[${seen.get(p.path)}]`);
    seen.set(p.path, i);
  });
  if (errors.length || !base.ok) return { ok: false, errors: capProblems(errors) };
  const cfg: SweepConfig = {
    v: SWEEP_VERSION,
    base: { ...base.value, train: { ...base.value.train, steps: s.stepsPerTrial } },
    params,
    method: s.method,
    budget: s.budget,
    stepsPerTrial: s.stepsPerTrial,
    objective: s.objective,
    seed: s.seed,
    bayes: { ...(s.bayes.initial !== undefined ? { initial: s.bayes.initial } : {}), batch: s.bayes.batch, candidates: s.bayes.candidates },
  };
  if (s.compare !== undefined) {
    if (Object.keys(s.compare).length === 0) return { ok: false, errors: ['compare: must name at least one run-config path to change'] };
    const c = applyCompare(cfg.base, s.compare);
    if (!c.ok) return c;
    cfg.compare = s.compare;
  }
  if (cfg.method === 'grid') {
    const n = gridSize(cfg);
    const max = limits.maxGridPoints ?? MAX_POINTS;
    if (n > max) {
      return { ok: false, errors: [`params: the grid has ${n} points, at most ${max} allowed (lower steps)`] };
    }
  }
  return { ok: true, value: cfg };
}

export function parseSweepJson(text: string, limits: SweepLimits = {}): ValidationResult<SweepConfig> {
  const r = parseJsonText(text, '(sweep)');
  return r.ok ? refuseDeep(parseSweep(r.value, limits), r.deep) : r;
}

export class SweepConfigError extends Error {
  readonly errors: string[];
  constructor(errors: string[]) {
    super(errors.join('\n'));
    this.name = 'SweepConfigError';
    this.errors = errors;
  }
}

export function sweepOrThrow(input: unknown): SweepConfig {
  const r = parseSweep(input);
  if (!r.ok) throw new SweepConfigError(r.errors);
  return r.value;
}

// ---------------------------------------------------------------- trial configs

export interface VariantInfo {
  index: number;
  label: string;
  base: RunConfig;
}

/** The base run of each variant: [base] or [base, base + compare]. */
export function variants(cfg: SweepConfig): VariantInfo[] {
  const out: VariantInfo[] = [{ index: 0, label: cfg.compare ? 'base' : cfg.base.label, base: cfg.base }];
  if (cfg.compare) {
    const c = applyCompare(cfg.base, cfg.compare);
    if (!c.ok) throw new SweepConfigError(c.errors);
    out.push({ index: 1, label: `with ${describeCompare(cfg.compare)}`.slice(0, 80), base: { ...c.value, train: { ...c.value.train, steps: cfg.stepsPerTrial } } });
  }
  return out;
}

/** A trial's run config: the variant's base with the parameter values set; validated. */
export function trialConfig(cfg: SweepConfig, variant: VariantInfo, values: number[], index: number): ValidationResult<RunConfig> {
  let run = variant.base;
  cfg.params.forEach((p, i) => {
    run = setPath(run, p.path, values[i]);
  });
  const label = `#${index + 1} ${cfg.params.map((p, i) => `${shortName(p.path)} ${formatValue(values[i])}`).join(' ')}`;
  run = { ...run, label: label.slice(0, 40), train: { ...run.train, steps: cfg.stepsPerTrial } };
  return parseRunConfig(run, ['trials', index]);
}

// ---------------------------------------------------------------- share URL

/** The sweep as JSON with every default filled in (what a link carries). */
export function sweepToJson(cfg: SweepConfig): SweepInput {
  return {
    v: cfg.v,
    base: cfg.base,
    params: cfg.params.map((p) =>
      p.scale === 'list'
        ? { path: p.path, scale: p.scale, values: p.values }
        : { path: p.path, scale: p.scale, min: p.min, max: p.max, steps: p.steps },
    ),
    method: cfg.method,
    budget: cfg.budget,
    stepsPerTrial: cfg.stepsPerTrial,
    objective: cfg.objective,
    seed: cfg.seed,
    bayes: cfg.bayes,
    ...(cfg.compare ? { compare: cfg.compare } : {}),
  };
}

export function encodeSweep(cfg: SweepConfig): string {
  return LZString.compressToEncodedURIComponent(JSON.stringify(sweepToJson(cfg)));
}

/** Decodes the value of a `sweep=` fragment key (lz-string or URL-encoded JSON). */
export function decodeSweep(value: string, limits: SweepLimits = {}): ValidationResult<SweepConfig> {
  const v = value.trim();
  let json: string;
  if (v.startsWith('{')) json = v;
  else if (v.length > MAX_ENCODED_LENGTH) {
    return { ok: false, errors: [`share URL: the sweep in the link is ${v.length} characters, at most ${MAX_ENCODED_LENGTH} allowed`] };
  } else {
    const d = decompressLink(v);
    if (!d.ok) return { ok: false, errors: [decodeFailure('sweep', d)] };
    json = d.text;
  }
  const r = parseSweepJson(json, limits);
  return r.ok ? r : { ok: false, errors: r.errors.map((e) => `share URL: sweep ${e}`) };
}

/** The sweep held by a URL or fragment; null when it holds none. */
export function parseSweepFragment(fragmentOrUrl: string, limits: SweepLimits = {}): ValidationResult<SweepConfig> | null {
  const { options } = parseFragment(fragmentOrUrl);
  const value = options[SWEEP_FRAGMENT_KEY];
  return value === undefined ? null : decodeSweep(value, limits);
}
