/**
 * The run-config field table: for every path of a RunConfig its label, its
 * one-sentence help, its allowed values and how an edit of it reaches a run that
 * is training. The zod schema (config.ts), the run panel and the sweep's
 * parameter choices read their bounds from here; nothing else writes a range.
 *
 * `apply` is the rebuild rule: a `live` field can change between two steps of the
 * same model; a `rebuild` field needs a new model, data set and optimizer state
 * at step 0. `rebuildNeeded` and `changedPaths` below are the only places that
 * decide it.
 */
import type { RunConfig } from './config.ts';
import {
  ACTIVATIONS,
  ACTIVATION_META,
  ARCHS,
  ARCH_META,
  CLIP_MODES,
  CLIP_META,
  DATASETS,
  DATASET_META,
  INITS,
  INIT_META,
  NORMS,
  NORM_META,
  OPTIMIZERS,
  OPTIMIZER_META,
  SCHEDULES,
  SCHEDULE_META,
  STANDARDIZE,
  STANDARDIZE_META,
  TASKS,
  TASK_META,
  type OptimizerName,
  type OptionMeta,
} from './meta.ts';

/** How an edit reaches a training run: between two steps, or by a new model at step 0. */
export type Apply = 'live' | 'rebuild';

interface FieldBase {
  path: string;
  label: string;
  help: string;
  apply: Apply;
}

export interface NumberField extends FieldBase {
  kind: 'number';
  min: number;
  /** false: `min` itself is refused (the value must be greater). The maximum is always allowed. */
  minInclusive: boolean;
  max: number;
  integer: boolean;
  /** Increment of the panel's number box ('any': none). */
  step: number | 'any';
  /** 'log': the useful values span decades (the panel's slider and the sweep space them geometrically). */
  scale: 'linear' | 'log';
  unit?: string;
  /** The panel's slider: its range (narrower than min..max), its step, and whether it moves in log10. */
  slider?: { min: number; max: number; step: number; scale: 'linear' | 'log' };
  /** Default range of a sweep over this field; present on the sweep panel's parameter choices. */
  sweepRange?: { min: number; max: number };
  /** false: a sweep may not vary it. */
  sweepable: boolean;
  /** Set on a view of another field (depth and width of `model.hidden`): not a stored value. */
  of?: string;
}

export interface EnumField<T extends readonly [string, ...string[]] = readonly [string, ...string[]]> extends FieldBase {
  kind: 'enum';
  values: T;
  meta: Record<T[number], OptionMeta>;
}

export interface BoolField extends FieldBase {
  kind: 'bool';
}

export interface TextField extends FieldBase {
  kind: 'text';
  maxLength: number;
}

/** A list of numbers whose length and items are number fields of their own. */
export interface ListField extends FieldBase {
  kind: 'list';
  length: NumberField;
  item: NumberField;
  /** Largest item of a CNN (filters per convolution). */
  cnnItemMax: number;
}

export type Field = NumberField | EnumField | BoolField | TextField | ListField;

type NumberSpec = Omit<NumberField, 'kind' | 'path' | 'minInclusive' | 'integer' | 'sweepable' | 'step' | 'scale'> &
  Partial<Pick<NumberField, 'minInclusive' | 'integer' | 'sweepable' | 'step' | 'scale'>>;

function num(path: string, s: NumberSpec): NumberField {
  const integer = s.integer ?? false;
  return { kind: 'number', path, minInclusive: true, sweepable: true, scale: 'linear', step: integer ? 1 : 'any', ...s, integer };
}

function int(path: string, s: Omit<NumberSpec, 'integer'>): NumberField {
  return num(path, { ...s, integer: true });
}

function oneOf<const T extends readonly [string, ...string[]]>(path: string, values: T, meta: Record<T[number], OptionMeta>, s: Omit<FieldBase, 'path'>): EnumField<T> {
  return { kind: 'enum', path, values, meta, ...s };
}

