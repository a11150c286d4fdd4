/**
 * The experiment schema (contract section 1), its defaults, validation with
 * field-path messages, and the share-URL codec (contract section 2).
 * Used by the CLI, the worker and the UI alike.
 */
import { z } from 'zod';
import LZString from 'lz-string';
import {
  ACTIVATIONS,
  ARCHS,
  CLIP_MODES,
  DATASETS,
  IMAGE_DATASETS,
  INITS,
  NORMS,
  OPTIMIZERS,
  SCHEDULES,
} from './meta.ts';

export const CONFIG_VERSION = 1;
export const MAX_RUNS = 4;

export const LIMITS = {
  labelLength: 40,
  samples: [16, 20000],
  layers: [1, 64],
  units: [1, 1024],
  filters: [1, 128],
  batchSize: [1, 4096],
  steps: [1, 1_000_000],
} as const;

function rangeText(lo: number, hi: number): string {
  return `${lo}..${hi}`;
}

function int(lo: number, hi: number) {
  const msg = `must be an integer ${rangeText(lo, hi)}`;
  return z.number({ error: msg }).int({ error: msg }).min(lo, { error: msg }).max(hi, { error: msg });
}

function num(lo: number, hi: number) {
  const msg = `must be a number ${rangeText(lo, hi)}`;
  return z.number({ error: msg }).min(lo, { error: msg }).max(hi, { error: msg });
}

