/**
 * Ready-made experiments. Each is an ordinary experiment (what a share URL
 * carries), validated by the same schema, with a few sentences of what to
 * watch for. `expect` says what each run does when trained (checked in Node
 * by presets.test.ts): 'diverges' within `checkSteps` steps, or stays 'finite'.
 *
 * The first preset, `learns`, is what the page loads when its URL holds no
 * experiment (and after a link that does not load): a net that visibly learns
 * within seconds. The schema's own defaults (SGD at lr 0.01) learn too slowly
 * to show anything in a lecture's first minute.
 *
 * Pure data and functions: no DOM, so the unit test can import it.
 */
import { parseExperiment, type Experiment, type ExperimentInput, type RunConfigInput } from '../engine/config.ts';

export type RunExpectation = 'diverges' | 'finite';

export interface Preset {
  id: string;
  title: string;
  /** What to watch for: two or three sentences, shown in the page. */
  watch: string;
  input: ExperimentInput;
  expect: RunExpectation[];
  /** Steps the unit test trains each run for (diverging runs must diverge within them). */
  checkSteps: number;
}

const DEEP8 = [32, 32, 32, 32, 32, 32, 32, 32];
const DEEP12 = Array<number>(12).fill(32);
const DEEP16 = Array<number>(16).fill(32);

/** A deep ReLU MLP whose init gain is too large: ‖∂L/∂h‖ grows ×√(g²/2) ≈ 2.1 per layer toward the input. */
const EXPLODING: RunConfigInput = {
  label: 'gain 3',
  seed: 1,
  model: { hidden: DEEP8, activation: 'relu', init: 'normal', initGain: 3 },
  optimizer: { name: 'sgd', lr: 0.01 },
  train: { steps: 500 },
};

function variant(base: RunConfigInput, label: string, patch: (r: RunConfigInput) => void): RunConfigInput {
  const r = JSON.parse(JSON.stringify(base)) as RunConfigInput;
  r.label = label;
  patch(r);
  return r;
}

function experiment(...runs: RunConfigInput[]): ExperimentInput {
  return { v: 1, runs };
}

/** The preset the page starts with. */
export const STARTER_ID = 'learns';