function bool(path: string, s: Omit<FieldBase, 'path'>): BoolField {
  return { kind: 'bool', path, ...s };
}

function text(path: string, s: Omit<TextField, 'kind' | 'path'>): TextField {
  return { kind: 'text', path, ...s };
}

function list(path: string, s: Omit<ListField, 'kind' | 'path'>): ListField {
  return { kind: 'list', path, ...s };
}

const MAX_STEPS = 1_000_000;

const DEPTH = int('model.hidden.length', {
  label: 'Depth (hidden layers)',
  help: 'Number of hidden layers (new layers copy the last width).',
  apply: 'rebuild', min: 1, max: 64,
  sweepRange: { min: 1, max: 16 },
  of: 'model.hidden',
});

const WIDTH = int('model.hidden.width', {
  label: 'Width (units per layer)',
  help: 'Units (MLP) or filters (CNN) of every hidden layer.',
  apply: 'rebuild', min: 1, max: 1024, scale: 'log',
  sweepRange: { min: 4, max: 256 },
  of: 'model.hidden',
});

/** Every field of a run config, keyed by its path, in the schema's order. */
export const FIELDS = {
  label: text('label', { label: 'Run label', help: 'Name of the run in legends (at most 40 characters).', apply: 'live', maxLength: 40 }),
  seed: int('seed', {
    label: 'Seed',
    help: 'Fixes the initial weights, the data and the batch order (unsigned 32-bit integer).',
    apply: 'rebuild', min: 0, max: 4294967295,
  }),

  'data.name': oneOf('data.name', DATASETS, DATASET_META, { label: 'Data set', help: 'The examples the net learns from.', apply: 'rebuild' }),
  'data.samples': int('data.samples', { label: 'Samples', help: 'Number of examples generated or drawn (train + test; digits: at most 5,000; a CSV uses every row).', apply: 'rebuild', min: 16, max: 20000, scale: 'log' }),
  'data.noise': num('data.noise', {
    label: 'Data noise',
    help: 'Amount of noise added to the examples, 0..1.',
    apply: 'rebuild', min: 0, max: 1, step: 0.05,
    sweepRange: { min: 0, max: 0.5 },
  }),
  'data.testFraction': num('data.testFraction', { label: 'Test fraction', help: 'Share of examples held out for the test metrics.', apply: 'rebuild', min: 0, max: 0.9, step: 0.05 }),
  'data.standardize': oneOf('data.standardize', STANDARDIZE, STANDARDIZE_META, { label: 'Feature scaling', help: 'z-score the inputs (and a regression target) with the mean and standard deviation of the training split.', apply: 'rebuild' }),
  'data.task': oneOf('data.task', TASKS, TASK_META, { label: 'Task', help: 'What a CSV’s target column is: classes or a number (auto decides from its values).', apply: 'rebuild' }),
  'data.target': text('data.target', { label: 'Target column', help: 'The CSV column to predict (empty: the last column).', apply: 'rebuild', maxLength: 100 }),

  'model.arch': oneOf('model.arch', ARCHS, ARCH_META, { label: 'Architecture', help: 'Fully connected layers, or convolutions for images.', apply: 'rebuild' }),
  'model.hidden': list('model.hidden', {
    label: 'Hidden layer sizes',
    help: 'Units (MLP) or filters (CNN) per hidden layer, input to output.',
    apply: 'rebuild', length: DEPTH, item: WIDTH, cnnItemMax: 128,
  }),
  'model.activation': oneOf('model.activation', ACTIVATIONS, ACTIVATION_META, { label: 'Activation', help: 'The non-linearity after every hidden layer.', apply: 'rebuild' }),
  'model.init': oneOf('model.init', INITS, INIT_META, { label: 'Initialization', help: 'How the initial weights are drawn.', apply: 'rebuild' }),
  'model.initGain': num('model.initGain', {
    label: 'Init gain g',
    help: 'Multiplies the initial weights’ standard deviation: above the critical value the gradients explode, below it they vanish.',
    apply: 'rebuild', min: 0, minInclusive: false, max: 100, scale: 'log',
    slider: { min: 0.1, max: 4, step: 0.05, scale: 'linear' },
    sweepRange: { min: 0.25, max: 4 },
  }),
  'model.norm': oneOf('model.norm', NORMS, NORM_META, { label: 'Normalization', help: 'Normalization of the pre-activations of every hidden layer.', apply: 'rebuild' }),
  'model.residual': bool('model.residual', {
    label: 'Residual connections',
    help: 'Adds the layer’s input to its output where the widths match: gives the gradient a path around each layer.',
    apply: 'rebuild',
  }),

  'optimizer.name': oneOf('optimizer.name', OPTIMIZERS, OPTIMIZER_META, {
    label: 'Optimizer',
    help: 'The update rule that turns gradients into steps (switched mid-run, the new one starts with fresh state).',
    apply: 'live',
  }),
  'optimizer.lr': num('optimizer.lr', {
    label: 'Learning rate',
    help: 'Learning rate: the step size. Too large and the loss blows up even with well-behaved gradients.',
    apply: 'live', min: 0, max: 1000, scale: 'log',
    slider: { min: 1e-5, max: 10, step: 0.05, scale: 'log' },
    sweepRange: { min: 1e-3, max: 3 },
  }),
  'optimizer.momentum': num('optimizer.momentum', {
    label: 'Momentum',
    help: 'Momentum coefficient (momentum, nesterov, rmsprop).',
    apply: 'live', min: 0, max: 0.9999, step: 0.01,
    sweepRange: { min: 0, max: 0.99 },
  }),
  'optimizer.rho': num('optimizer.rho', {
    label: 'ρ (decay)',
    help: 'Decay of the running averages of squared gradients (rmsprop, adadelta).',
    apply: 'live', min: 0, max: 0.9999, step: 0.01,
  }),
  'optimizer.beta1': num('optimizer.beta1', { label: 'β1', help: 'Decay of Adam’s first moment (momentum).', apply: 'live', min: 0, max: 0.9999, step: 0.01 }),
  'optimizer.beta2': num('optimizer.beta2', { label: 'β2', help: 'Decay of Adam’s second moment (running mean square).', apply: 'live', min: 0, max: 0.999999, step: 0.001 }),
  'optimizer.epsilon': num('optimizer.epsilon', {
    label: 'ε',
    help: 'Added to denominators to avoid division by zero.',
    apply: 'live', min: 0, minInclusive: false, max: 1, scale: 'log',
  }),
  'optimizer.weightDecay': num('optimizer.weightDecay', {
    label: 'Weight decay λ',
    help: 'Decoupled weight decay λ: every step w ← w − lr·λ·w (AdamW style; for every optimizer).',
    apply: 'live', min: 0, max: 1, step: 0.0001, scale: 'log',
    sweepRange: { min: 1e-5, max: 0.1 },
  }),
  'optimizer.schedule.kind': oneOf('optimizer.schedule.kind', SCHEDULES, SCHEDULE_META, { label: 'LR schedule', help: 'How the learning rate changes over the run.', apply: 'live' }),
  'optimizer.schedule.warmupSteps': int('optimizer.schedule.warmupSteps', {
    label: 'Warm-up steps',
    help: 'Linear warm-up: the rate grows from lr/warmup to lr over these steps.',
    apply: 'live', min: 0, max: MAX_STEPS,
  }),
  'optimizer.schedule.stepSize': int('optimizer.schedule.stepSize', {
    label: 'Decay every',
    help: 'Steps per decay by γ (step and exponential schedules).',
    apply: 'live', min: 1, max: MAX_STEPS, unit: 'steps',
  }),
  'optimizer.schedule.gamma': num('optimizer.schedule.gamma', {
    label: 'Decay factor γ',
    help: 'The rate is multiplied by γ every `stepSize` steps (step and exponential schedules).',
    apply: 'live', min: 0, max: 1, step: 0.05,
  }),
  'optimizer.schedule.minFactor': num('optimizer.schedule.minFactor', {
    label: 'Final factor',
    help: 'The cosine schedule ends at lr·minFactor.',
    apply: 'live', min: 0, max: 1, step: 0.05,
  }),

  'stabilizers.clip.mode': oneOf('stabilizers.clip.mode', CLIP_MODES, CLIP_META, { label: 'Gradient clipping', help: 'How gradients are bounded before the update.', apply: 'live' }),
  'stabilizers.clip.threshold': num('stabilizers.clip.threshold', {
    label: 'Clip threshold τ',
    help: 'τ: the clip bound (norm for global/per-layer, value for value, ratio for AGC).',
    apply: 'live', min: 0, minInclusive: false, max: 1e6, scale: 'log',
    sweepRange: { min: 0.01, max: 100 },
  }),
  'stabilizers.clip.z': num('stabilizers.clip.z', {
    label: 'z (outlier bound)',
    help: 'Outlier rule: clip when the log-norm is more than z standard deviations above its running mean.',
    apply: 'live', min: 0.5, max: 10, step: 0.5,
  }),
  'stabilizers.clip.warmup': int('stabilizers.clip.warmup', {
    label: 'Outlier warm-up',
    help: 'Outlier rule: finite steps seen before it clips, while the running mean and deviation settle.',
    apply: 'live', min: 1, max: 1000, unit: 'steps',
  }),
  'stabilizers.l1': num('stabilizers.l1', {
    label: 'L1 penalty',
    help: 'L1 penalty λ·Σ|w| added to the loss (pushes weights to exactly zero).',
    apply: 'live', min: 0, max: 10, step: 0.0001, scale: 'log',
  }),
  'stabilizers.l2': num('stabilizers.l2', {
    label: 'L2 penalty',
    help: 'L2 penalty λ·Σw² added to the loss (shrinks weights, included in the gradient norms).',
    apply: 'live', min: 0, max: 10, step: 0.0001, scale: 'log',
    sweepRange: { min: 1e-5, max: 0.1 },
  }),
  'stabilizers.skipNonFinite': bool('stabilizers.skipNonFinite', {
    label: 'Skip non-finite steps',
    help: 'A step whose loss or gradient is NaN/Inf is not applied: weights and optimizer state stay as they were.',
    apply: 'live',
  }),

  'train.batchSize': int('train.batchSize', {
    label: 'Batch size',
    help: 'Examples per step.',
    apply: 'rebuild', min: 1, max: 4096, scale: 'log',
    sweepRange: { min: 4, max: 512 },
  }),
  // A sweep's `stepsPerTrial` sets it.
  'train.steps': int('train.steps', { label: 'Stop at step', help: 'Number of updates to train.', apply: 'live', min: 1, max: MAX_STEPS, scale: 'log', sweepable: false }),
  'train.evalEvery': int('train.evalEvery', {
    label: 'Evaluate every',
    help: 'Steps between two evaluations on the held-out set (0: at the last step only).',
    apply: 'live', min: 0, max: MAX_STEPS, unit: 'steps',
  }),
} satisfies Record<string, Field>;

