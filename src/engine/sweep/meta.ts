/**
 * The parameters a person usually sweeps (their labels, help, scales and default
 * ranges come from the field table, fields.ts), and the page's presets. Any other
 * numeric run-config path works too (see paths.ts).
 */
import { fieldAt } from '../fields.ts';
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

/** The sweep panel's parameter choices, in the order offered. */
const CHOICE_PATHS = [
  'optimizer.lr',
  'model.initGain',
  'stabilizers.clip.threshold',
  'model.hidden.length',
  'model.hidden.width',
  'train.batchSize',
  'optimizer.momentum',
  'optimizer.weightDecay',
  'stabilizers.l2',
  'data.noise',
];

function choice(path: string): ParamChoice {
  const f = fieldAt(path);
  if (f?.kind !== 'number' || !f.sweepRange) throw new Error(`sweep choice ${path}: not a number field with a sweep range`);
  return { path, label: f.label, help: f.help, scale: f.scale, min: f.sweepRange.min, max: f.sweepRange.max };
}

export const PARAM_CHOICES: ParamChoice[] = CHOICE_PATHS.map(choice);

export function paramChoice(path: string): ParamChoice | undefined {
  return PARAM_CHOICES.find((c) => c.path === path);
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