export const PRESETS: Preset[] = [
  {
    id: STARTER_ID,
    title: 'Learns in seconds (Adam)',
    watch:
      'Adam at lr 0.01 on the spiral: press Train (or Space) and the test accuracy passes 90% within a few hundred steps, while every layer’s gradient norm ‖∂L/∂W‖ stays between 0.01 and a few units. ' +
      'Next, make the gradients explode.',
    input: experiment({ label: 'A', optimizer: { name: 'adam', lr: 0.01 } }),
    expect: ['finite'],
    checkSteps: 20,
  },
  {
    id: 'explode',
    title: 'Explode a deep ReLU net',
    watch:
      'Eight ReLU layers initialised with gain 3 (N(0, 9/fan_in)): theory says the back-propagated signal ‖∂L/∂h‖ grows by √(g²/2) ≈ 2.1 per layer toward the input, and the Gradient-flow bars follow the dashed line. ' +
      'The first SGD steps multiply that into the weights; within a few steps the loss and the gradient norm overflow and the run stops as diverged — the banner names the layer that blew up first.',
    input: experiment(EXPLODING),
    expect: ['diverges'],
    checkSteps: 20,
  },
  {
    id: 'clip-rescue',
    title: 'Rescue it with clipping',
    watch:
      'The same exploding net twice, the second with global-norm clipping at τ = 1. ' +
      'The unclipped run diverges within a few steps; the clipped one keeps going because every step is scaled down to length τ — compare the solid global norm (before clipping, still huge) with the dashed one (after clipping, pinned at τ). ' +
      'Clipping bounds the step, not the gradient: the init problem is still there, so the loss falls slowly.',
    input: experiment(
      variant(EXPLODING, 'no clipping', () => undefined),
      variant(EXPLODING, 'global-norm clip τ=1', (r) => (r.stabilizers = { clip: { mode: 'global_norm', threshold: 1 } })),
    ),
    expect: ['diverges', 'finite'],
    checkSteps: 20,
  },
  {
    id: 'he-vs-xavier',
    title: 'He vs Xavier on a deep ReLU net',
    watch:
      'Sixteen ReLU layers on the circle set. He init (variance 2/fan_in) makes χ = 1: the Gradient-flow bars of ‖∂L/∂h‖ are flat across depth. ' +
      'Xavier/Glorot (variance 1/fan_in here) halves the signal energy per layer, so the first layers get a gradient hundreds of times smaller and the loss starts to fall later.',
    input: experiment(
      { label: 'He normal', data: { name: 'circle' }, model: { hidden: DEEP16, activation: 'relu', init: 'he_normal' }, optimizer: { name: 'momentum', lr: 0.02 }, train: { steps: 600 } },
      { label: 'Xavier normal', data: { name: 'circle' }, model: { hidden: DEEP16, activation: 'relu', init: 'glorot_normal' }, optimizer: { name: 'momentum', lr: 0.02 }, train: { steps: 600 } },
    ),
    expect: ['finite', 'finite'],
    checkSteps: 10,
  },
  {
    id: 'sigmoid-vanishing',
    title: 'Sigmoid vanishing',
    watch:
      'Ten sigmoid layers against ten ReLU layers with He init. The sigmoid’s slope is at most ¼, so ‖∂L/∂h‖ shrinks at least 4× per layer toward the input: the orange bars fall by five to six orders of magnitude from the output to the first layer, and the first layers barely learn. ' +
      'The heatmap shows the same thing as a dark band at the top (input) rows.',
    input: experiment(
      { label: 'sigmoid, Xavier', data: { name: 'circle' }, model: { hidden: [32, 32, 32, 32, 32, 32, 32, 32, 32, 32], activation: 'sigmoid', init: 'glorot_normal' }, optimizer: { name: 'momentum', lr: 0.02 }, train: { steps: 600 } },
      { label: 'ReLU, He', data: { name: 'circle' }, model: { hidden: [32, 32, 32, 32, 32, 32, 32, 32, 32, 32], activation: 'relu', init: 'he_normal' }, optimizer: { name: 'momentum', lr: 0.02 }, train: { steps: 600 } },
    ),
    expect: ['finite', 'finite'],
    checkSteps: 10,
  },
  {
    id: 'batchnorm',
    title: 'BatchNorm to the rescue',
    watch:
      'The exploding gain-3 net without and with BatchNorm. BatchNorm rescales every pre-activation to unit variance over the batch, so the init gain no longer compounds from layer to layer. ' +
      'The plain run diverges in a few steps; the normalised one trains with gradient norms of order 1 — compare the two Gradient-flow views.',
    input: experiment(
      variant(EXPLODING, 'no normalization', () => undefined),
      variant(EXPLODING, 'BatchNorm', (r) => (r.model = { ...r.model, norm: 'batch' })),
    ),
    expect: ['diverges', 'finite'],
    checkSteps: 20,
  },
  {
    id: 'residual',
    title: 'Residual connections',
    watch:
      'Twelve tanh layers with a small gain (0.5): without skips each layer passes only χ = g² = ¼ of the signal energy back, so the first layer sees a back-propagated signal thousands of times smaller than the last. ' +
      'With residual connections ∂L/∂h_{l−1} = ∂L/∂h_l + W·(…): the identity path carries the signal back unchanged (factor 1 + χ per layer), the bars are flat and all layers learn. ' +
      'Note that 1 + χ is above 1: with He-initialised ReLU layers the same skips make the signal grow √2 per layer.',
    input: experiment(
      { label: 'plain', data: { name: 'circle' }, model: { hidden: DEEP12, activation: 'tanh', init: 'normal', initGain: 0.5 }, optimizer: { name: 'momentum', lr: 0.02 }, train: { steps: 600 } },
      { label: 'residual', data: { name: 'circle' }, model: { hidden: DEEP12, activation: 'tanh', init: 'normal', initGain: 0.5, residual: true }, optimizer: { name: 'momentum', lr: 0.02 }, train: { steps: 600 } },
    ),
    expect: ['finite', 'finite'],
    checkSteps: 10,
  },
  {
    id: 'adam-vs-sgd',
    title: 'Adam vs SGD at a high learning rate',
    watch:
      'A ReLU net with gain 2 (gradients start near 70) and lr = 0.3 for both. SGD’s step is lr·g, so the large gradient throws the weights far, the next gradient is larger still, and the run diverges within a few steps. ' +
      'Adam divides by the running RMS of g, so each weight moves by about lr whatever ‖g‖ is: it never overflows — but a step of 0.3 per weight is still far too big, and the update/weight ratios show it; many ReLUs die (their ‖∂L/∂h‖ drops to 0).',
    input: experiment(
      { label: 'SGD lr 0.3', model: { hidden: DEEP8, activation: 'relu', init: 'normal', initGain: 2 }, optimizer: { name: 'sgd', lr: 0.3 } },
      { label: 'Adam lr 0.3', model: { hidden: DEEP8, activation: 'relu', init: 'normal', initGain: 2 }, optimizer: { name: 'adam', lr: 0.3 } },
    ),
    expect: ['diverges', 'finite'],
    checkSteps: 20,
  },
  {
    id: 'agc-vs-global',
    title: 'AGC vs global-norm clipping',
    watch:
      'The exploding gain-3 net at lr = 0.1, clipped two ways. Global-norm clipping shrinks all gradients by one factor, so the huge early-layer gradients use up the whole step and the later layers barely move. ' +
      'Adaptive gradient clipping (AGC, τ = 0.1) caps each unit’s gradient relative to its own weights: in the update/weight chart every layer’s ratio stays at or below lr·τ = 1e-2, and the loss falls faster.',
    input: experiment(
      variant(EXPLODING, 'global norm τ=1', (r) => {
        r.optimizer = { name: 'sgd', lr: 0.1 };
        r.stabilizers = { clip: { mode: 'global_norm', threshold: 1 } };
      }),
      variant(EXPLODING, 'AGC τ=0.1', (r) => {
        r.optimizer = { name: 'sgd', lr: 0.1 };
        r.stabilizers = { clip: { mode: 'agc', threshold: 0.1 } };
      }),
    ),
    expect: ['finite', 'finite'],
    checkSteps: 20,
  },
  {
    id: 'tanh-chaos',
    title: 'tanh: ordered, critical, chaotic',
    watch:
      'Three 16-layer tanh nets with gains 0.5, 1 and 3. Mean-field theory gives χ₁ = g² = 0.25 (vanishing), exactly 1 at the edge of chaos, and about 1.86 at g = 3 (exploding, after the signal settles at its fixed point q*). ' +
      'The dashed theory line in each Gradient-flow view is that prediction; at step 0 the bars follow it.',
    input: experiment(
      { label: 'g = 0.5', model: { hidden: DEEP16, activation: 'tanh', init: 'normal', initGain: 0.5 } },
      { label: 'g = 1', model: { hidden: DEEP16, activation: 'tanh', init: 'normal', initGain: 1 } },
      { label: 'g = 3', model: { hidden: DEEP16, activation: 'tanh', init: 'normal', initGain: 3 } },
    ),
    expect: ['finite', 'finite', 'finite'],
    checkSteps: 5,
  },
  {
    id: 'digits-cnn',
    title: 'Deep CNN on digits: explode and rescue',
    watch:
      'Six 3×3 convolution layers on handwritten digits, initialized with gain 3 and trained with SGD at lr 0.1. Without help the gradient norm jumps to about 10³ in the first steps, the updates kill the ReLUs and the loss sticks at ln 10 ≈ 2.30 (a constant guess among ten digits). ' +
      'Global-norm clipping at τ = 1 keeps the net alive and its loss falling; BatchNorm removes the explosion at its source, and that run learns fastest.',
    input: experiment(
      ...(['gain 3', 'clip τ=1', 'BatchNorm'] as const).map((label) => ({
        label,
        data: { name: 'digits' as const, samples: 1000 },
        model: { arch: 'cnn' as const, hidden: [8, 8, 8, 8, 8, 8], init: 'normal' as const, initGain: 3, norm: label === 'BatchNorm' ? ('batch' as const) : ('none' as const) },
        optimizer: { name: 'sgd' as const, lr: 0.1 },
        stabilizers: { clip: label === 'clip τ=1' ? { mode: 'global_norm' as const, threshold: 1 } : { mode: 'none' as const } },
        train: { steps: 300 },
      })),
    ),
    expect: ['finite', 'finite', 'finite'],
    checkSteps: 15,
  },
  {
    id: 'scaling',
    title: 'Unscaled features: standardize to train',
    watch:
      'The same regression of house prices twice: floor area in square feet (in the thousands), rooms and age, price in $1000s. With the raw values the first gradient is huge and the run diverges within a few steps, whatever the init. ' +
      'z-scoring the inputs and the target with the training split’s statistics (data.standardize) makes the same net and learning rate train to an R² near 1.',
    input: experiment(
      { label: 'raw features', data: { name: 'housing', standardize: 'none' }, model: { hidden: [16, 16] }, optimizer: { name: 'sgd', lr: 0.01 }, train: { steps: 300 } },
      { label: 'standardized', data: { name: 'housing', standardize: 'inputs_and_target' }, model: { hidden: [16, 16] }, optimizer: { name: 'sgd', lr: 0.01 }, train: { steps: 300 } },
    ),
    expect: ['diverges', 'finite'],
    checkSteps: 100,
  },
];

/** The validated experiment of a preset (throws if a definition is invalid: the unit test catches that). */
export function presetExperiment(p: Preset): Experiment {
  const r = parseExperiment(p.input);
  if (!r.ok) throw new Error(`preset ${p.id}: ${r.errors.join('; ')}`);
  return r.value;
}

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The preset to try after this one (the next in the list), if any. */
export function nextPreset(id: string): Preset | undefined {
  const k = PRESETS.findIndex((p) => p.id === id);
  return k >= 0 ? PRESETS[k + 1] : undefined;
}

/** What the page loads when its URL holds no experiment, or one that does not load. */
export function startingExperiment(): Experiment {
  return presetExperiment(presetById(STARTER_ID)!);
}

/** The preset an experiment is (unchanged), if any. */
export function findPreset(exp: Experiment): Preset | undefined {
  const key = JSON.stringify(exp);
  return PRESETS.find((p) => JSON.stringify(presetExperiment(p)) === key);
}