export type FieldPath = keyof typeof FIELDS;

/** The two views of `model.hidden` that a sweep varies as numbers. */
export const HIDDEN_VIEWS = { depth: DEPTH, width: WIDTH } as const;

/** Every number field a sweep may vary: the stored ones in schema order, then depth and width. */
export const SWEEPABLE_FIELDS: readonly NumberField[] = [
  ...Object.values(FIELDS as Record<string, Field>).filter((f): f is NumberField => f.kind === 'number' && f.sweepable),
  DEPTH,
  WIDTH,
];

/** The field at a path, stored or a view of `model.hidden`. */
export function fieldAt(path: string): Field | undefined {
  if (Object.hasOwn(FIELDS, path)) return (FIELDS as Record<string, Field>)[path];
  return path === DEPTH.path ? DEPTH : path === WIDTH.path ? WIDTH : undefined;
}

/** The value at a stored path of a run config. */
export function valueAt(cfg: RunConfig, path: FieldPath): unknown {
  let v: unknown = cfg;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

/** What identifies a run's own data file (its CSV's hash, or the CLI's path): a change of it needs a new data set. */
function dataFileKey(cfg: RunConfig): string {
  return `${cfg.data.csv?.sha256 ?? ''}|${cfg.data.csv?.text !== undefined ? 'text' : ''}|${cfg.data.path ?? ''}`;
}

function fmtBound(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? '∞' : '-∞';
}

/** "a number 0..1000", "an integer 1..64", "a number > 0 and <= 100". */
export function describeRange(f: Pick<NumberField, 'min' | 'minInclusive' | 'max' | 'integer'> & { maxInclusive?: boolean }): string {
  const kind = f.integer ? 'an integer' : 'a number';
  const maxInclusive = f.maxInclusive ?? true;
  if (f.minInclusive && maxInclusive) return `${kind} ${fmtBound(f.min)}..${fmtBound(f.max)}`;
  const lo = `${f.minInclusive ? '>=' : '>'} ${fmtBound(f.min)}`;
  const hi = `${maxInclusive ? '<=' : '<'} ${fmtBound(f.max)}`;
  return `${kind} ${lo} and ${hi}`;
}

// ---------------------------------------------------------------- optimizers

/** The optimizer settings that some update rules read and others ignore. */
export type OptimizerHyper = 'momentum' | 'rho' | 'beta1' | 'beta2' | 'epsilon';

/**
 * What each optimizer's update rule (optimizers.ts) reads from the config,
 * besides the learning rate. Every optimizer also uses `lr` (through the schedule)
 * and `weightDecay` (the trainer applies the decoupled decay whatever the rule).
 */
export const OPTIMIZER_HYPER: Record<OptimizerName, readonly OptimizerHyper[]> = {
  sgd: [],
  momentum: ['momentum'],
  nesterov: ['momentum'],
  adagrad: ['epsilon'],
  adadelta: ['rho', 'epsilon'],
  rmsprop: ['rho', 'momentum', 'epsilon'],
  adam: ['beta1', 'beta2', 'epsilon'],
  adamax: ['beta1', 'beta2', 'epsilon'],
  adamw: ['beta1', 'beta2', 'epsilon'],
};

const OPTIMIZER_NUMBERS = ['lr', 'momentum', 'rho', 'beta1', 'beta2', 'epsilon', 'weightDecay'] as const;
export type OptimizerNumber = (typeof OPTIMIZER_NUMBERS)[number];

/** The numeric `optimizer.*` settings an optimizer uses, in the table's order. */
export function optimizerUses(name: OptimizerName): OptimizerNumber[] {
  const reads: readonly string[] = OPTIMIZER_HYPER[name];
  return OPTIMIZER_NUMBERS.filter((k) => k === 'lr' || k === 'weightDecay' || reads.includes(k));
}

// ---------------------------------------------------------------- the rebuild rule

/** A stored path whose value differs between two configs. */
export interface Change {
  path: FieldPath;
  apply: Apply;
  from: unknown;
  to: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return Array.isArray(a) || Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/** The fields that differ between two run configs, in the table's order, each with how it applies. */
export function changedPaths(prev: RunConfig, next: RunConfig): Change[] {
  const out: Change[] = [];
  for (const f of Object.values(FIELDS as Record<string, Field>)) {
    const path = f.path as FieldPath;
    const from = valueAt(prev, path);
    const to = valueAt(next, path);
    if (!same(from, to)) out.push({ path, apply: f.apply, from, to });
  }
  return out;
}

/** Whether going from `prev` to `next` needs a new model (and data and optimizer state) at step 0. */
export function rebuildNeeded(prev: RunConfig, next: RunConfig): boolean {
  return dataFileKey(prev) !== dataFileKey(next) || changedPaths(prev, next).some((c) => c.apply === 'rebuild');
}
