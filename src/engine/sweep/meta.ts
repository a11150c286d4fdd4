/**
 * Labels, help and default ranges of the parameters a person usually sweeps, the
 * short texts of parameters, values and compare variants in labels, and the page's
 * presets. Any other numeric run-config path works too (see paths.ts).
 */
import { FIELD_HELP } from '../meta.ts';
import type { RunConfigInput } from '../config.ts';
import type { Scale, SweepInput } from './schema.ts';

export interface ParamChoice {
  path: string;
  label: string;
  help: string;
  scale: Exclude<Scale, 'list'>;
  min: number;
  max: number;
}

export const PARAM_CHOICES: ParamChoice[] = [
  { path: 'optimizer.lr', label: 'Learning rate', help: FIELD_HELP['optimizer.lr'], scale: 'log', min: 1e-3, max: 3 },
  { path: 'model.initGain', label: 'Init gain', help: FIELD_HELP['model.initGain'], scale: 'log', min: 0.25, max: 4 },
  { path: 'stabilizers.clip.threshold', label: 'Clip threshold τ', help: FIELD_HELP['stabilizers.clip.threshold'], scale: 'log', min: 0.01, max: 100 },
  { path: 'model.hidden.length', label: 'Depth (hidden layers)', help: 'Number of hidden layers; each has the width of the base’s last layer.', scale: 'linear', min: 1, max: 16 },
  { path: 'model.hidden.width', label: 'Width (units per layer)', help: 'Units of every hidden layer.', scale: 'log', min: 4, max: 256 },
  { path: 'train.batchSize', label: 'Batch size', help: FIELD_HELP['train.batchSize'], scale: 'log', min: 4, max: 512 },
  { path: 'optimizer.momentum', label: 'Momentum', help: FIELD_HELP['optimizer.momentum'], scale: 'linear', min: 0, max: 0.99 },
  { path: 'optimizer.weightDecay', label: 'Weight decay λ', help: FIELD_HELP['optimizer.weightDecay'], scale: 'log', min: 1e-5, max: 0.1 },
  { path: 'stabilizers.l2', label: 'L2 penalty', help: FIELD_HELP['stabilizers.l2'], scale: 'log', min: 1e-5, max: 0.1 },
  { path: 'data.noise', label: 'Data noise', help: FIELD_HELP['data.noise'], scale: 'linear', min: 0, max: 0.5 },
];

export function paramChoice(path: string): ParamChoice | undefined {
  return PARAM_CHOICES.find((c) => c.path === path);
}

const SHORT: Record<string, string> = {
  'optimizer.lr': 'lr',
  'model.initGain': 'gain',
  'stabilizers.clip.threshold': 'τ',
  'model.hidden.length': 'depth',
  'model.hidden.width': 'width',
  'train.batchSize': 'batch',
};

/** The short name of a parameter in trial labels and on the map's axes, e.g. "lr". */
export function shortName(path: string): string {
  return SHORT[path] ?? path.split('.').pop()!;
}

/** A parameter value in a label: 3 significant digits. */
export function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** Short text of the compare variant, e.g. "clip.mode=global_norm, clip.threshold=1". */
export function describeCompare(compare: Record<string, unknown>): string {
  const parts: string[] = [];
  const visit = (prefix: string, v: unknown) => {
    if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) visit(prefix ? `${prefix}.${k}` : k, x);
    else parts.push(`${prefix.replace(/^(stabilizers|optimizer|model|train|data)\./, '')}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  };
  for (const [k, v] of Object.entries(compare)) visit(k, v);
  return parts.join(', ');
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export const METHOD_HELP = {
  grid: 'Every combination of each parameter’s grid values.',
  random: 'Budget points drawn at random (seeded): log-uniform on log scales.',
  bayes: 'A few random points, then points chosen by expected improvement under a Gaussian-process model of the objective.',
} as const;

export const OBJECTIVE_HELP = {
  final_loss: 'Held-out loss at the last step (lower is better); a diverged trial scores Infinity.',
  test_acc: 'Held-out accuracy at the last step (higher is better); a diverged trial scores 0.',
} as const;

/** A deep plain ReLU MLP: the net where the stable region is easy to see. */
export const DEEP_RELU_BASE: RunConfigInput = {
  label: 'deep ReLU',
  seed: 1,
  data: { name: 'spiral', samples: 512 },
  model: { hidden: [32, 32, 32, 32, 32, 32, 32, 32], activation: 'relu', init: 'he_normal' },
  optimizer: { name: 'sgd', lr: 0.01 },
  train: { batchSize: 32, evalEvery: 0 },
};

export interface SweepPreset {
  id: string;
  title: string;
  sweep: SweepInput;
}

export const SWEEP_PRESETS: SweepPreset[] = [
  {
    id: 'sgd-explode',
    title: 'Where does SGD explode? (lr × init gain)',
    sweep: {
      v: 1,
      base: DEEP_RELU_BASE,
      params: [
        { path: 'optimizer.lr', scale: 'log', min: 1e-3, max: 3, steps: 8 },
        { path: 'model.initGain', scale: 'log', min: 0.25, max: 4, steps: 8 },
      ],
      method: 'grid',
      stepsPerTrial: 200,
      objective: 'final_loss',
    },
  },
  {
    id: 'clip-widens',
    title: 'How much does clipping widen the stable region? (lr × clip threshold, with and without clipping)',
    sweep: {
      v: 1,
      base: { ...DEEP_RELU_BASE, model: { ...DEEP_RELU_BASE.model, initGain: 1.5 } },
      params: [
        { path: 'optimizer.lr', scale: 'log', min: 1e-3, max: 10, steps: 6 },
        { path: 'stabilizers.clip.threshold', scale: 'log', min: 0.01, max: 100, steps: 6 },
      ],
      method: 'grid',
      stepsPerTrial: 200,
      objective: 'final_loss',
      compare: { 'stabilizers.clip': { mode: 'global_norm' } },
    },
  },
];
