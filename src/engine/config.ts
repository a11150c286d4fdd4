/**
 * The experiment schema (contract section 1), its defaults, and validation with
 * field-path messages; the share-URL codec (contract section 2) is in
 * shareLink.ts. Every bound comes from the field table (fields.ts); the messages
 * from issues.ts. Used by the CLI, the worker and the UI alike.
 */
import { z } from 'zod';
import { IMAGE_DATASETS } from './meta.ts';
import { CSV_LIMITS, utf8Length } from './data/csv.ts';
import { sha256Text } from './data/sha256.ts';
import { MAX_PROBLEMS, capProblems, describeInput, formatIssues, formatPath, oneLine, shorten } from './issues.ts';
import { MAX_JSON_DEPTH, pruneDeep } from './linkCodec.ts';
import { FIELDS as F, describeRange, rebuildNeeded, type EnumField, type Field, type ListField, type NumberField, type TextField } from './fields.ts';
import { CHANGE_PATHS, MAX_CHANGES, isChangePath } from './changes.ts';

export const CONFIG_VERSION = 1;
export const MAX_RUNS = 4;

const HIDDEN = F['model.hidden'];

/** Bounds of the fields that hosts use directly (all from the field table). */
export const LIMITS = {
  labelLength: F.label.maxLength,
  samples: [F['data.samples'].min, F['data.samples'].max],
  layers: [HIDDEN.length.min, HIDDEN.length.max],
  units: [HIDDEN.item.min, HIDDEN.item.max],
  filters: [HIDDEN.item.min, HIDDEN.cnnItemMax],
  batchSize: [F['train.batchSize'].min, F['train.batchSize'].max],
  steps: [F['train.steps'].min, F['train.steps'].max],
} as const;

// Validators built from the field table: the message names the range ("must be an integer 1..64").
function number(f: NumberField) {
  const msg = `must be ${describeRange(f)}`;
  const base = z.number({ error: msg });
  const n = f.integer ? base.int({ error: msg }) : base;
  return (f.minInclusive ? n.min(f.min, { error: msg }) : n.gt(f.min, { error: msg })).max(f.max, { error: msg });
}

function oneOf<const T extends readonly [string, ...string[]]>(f: EnumField<T>) {
  return z.enum(f.values, { error: `must be one of ${f.values.join(' | ')}` });
}

function bool() {
  return z.boolean({ error: 'must be true or false' });
}

function text(f: TextField) {
  const msg = `must be a string of at most ${f.maxLength} characters`;
  return z.string({ error: msg }).max(f.maxLength, { error: msg });
}

function list(f: ListField) {
  const msg = `must have ${f.length.min}..${f.length.max} layers`;
  return z
    .array(number(f.item), { error: 'must be a list of layer sizes' })
    .min(f.length.min, { error: msg })
    .max(f.length.max, { error: msg });
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * A run's own CSV file: its name, size and SHA-256, and its text when the
 * config carries it (a share link carries the text only while it is small,
 * shareLink.ts). Without the text the page asks for the file and the CLI for
 * `--data`, and either refuses a file with another hash.
 */
const CsvFileSchema = z
  .strictObject({
    name: z.string({ error: 'must be the file name (a string of at most 200 characters)' }).max(200, { error: 'must be at most 200 characters' }),
    bytes: z.number({ error: `must be the file size in bytes, an integer 0..${CSV_LIMITS.maxBytes}` }).int({ error: 'must be an integer' }).min(0).max(CSV_LIMITS.maxBytes, { error: `must be at most ${CSV_LIMITS.maxBytes} (the CSV size limit)` }),
    sha256: z.string({ error: 'must be 64 lower-case hex digits' }).regex(SHA256, { error: 'must be 64 lower-case hex digits' }),
    text: z.string({ error: 'must be the file’s text' }).max(CSV_LIMITS.maxBytes, { error: `must be at most ${CSV_LIMITS.maxBytes} bytes (the CSV size limit)` }).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.text === undefined) return;
    const bytes = utf8Length(f.text);
    if (bytes !== f.bytes) ctx.addIssue({ code: 'custom', path: ['bytes'], message: `does not match the text (${bytes} bytes)`, input: f.bytes });
    else if (textHash(f.text) !== f.sha256) ctx.addIssue({ code: 'custom', path: ['sha256'], message: 'does not match the text (the file was changed)', input: f.sha256 });
  });