/** A finite number > 0 (or >= 0 when zeroOk), at most hi. */
function positive(hi: number, zeroOk = false) {
  const msg = zeroOk ? `must be a number 0..${hi}` : `must be a number > 0 and <= ${hi}`;
  const base = z.number({ error: msg }).max(hi, { error: msg });
  return zeroOk ? base.min(0, { error: msg }) : base.gt(0, { error: msg });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(' | ')}` });
}

function bool() {
  return z.boolean({ error: 'must be true or false' });
}

const DataSchema = z
  .strictObject({
    name: oneOf(DATASETS).default('spiral'),
    samples: int(LIMITS.samples[0], LIMITS.samples[1]).default(512),
    noise: num(0, 1).default(0.1),
    testFraction: num(0, 0.9).default(0.2),
  })
  .prefault({});

const ModelSchema = z
  .strictObject({
    arch: oneOf(ARCHS).default('mlp'),
    hidden: z
      .array(int(LIMITS.units[0], LIMITS.units[1]), { error: 'must be a list of layer sizes' })
      .min(LIMITS.layers[0], { error: `must have ${rangeText(LIMITS.layers[0], LIMITS.layers[1])} layers` })
      .max(LIMITS.layers[1], { error: `must have ${rangeText(LIMITS.layers[0], LIMITS.layers[1])} layers` })
      .default([16, 16, 16]),
    activation: oneOf(ACTIVATIONS).default('relu'),
    init: oneOf(INITS).default('he_normal'),
    initGain: positive(100).default(1.0),
    norm: oneOf(NORMS).default('none'),
    residual: bool().default(false),
  })
  .prefault({});

const ScheduleSchema = z
  .strictObject({
    kind: oneOf(SCHEDULES).default('constant'),
    warmupSteps: int(0, LIMITS.steps[1]).default(0),
    stepSize: int(1, LIMITS.steps[1]).default(100),
    gamma: num(0, 1).default(0.5),
    minFactor: num(0, 1).default(0),
  })
  .prefault({});

const OptimizerSchema = z
  .strictObject({
    name: oneOf(OPTIMIZERS).default('sgd'),
    lr: positive(1000, true).default(0.01),
    momentum: num(0, 0.9999).default(0.9),
    rho: num(0, 0.9999).default(0.9),
    beta1: num(0, 0.9999).default(0.9),
    beta2: num(0, 0.999999).default(0.999),
    epsilon: positive(1).default(1e-7),
    weightDecay: num(0, 1).default(0.0),
    schedule: ScheduleSchema,
  })
  .prefault({});

const ClipSchema = z
  .strictObject({
    mode: oneOf(CLIP_MODES).default('none'),
    threshold: positive(1e6).default(1.0),
    z: num(0.5, 10).default(3),
    warmup: int(1, 1000).default(10),
  })
  .prefault({});

const StabilizerSchema = z
  .strictObject({
    clip: ClipSchema,
    l1: num(0, 10).default(0.0),
    l2: num(0, 10).default(0.0),
    skipNonFinite: bool().default(true),
  })
  .prefault({});

const TrainSchema = z
  .strictObject({
    batchSize: int(LIMITS.batchSize[0], LIMITS.batchSize[1]).default(32),
    steps: int(LIMITS.steps[0], LIMITS.steps[1]).default(500),
    evalEvery: int(0, LIMITS.steps[1]).default(50),
  })
  .prefault({});

export const RunConfigSchema = z
  .strictObject({
    label: z
      .string({ error: `must be a string of at most ${LIMITS.labelLength} characters` })
      .max(LIMITS.labelLength, { error: `must be a string of at most ${LIMITS.labelLength} characters` })
      .default('A'),
    seed: int(0, 4294967295).default(1),
    data: DataSchema,
    model: ModelSchema,
    optimizer: OptimizerSchema,
    stabilizers: StabilizerSchema,
    train: TrainSchema,
  })
  .superRefine((run, ctx) => {
    if (run.model.arch === 'cnn') {
      if (!IMAGE_DATASETS.includes(run.data.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['model', 'arch'],
          message: `cnn needs an image data set (data.name: ${IMAGE_DATASETS.join(' | ')})`,
          input: run.model.arch,
        });
      }
      run.model.hidden.forEach((f, i) => {
        if (f > LIMITS.filters[1]) {
          ctx.addIssue({
            code: 'custom',
            path: ['model', 'hidden', i],
            message: `must be an integer ${rangeText(LIMITS.filters[0], LIMITS.filters[1])} (filters of a cnn layer)`,
            input: f,
          });
        }
      });
    }
  });

export const ExperimentSchema = z.strictObject({
  v: z.literal(CONFIG_VERSION, {
    error: `must be ${CONFIG_VERSION} (this gradscope reads experiment version ${CONFIG_VERSION})`,
  }),
  runs: z
    .array(RunConfigSchema, { error: `must be a list of 1..${MAX_RUNS} runs` })
    .min(1, { error: `must be a list of 1..${MAX_RUNS} runs` })
    .max(MAX_RUNS, { error: `must be a list of 1..${MAX_RUNS} runs` }),
});

export type RunConfig = z.output<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type Experiment = z.output<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function shorten(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** Control and line-separator characters as escapes, so that a message stays on one line. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatPath(path: readonly PropertyKey[], root = '(config)'): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    // An unknown field's name is user input: quote it unless it is a plain identifier.
    else if (typeof p === 'string' && !/^[A-Za-z_$][\w$]{0,39}$/.test(p)) out += `[${oneLine(JSON.stringify(shorten(p, 40)))}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || root;
}

/** A short, one-line rendering of an input value for a message. */
export function describeInput(v: unknown): string {
  let s: string;
  if (v === undefined) s = 'nothing';
  else if (typeof v === 'number') s = Number.isNaN(v) ? 'NaN' : String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      // Too deeply nested for JSON.stringify (String() of such an array throws too).
      s = Array.isArray(v) ? '[...]' : typeof v === 'object' ? '{...}' : typeof v;
    }
  }
  return oneLine(shorten(s));
}

/** Most problems one message lists; the others are counted. */
export const MAX_PROBLEMS = 5;

const MORE_PROBLEMS = /^and (\d+) more problems?$/;

/**
 * The first MAX_PROBLEMS problems, then one line that counts the others ("and 2982
 * more problems"): a link with thousands of unknown fields must not make a banner
 * of thousands of lines. Six or fewer are all listed. A count line already in
 * `lines` (from a nested validation) is added to the new count.
 */
