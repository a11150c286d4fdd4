/**
 * One place for the labels and one-sentence explanations of every option of the
 * config's choice fields. The UI shows them on hover/focus, the CLI prints them in
 * `--help`. The fields themselves (labels, help, ranges) are in fields.ts.
 */

export interface OptionMeta {
  label: string;
  help: string;
}

function meta<K extends string>(m: Record<K, OptionMeta>): Record<K, OptionMeta> {
  return m;
}

export const DATASETS = ['circle', 'xor', 'gauss', 'spiral', 'moons', 'shapes', 'digits', 'plane', 'housing', 'csv'] as const;
export type DatasetName = (typeof DATASETS)[number];
export const DATASET_META = meta<DatasetName>({
  circle: { label: 'Circle', help: 'A disc of one class inside a ring of the other: needs a curved boundary.' },
  xor: { label: 'XOR', help: 'Four quadrants with alternating classes: no single straight line separates them.' },
  gauss: { label: 'Gaussians', help: 'Two Gaussian blobs: nearly linearly separable, the easiest set.' },
  spiral: { label: 'Spiral', help: 'Two interleaved spirals: hard, needs several layers.' },
  moons: { label: 'Moons', help: 'Two interleaving half circles.' },
  shapes: {
    label: 'Shapes (16×16 images)',
    help: 'Synthetic 16×16 grey images of squares, circles and triangles with jitter and noise; for the CNN.',
  },
  digits: {
    label: 'Digits (14×14 handwritten)',
    help: 'Handwritten digits 0–9 from MNIST (the mnist package), averaged down to 14×14: a real image set for the CNN and the MLP.',
  },
  plane: {
    label: 'Plane (regression)',
    help: 'TensorFlow Playground’s regression set: the target is (x + y)/2 plus noise; mean squared error, scored by R².',
  },
  housing: {
    label: 'House prices (regression, raw units)',
    help: 'Synthetic house prices in $1000s from floor area (square feet, in the thousands), rooms and age: unscaled features, the lesson of data.standardize.',
  },
  csv: { label: 'Your CSV file', help: 'A CSV file of your own: a header row, numeric columns, one of them the target.' },
});
export const IMAGE_DATASETS: readonly DatasetName[] = ['shapes', 'digits'];
/** Built-in sets whose target is a number (mean squared error); a CSV's task is decided by its target column. */
export const REGRESSION_DATASETS: readonly DatasetName[] = ['plane', 'housing'];
/** Built-in sets with two input coordinates (the decision-boundary view and the 2-D preview). */
export const POINT_DATASETS: readonly DatasetName[] = ['circle', 'xor', 'gauss', 'spiral', 'moons', 'plane'];

export const STANDARDIZE = ['none', 'inputs', 'inputs_and_target'] as const;
export type Standardize = (typeof STANDARDIZE)[number];
export const STANDARDIZE_META = meta<Standardize>({
  none: { label: 'None (raw values)', help: 'The features as they are: a column in the thousands makes the first layer’s gradients thousands of times larger.' },
  inputs: { label: 'Inputs (z-score)', help: 'Each input column minus its mean, over its standard deviation, both from the training split only.' },
  inputs_and_target: {
    label: 'Inputs and target',
    help: 'Inputs z-scored, and a regression target too (the loss is then in units of the target’s standard deviation; R² is unchanged).',
  },
});

export const TASKS = ['auto', 'classification', 'regression'] as const;
export type Task = (typeof TASKS)[number];
export const TASK_META = meta<Task>({
  auto: { label: 'Auto', help: 'Classification when the target column has at most 10 distinct values (all whole numbers or text), regression otherwise.' },
  classification: { label: 'Classification', help: 'Each distinct target value is a class (at most 10): softmax cross-entropy, scored by accuracy.' },
  regression: { label: 'Regression', help: 'The target is a number: a linear output and mean squared error, scored by R².' },
});