const hashCache = new Map<string, string>();
/** sha256Text with a small cache: the page validates the same config on every edit. */
function textHash(text: string): string {
  let h = hashCache.get(text);
  if (h === undefined) {
    h = sha256Text(text);
    hashCache.set(text, h);
    if (hashCache.size > 4) hashCache.delete(hashCache.keys().next().value as string);
  }
  return h;
}

export type CsvFile = z.output<typeof CsvFileSchema>;

const DataSchema = z
  .strictObject({
    name: oneOf(F['data.name']).default('spiral'),
    samples: number(F['data.samples']).default(512),
    noise: number(F['data.noise']).default(0.1),
    testFraction: number(F['data.testFraction']).default(0.2),
    standardize: oneOf(F['data.standardize']).default('none'),
    task: oneOf(F['data.task']).default('auto'),
    target: text(F['data.target']).default(''),
    csv: CsvFileSchema.optional(),
    /** The CLI's: a CSV file to read (relative to the working directory). */
    path: z.string({ error: 'must be a file path' }).min(1, { error: 'must be a file path' }).max(4096, { error: 'must be at most 4096 characters' }).optional(),
  })
  .prefault({});

const ModelSchema = z
  .strictObject({
    arch: oneOf(F['model.arch']).default('mlp'),
    hidden: list(HIDDEN).default([16, 16, 16]),
    activation: oneOf(F['model.activation']).default('relu'),
    init: oneOf(F['model.init']).default('he_normal'),
    initGain: number(F['model.initGain']).default(1.0),
    norm: oneOf(F['model.norm']).default('none'),
    residual: bool().default(false),
  })
  .prefault({});

const ScheduleSchema = z
  .strictObject({
    kind: oneOf(F['optimizer.schedule.kind']).default('constant'),
    warmupSteps: number(F['optimizer.schedule.warmupSteps']).default(0),
    stepSize: number(F['optimizer.schedule.stepSize']).default(100),
    gamma: number(F['optimizer.schedule.gamma']).default(0.5),
    minFactor: number(F['optimizer.schedule.minFactor']).default(0),
  })
  .prefault({});

const OptimizerSchema = z
  .strictObject({
    name: oneOf(F['optimizer.name']).default('sgd'),
    lr: number(F['optimizer.lr']).default(0.01),
    momentum: number(F['optimizer.momentum']).default(0.9),
    rho: number(F['optimizer.rho']).default(0.9),
    beta1: number(F['optimizer.beta1']).default(0.9),
    beta2: number(F['optimizer.beta2']).default(0.999),
    epsilon: number(F['optimizer.epsilon']).default(1e-7),
    weightDecay: number(F['optimizer.weightDecay']).default(0.0),
    schedule: ScheduleSchema,
  })
  .prefault({});

const ClipSchema = z
  .strictObject({
    mode: oneOf(F['stabilizers.clip.mode']).default('none'),
    threshold: number(F['stabilizers.clip.threshold']).default(1.0),
    z: number(F['stabilizers.clip.z']).default(3),
    warmup: number(F['stabilizers.clip.warmup']).default(10),
  })
  .prefault({});

const StabilizerSchema = z
  .strictObject({
    clip: ClipSchema,
    l1: number(F['stabilizers.l1']).default(0.0),
    l2: number(F['stabilizers.l2']).default(0.0),
    skipNonFinite: bool().default(true),
  })
  .prefault({});

const TrainSchema = z
  .strictObject({
    batchSize: number(F['train.batchSize']).default(32),
    steps: number(F['train.steps']).default(500),
    evalEvery: number(F['train.evalEvery']).default(50),
  })
  .prefault({});

/** The validator of one stored field (for values set by a mid-run change). */
function fieldSchema(f: Field): z.ZodType {
  switch (f.kind) {
    case 'number':
      return number(f);
    case 'enum':
      return oneOf(f);
    case 'bool':
      return bool();
    case 'text':
      return text(f);
    case 'list':
      return list(f);
  }
}