export function capProblems(lines: readonly string[], max = MAX_PROBLEMS): string[] {
  const problems = lines.filter((l) => !MORE_PROBLEMS.test(l));
  const counted = lines.reduce((n, l) => n + Number(MORE_PROBLEMS.exec(l)?.[1] ?? 0), 0);
  if (counted === 0 && problems.length <= max + 1) return problems;
  const more = problems.length - Math.min(max, problems.length) + counted;
  return [...problems.slice(0, max), `and ${more} more problem${more === 1 ? '' : 's'}`];
}

/** zod issues as `field.path: message, got value` lines (at most MAX_PROBLEMS and a count); `root` names the top level. */
export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = [], root = '(config)'): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${formatPath([...path, key], root)}: unknown field`);
      continue;
    }
    const got = 'input' in issue ? `, got ${describeInput(issue.input)}` : '';
    out.push(`${formatPath(path, root)}: ${issue.message}${got}`);
  }
  // One fault can fail several checks with the same message (1e308 is neither a safe
  // integer nor <= 4096): report it once.
  return capProblems([...new Set(out)]);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Validates a run config: fills defaults, refuses unknown fields and out-of-range values. */
export function parseRunConfig(input: unknown, pathPrefix: readonly PropertyKey[] = []): ValidationResult<RunConfig> {
  if (!isPlainObject(input)) {
    return { ok: false, errors: [`${formatPath(pathPrefix)}: must be an object, got ${describeInput(input)}`] };
  }
  const r = RunConfigSchema.safeParse(input, { reportInput: true });
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error, pathPrefix) };
}

/**
 * Validates an experiment. A bare run config (an object without `runs`) is
 * accepted as `{v:1, runs:[it]}`.
 */
export function parseExperiment(input: unknown): ValidationResult<Experiment> {
  if (!isPlainObject(input)) {
    return { ok: false, errors: [`(config): must be an object, got ${describeInput(input)}`] };
  }
  const obj = 'runs' in input || 'v' in input ? { v: CONFIG_VERSION, ...input } : { v: CONFIG_VERSION, runs: [input] };
  if ('v' in obj && obj.v !== CONFIG_VERSION) {
    return {
      ok: false,
      errors: [`v: must be ${CONFIG_VERSION} (this gradscope reads experiment version ${CONFIG_VERSION}), got ${describeInput(obj.v)}`],
    };
  }
  const r = ExperimentSchema.safeParse(obj, { reportInput: true });
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error) };
}

export class ConfigError extends Error {
  readonly errors: string[];
  constructor(errors: string[]) {
    super(errors.join('\n'));
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

export function experimentOrThrow(input: unknown): Experiment {
  const r = parseExperiment(input);
  if (!r.ok) throw new ConfigError(r.errors);
  return r.value;
}

export function defaultRunConfig(overrides: RunConfigInput = {}): RunConfig {
  const r = parseRunConfig(overrides);
  if (!r.ok) throw new ConfigError(r.errors);
  return r.value;
}

export function defaultExperiment(): Experiment {
  return { v: CONFIG_VERSION, runs: [defaultRunConfig()] };
}

/** JSON text to experiment, with a clear message for text that is not JSON. */
export function parseExperimentJson(text: string): ValidationResult<Experiment> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // V8 quotes the offending text, line breaks included: keep the message on one line.
    return { ok: false, errors: [`(config): not valid JSON (${oneLine(shorten((e as Error).message, 200))})`] };
  }
  return parseExperiment(data);
}

// ---------------------------------------------------------------------------
// Share URL codec. The fragment is a query string: `e=<lz-string of the JSON>`
// plus optional page options (`backend=webgpu|webgl|wasm|cpu|auto`).

export const FRAGMENT_KEY = 'e';
export const DEFAULT_BASE_URL = 'http://127.0.0.1:5173/';

export function encodeExperiment(exp: Experiment): string {
  return LZString.compressToEncodedURIComponent(JSON.stringify(exp));
}

export function experimentToFragment(exp: Experiment, options: Record<string, string> = {}): string {
  const parts = [`${FRAGMENT_KEY}=${encodeExperiment(exp)}`];
  for (const [k, v] of Object.entries(options)) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.join('&');
}

export function shareUrl(exp: Experiment, base: string = DEFAULT_BASE_URL, options: Record<string, string> = {}): string {
  const hashAt = base.indexOf('#');
  const b = hashAt >= 0 ? base.slice(0, hashAt) : base;
  return `${b}#${experimentToFragment(exp, options)}`;
}