export const ARCHS = ['mlp', 'cnn'] as const;
export type Arch = (typeof ARCHS)[number];
export const ARCH_META = meta<Arch>({
  mlp: { label: 'MLP', help: 'Fully connected layers; hidden sizes are units per layer.' },
  cnn: { label: 'CNN', help: '3×3 convolutions (hidden sizes are filters), 2×2 max-pooling after the first two, a dense head.' },
});

export const ACTIVATIONS = ['relu', 'leaky_relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
/** Slope of leaky ReLU for x < 0 (the model, the theory and the label use this one). */
export const LEAKY_RELU_SLOPE = 0.2;
export const ACTIVATION_META = meta<Activation>({
  relu: { label: 'ReLU', help: 'max(0, x): halves the signal variance per layer, so He init (gain √2) keeps it stable.' },
  leaky_relu: {
    label: `Leaky ReLU (${LEAKY_RELU_SLOPE})`,
    help: `Like ReLU but lets ${LEAKY_RELU_SLOPE}·x through for x < 0, so no unit dies completely.`,
  },
  relu6: { label: 'ReLU6', help: 'ReLU capped at 6: bounds activations, not gradients.' },
  elu: { label: 'ELU', help: 'Smooth ReLU with a negative saturation at -1; keeps means closer to zero.' },
  selu: { label: 'SELU', help: 'Scaled ELU that self-normalises with LeCun-normal init.' },
  tanh: { label: 'tanh', help: 'Saturating S-curve in (-1, 1): large gains saturate it, small ones make gradients vanish.' },
  sigmoid: { label: 'Sigmoid', help: 'S-curve in (0, 1) with slope at most 1/4: gradients shrink at least 4× per layer, the classic vanishing case.' },
  linear: { label: 'Linear (none)', help: 'No non-linearity: the net is one matrix, gradients scale by the gain per layer.' },
});

export const INITS = ['he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'normal', 'orthogonal'] as const;
export type InitName = (typeof INITS)[number];
export const INIT_META = meta<InitName>({
  he_normal: { label: 'He normal', help: 'W ~ N(0, 2/fan_in): keeps the signal variance constant through ReLU layers.' },
  he_uniform: { label: 'He uniform', help: 'Uniform with variance 2/fan_in (same variance as He normal).' },
  glorot_normal: { label: 'Xavier/Glorot normal', help: 'W ~ N(0, 2/(fan_in+fan_out)): made for tanh/linear; too small for deep ReLU nets.' },
  glorot_uniform: { label: 'Xavier/Glorot uniform', help: 'Uniform with variance 2/(fan_in+fan_out).' },
  lecun_normal: { label: 'LeCun normal', help: 'W ~ N(0, 1/fan_in): the partner of SELU.' },
  normal: { label: 'Normal (1/fan_in)·gain²', help: 'W ~ N(0, g²/fan_in): set the gain g to move a net from vanishing (small g) to exploding (large g).' },
  orthogonal: { label: 'Orthogonal', help: 'A random orthogonal matrix times the gain: preserves norms exactly in linear nets.' },
});

export const NORMS = ['none', 'batch', 'layer'] as const;
export type NormName = (typeof NORMS)[number];
export const NORM_META = meta<NormName>({
  none: { label: 'None', help: 'No normalization.' },
  batch: { label: 'BatchNorm', help: 'Normalises each unit over the batch before the activation: keeps pre-activations at unit scale whatever the init.' },
  layer: { label: 'LayerNorm', help: 'Normalises over the units of each example: batch-size independent.' },
});

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamax', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const OPTIMIZER_META = meta<OptimizerName>({
  sgd: { label: 'SGD', help: 'w ← w − lr·g: the step is proportional to the gradient, so an exploding gradient is an exploding step.' },
  momentum: { label: 'Momentum', help: 'v ← m·v + g; w ← w − lr·v: smooths the direction, but a spike stays in v for ~1/(1−m) steps.' },
  nesterov: { label: 'Nesterov', help: 'Momentum with a look-ahead correction: w ← w − lr·(g + m·v).' },
  adagrad: { label: 'Adagrad', help: 'Divides by the root of the sum of all past squared gradients (from 0): steps only shrink over time.' },
  adadelta: { label: 'Adadelta', help: 'Ratio of running RMS of updates to RMS of gradients (decay ρ); usually needs lr ≈ 1.' },
  rmsprop: { label: 'RMSprop', help: 'Divides by a running RMS of the gradient (decay ρ) with momentum: step size is roughly lr whatever the gradient scale.' },
  adam: { label: 'Adam', help: 'Momentum (β1) over a running RMS (β2) with bias correction: per-weight step ≈ lr, robust to gradient scale.' },
  adamax: { label: 'Adamax', help: 'Adam with the infinity norm: divides by the running maximum of |g|.' },
  adamw: { label: 'AdamW', help: 'Adam plus decoupled weight decay: w ← w − lr·λ·w applied outside the adaptive step.' },
});