const ChangeSchema = z.strictObject({
  step: number({ ...F['train.steps'], min: 1 }),
  path: z.string({ error: `must be one of ${CHANGE_PATHS.join(' | ')}` }).refine(isChangePath, { error: `must be a field that can change mid-run (${CHANGE_PATHS.length} of them, e.g. optimizer.lr)` }),
  value: z.unknown(),
});

/**
 * Mid-run changes (changes.ts): in step order, each value valid for its field.
 * Optional: a run without changes has none in its JSON.
 */
const ChangesSchema = z
  .array(ChangeSchema, { error: 'must be a list of {step, path, value}' })
  .max(MAX_CHANGES, { error: `must hold at most ${MAX_CHANGES} changes` })
  .superRefine((changes, ctx) => {
    changes.forEach((c, i) => {
      if (i > 0 && c.step < changes[i - 1].step) {
        ctx.addIssue({ code: 'custom', path: [i, 'step'], message: 'changes must be in step order', input: c.step });
      }
      if (!isChangePath(c.path)) return;
      const r = fieldSchema(F[c.path] as Field).safeParse(c.value);
      if (!r.success) {
        for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: [i, 'value', ...issue.path], message: `${c.path} ${issue.message}`, input: c.value });
      }
    });
  });

export const RunConfigSchema = z
  .strictObject({
    label: text(F.label).default('A'),
    seed: number(F.seed).default(1),
    data: DataSchema,
    model: ModelSchema,
    optimizer: OptimizerSchema,
    stabilizers: StabilizerSchema,
    train: TrainSchema,
    changes: ChangesSchema.optional(),
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
        if (f > HIDDEN.cnnItemMax) {
          ctx.addIssue({
            code: 'custom',
            path: ['model', 'hidden', i],
            message: `must be ${describeRange({ ...HIDDEN.item, max: HIDDEN.cnnItemMax })} (filters of a cnn layer)`,
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

export { MAX_PROBLEMS, capProblems, describeInput, formatIssues };

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

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

/**
 * JSON text to a value, with a clear message for text that is not JSON. Arrays
 * and objects nested deeper than MAX_JSON_DEPTH are replaced (linkCodec.ts
 * `pruneDeep`) before anything validates the value; `deep` then says where
 * (`rootPath`: where the value's own paths go in a message; a bare run config
 * is `runs[0]` of its experiment). The caller refuses such a value: with the
 * validation's messages, which name the field, or with `deep` if it validates.
 */
export function parseJsonText(
  text: string,
  root = '(config)',
  rootPath: (value: unknown) => readonly PropertyKey[] = () => [],
): { ok: true; value: unknown; deep: string | null } | { ok: false; errors: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // V8 quotes the offending text, line breaks included: keep the message on one line.
    return { ok: false, errors: [`${root}: not valid JSON (${oneLine(shorten((e as Error).message, 200))})`] };
  }
  const at = pruneDeep(data);
  const deep = at && `${formatPath([...rootPath(data), ...at.slice(0, 12)], root)}: nested too deeply (more than ${MAX_JSON_DEPTH} levels of [ and {; a config needs at most 6)`;
  return { ok: true, value: data, deep };
}

/** A validation of a value from `parseJsonText`: refused when it was nested too deeply. */
export function refuseDeep<T>(r: ValidationResult<T>, deep: string | null): ValidationResult<T> {
  return deep && r.ok ? { ok: false, errors: [deep] } : r;
}

/** JSON text to experiment, with a clear message for text that is not JSON or nested too deeply. */
export function parseExperimentJson(text: string): ValidationResult<Experiment> {
  const r = parseJsonText(text, '(config)', (v) => (isPlainObject(v) && !('runs' in v) && !('v' in v) ? ['runs', 0] : []));
  return r.ok ? refuseDeep(parseExperiment(r.value), r.deep) : r;
}

/** Whether a change needs a new model at step 0: the field table's rule (fields.ts `rebuildNeeded`). */
export const needsReset = rebuildNeeded;