export interface FragmentContents {
  experiment: ValidationResult<Experiment> | null; // null: the fragment holds no experiment
  options: Record<string, string>;
}

const MAX_FRAGMENT_LENGTH = 200_000;
/**
 * Longest lz-string experiment decoded. The largest valid experiment (4 runs of 64
 * layers, 40-character labels of random characters, every number with 17 digits)
 * encodes to about 4,300 characters. lz-string output can grow quadratically with
 * its input (a 200,000-character link decodes to gigabytes in minutes), so longer
 * ones are refused before decompressing: at this length the worst case is well under
 * a second and a few tens of MB.
 */
export const MAX_ENCODED_LENGTH = 12_000;

/** Decodes a URL fragment (with or without the leading '#') or a whole URL. */
export function parseFragment(fragmentOrUrl: string): FragmentContents {
  const hashAt = fragmentOrUrl.indexOf('#');
  let frag = hashAt >= 0 ? fragmentOrUrl.slice(hashAt + 1) : fragmentOrUrl;
  const options: Record<string, string> = {};
  if (frag.length > MAX_FRAGMENT_LENGTH) {
    return { experiment: { ok: false, errors: [`share URL: fragment is ${frag.length} characters, at most ${MAX_FRAGMENT_LENGTH} allowed`] }, options };
  }
  frag = frag.trim();
  if (!frag) return { experiment: null, options };
  // A fragment may also hold plain (URL-encoded) JSON, for hand-written links.
  if (frag.startsWith('{') || frag.startsWith('%7B') || frag.startsWith('%7b')) {
    let text: string;
    try {
      text = decodeURIComponent(frag);
    } catch {
      return { experiment: { ok: false, errors: ['share URL: the fragment is not valid URL encoding'] }, options };
    }
    return { experiment: fromLink(parseExperimentJson(text)), options };
  }
  let encoded: string | null = null;
  for (const part of frag.split('&')) {
    const eq = part.indexOf('=');
    const key = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : '';
    if (key === FRAGMENT_KEY) encoded = value;
    else if (key) {
      try {
        options[decodeURIComponent(key)] = decodeURIComponent(value);
      } catch {
        options[key] = value;
      }
    }
  }
  if (encoded === null) return { experiment: null, options };
  if (encoded.length > MAX_ENCODED_LENGTH) {
    return {
      experiment: { ok: false, errors: [`share URL: the experiment in the link is ${encoded.length} characters, at most ${MAX_ENCODED_LENGTH} allowed`] },
      options,
    };
  }
  let json: string | null;
  try {
    json = LZString.decompressFromEncodedURIComponent(encoded);
  } catch {
    json = null;
  }
  if (!json) {
    return { experiment: { ok: false, errors: ['share URL: the experiment in the link is corrupted or truncated (cannot decompress it)'] }, options };
  }
  return { experiment: fromLink(parseExperimentJson(json)), options };
}

/**
 * Every error about a link's experiment names the share URL (a corrupted link can
 * decode to JSON whose only fault is a mangled field name).
 */
function fromLink(parsed: ValidationResult<Experiment>): ValidationResult<Experiment> {
  if (parsed.ok) return parsed;
  return {
    ok: false,
    errors: parsed.errors.map((e) =>
      e.startsWith('(config): not valid JSON')
        ? e.replace('(config): not valid JSON', 'share URL: the experiment is not valid JSON')
        : `share URL: ${e}`,
    ),
  };
}

/** Paths of run-config fields whose change needs a rebuild of the model/data (a reset). */
export function needsReset(a: RunConfig, b: RunConfig): boolean {
  return (
    a.seed !== b.seed ||
    JSON.stringify(a.data) !== JSON.stringify(b.data) ||
    JSON.stringify(a.model) !== JSON.stringify(b.model) ||
    a.train.batchSize !== b.train.batchSize ||
    a.optimizer.name !== b.optimizer.name
  );
}