/**
 * Each optimizer's update, as written in the README and `gradscope run --help`
 * (g the gradient after clipping, η the learning rate of the step, t the step
 * count of the optimizer from 1; every optimizer then applies the decoupled
 * weight decay w ← w − η·λ·w when weightDecay λ > 0).
 */
export const OPTIMIZER_FORMULAS: Record<OptimizerName, string> = {
  sgd: 'w ← w − η·g',
  momentum: 'v ← μ·v + g;  w ← w − η·v',
  nesterov: 'v ← μ·v + g;  w ← w − η·(g + μ·v)',
  adagrad: 's ← s + g² (s₀ = 0);  w ← w − η·g/(√s + ε)',
  adadelta: 's ← ρ·s + (1−ρ)·g²;  Δ ← √(u + ε)/√(s + ε)·g;  u ← ρ·u + (1−ρ)·Δ²;  w ← w − η·Δ',
  rmsprop: 's ← ρ·s + (1−ρ)·g²;  b ← μ·b + g/(√s + ε);  w ← w − η·b',
  adam: 'm ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  w ← w − η·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)',
  adamax: 'm ← β₁·m + (1−β₁)·g;  u ← max(β₂·u, |g| + ε);  w ← w − η/(1−β₁ᵗ)·m/u',
  adamw: 'adam, with the decoupled weight decay',
};

export const SCHEDULES = ['constant', 'step', 'exp', 'cosine'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];
export const SCHEDULE_META = meta<ScheduleKind>({
  constant: { label: 'Constant', help: 'The same learning rate every step (after warm-up).' },
  step: { label: 'Step decay', help: 'lr·γ^⌊s/stepSize⌋, with s = step − warmupSteps: the decays count from the end of the warm-up.' },
  exp: { label: 'Exponential', help: 'lr·γ^(s/stepSize), with s = step − warmupSteps: a smooth decay by γ per stepSize steps.' },
  cosine: { label: 'Cosine', help: 'lr·(f + (1−f)·½(1 + cos(π·s/S))), s = step − warmupSteps, S = steps − 1 − warmupSteps: lr·minFactor at the last step.' },
});

export const CLIP_MODES = ['none', 'global_norm', 'layer_norm', 'value', 'agc', 'adaptive'] as const;
export type ClipMode = (typeof CLIP_MODES)[number];
export const CLIP_META = meta<ClipMode>({
  none: { label: 'No clipping', help: 'Gradients are applied as computed.' },
  global_norm: {
    label: 'Global norm',
    help: 'Scales all gradients together by min(1, τ/(‖g‖+1e-6)) (PyTorch clip_grad_norm_): keeps the direction, caps the step length.',
  },
  layer_norm: {
    label: 'Per-layer norm',
    help: 'Applies the norm cap to each layer on its own (Keras clipnorm): changes the direction across layers.',
  },
  value: { label: 'Value', help: 'Clamps every gradient element to [−τ, τ]: crude, changes the direction.' },
  agc: {
    label: 'Adaptive (AGC)',
    help: 'Per unit, caps ‖g‖ at τ·max(‖w‖, 1e-3) (Brock et al. 2021): the step is limited relative to the weights it changes.',
  },
  adaptive: {
    label: 'Outlier (z-score)',
    help: 'Learns the typical log gradient norm (running mean μ and std σ) and clips the global norm to exp(μ + z·σ) when a step is an outlier.',
  },
});
