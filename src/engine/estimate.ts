/**
 * A resource estimate for a run or an experiment, before anything is built: the
 * trainable parameters (exactly, with the layer shapes buildModel makes), the memory
 * the training tensors take, and the floating-point work of one step. And a verdict
 * with thresholds, so that a host can warn before a laptop tab freezes or refuse what
 * would not fit at all.
 *
 * Pure arithmetic over a validated RunConfig: no TensorFlow.js, no DOM.
 *
 * Counted (float32, 4 bytes a number):
 *   params       every trainable variable: kernel and bias of each layer, and gamma and
 *                beta of each hidden layer with a norm (model.ts).
 *   bytes        params × (weights + gradients + optimizer slots) + BatchNorm moving
 *                statistics + activations × 2 (forward values and their gradients) +
 *                the data set (samples × input size).
 *   activations  batch × (input size + the output size of every layer; a conv layer
 *                that pools counts its map before and after pooling).
 *   flops        6 × batch × multiply-adds of all layers (2 flops a multiply-add, and
 *                the backward pass costs about twice the forward one).
 * Not counted: small per-step temporaries, test-set evaluation (done in chunks), and
 * whatever the backend keeps besides the tensors (textures, kernels, caches).
 */
import type { Experiment, RunConfig } from './config.ts';
import type { OptimizerName } from './meta.ts';

export interface Estimate {
  /** Trainable parameters (= Model.paramCount). */
  params: number;
  /** Activation values of one training step (forward; the backward pass doubles them in `bytes`). */
  activationsPerStep: number;
  /** Bytes of tensors held while training. */
  bytes: number;
  /** Floating-point operations of one training step. */
  flopsPerStep: number;
}

export interface ExperimentEstimate extends Estimate {
  /** Each run's own estimate; the fields above are their sums (the runs train side by side). */
  runs: Estimate[];
}

export type VerdictLevel = 'ok' | 'warn' | 'refuse';

export interface Verdict {
  level: VerdictLevel;
  message: string;
}

const BYTES_PER_FLOAT = 4;

/** Optimizer state: tensors of the weights' size kept per variable (optimizers.ts). */
export const OPTIMIZER_SLOTS: Record<OptimizerName, number> = {
  sgd: 0,
  momentum: 1,
  nesterov: 1,
  adagrad: 1,
  adadelta: 2,
  rmsprop: 2,
  adam: 2,
  adamax: 2,
  adamw: 2,
};

/**
 * The data sets' example shape and output units (data/datasets.ts: 2-D points,
 * 16×16×1 images of 3 shapes, 14×14×1 digits, the regression sets' one output;
 * a CSV's columns less the target, with up to 10 classes as the bound).
 */
function dataShape(data: RunConfig['data']): { shape: number[]; classes: number } {
  switch (data.name) {
    case 'shapes':
      return { shape: [16, 16, 1], classes: 3 };
    case 'digits':
      return { shape: [14, 14, 1], classes: 10 };
    case 'plane':
      return { shape: [2], classes: 1 };
    case 'housing':
      return { shape: [3], classes: 1 };
    case 'csv': {
      const text = data.csv?.text ?? '';
      const end = text.indexOf('\n');
      const columns = (end >= 0 ? text.slice(0, end) : text).split(',').length;
      return { shape: [Math.max(1, columns - 1)], classes: 10 };
    }
    default:
      return { shape: [2], classes: 2 };
  }
}

function size(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Thresholds of the verdict, on the sums over an experiment's runs.
 * - The default experiment and every preset need well under 10 MiB and 0.1 GFLOP a step.
 * - 1 GiB of tensors or 50 GFLOP a step: a step takes a second or more on a laptop GPU
 *   (far more on the CPU/wasm backends) and the tab may freeze: warn.
 * - 2 GiB: past what a browser tab (or a laptop GPU's share of memory) can safely hold
 *   (wasm memory tops out at 4 GiB, and a tab is often killed well before): refuse,
 *   unless forced (then warn).
 */
export const THRESHOLDS = {
  warnBytes: 1 * GiB,
  refuseBytes: 2 * GiB,
  warnFlops: 50e9,
} as const;

/** Parameters, activations and multiply-adds of a run's model, layer by layer as buildModel makes it. */
function modelCounts(run: RunConfig): { params: number; stateNonTrainable: number; activations: number; macs: number } {
  const { arch, hidden, norm } = run.model;
  const { shape: input, classes } = dataShape(run.data);
  let shape = input.slice();
  let params = 0;
  let stateNonTrainable = 0;
  let activations = size(input);
  let macs = 0;
  for (let i = 0; i < hidden.length; i++) {
    const units = hidden[i];
    if (arch === 'mlp') {
      const fanIn = size(shape);
      params += fanIn * units + units;
      macs += fanIn * units;
      shape = [units];
      activations += units;
    } else {
      const [h, w, c] = shape;
      params += 9 * c * units + units;
      macs += h * w * 9 * c * units; // 3×3 'same' convolution, stride 1
      activations += h * w * units;
      const pool = i < 2 && h >= 4 && w >= 4;
      shape = pool ? [Math.floor(h / 2), Math.floor(w / 2), units] : [h, w, units];
      if (pool) activations += size(shape);
    }
    if (norm !== 'none') params += 2 * units; // gamma, beta
    if (norm === 'batch') stateNonTrainable += 2 * units; // moving mean, variance
  }
  const fanIn = size(shape);
  params += fanIn * classes + classes;
  macs += fanIn * classes;
  activations += classes;
  return { params, stateNonTrainable, activations, macs };
}

export function estimateRun(run: RunConfig): Estimate {
  const m = modelCounts(run);
  const batch = run.train.batchSize;
  const slots = OPTIMIZER_SLOTS[run.optimizer.name];
  const activationsPerStep = batch * m.activations;
  const data = run.data.samples * size(dataShape(run.data).shape);
  const floats = m.params * (2 + slots) + m.stateNonTrainable + 2 * activationsPerStep + data;
  return {
    params: m.params,
    activationsPerStep,
    bytes: floats * BYTES_PER_FLOAT,
    flopsPerStep: 6 * batch * m.macs,
  };
}

export function estimateExperiment(exp: Experiment): ExperimentEstimate {
  const runs = exp.runs.map(estimateRun);
  const sum = (f: keyof Estimate) => runs.reduce((a, r) => a + r[f], 0);
  return {
    params: sum('params'),
    activationsPerStep: sum('activationsPerStep'),
    bytes: sum('bytes'),
    flopsPerStep: sum('flopsPerStep'),
    runs,
  };
}

function round(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '');
}

/** 1536 → "1.5 KiB". */
export function formatBytes(b: number): string {
  if (b >= GiB) return `${round(b / GiB)} GiB`;
  if (b >= MiB) return `${round(b / MiB)} MiB`;
  if (b >= KiB) return `${round(b / KiB)} KiB`;
  return `${b} B`;
}

/** 3.4e9 → "3.4 GFLOP". */
export function formatFlops(f: number): string {
  if (f >= 1e12) return `${round(f / 1e12)} TFLOP`;
  if (f >= 1e9) return `${round(f / 1e9)} GFLOP`;
  if (f >= 1e6) return `${round(f / 1e6)} MFLOP`;
  if (f >= 1e3) return `${round(f / 1e3)} kFLOP`;
  return `${f} FLOP`;
}

/**
 * ok / warn / refuse, with the numbers in the message. `force` turns a refusal into
 * a warning (the user insists).
 */
export function resourceVerdict(est: Estimate, opts: { force?: boolean } = {}): Verdict {
  const what = `about ${formatBytes(est.bytes)} of tensors and ${formatFlops(est.flopsPerStep)} per step`;
  if (est.bytes >= THRESHOLDS.refuseBytes) {
    const limit = formatBytes(THRESHOLDS.refuseBytes);
    if (opts.force) return { level: 'warn', message: `${what}: more than the ${limit} a browser tab can safely hold; forced, it may crash the tab` };
    return {
      level: 'refuse',
      message: `${what}: more than the ${limit} a browser tab can safely hold (it would freeze or crash); lower the batch size, the layer widths or the number of runs (or force it)`,
    };
  }
  const reasons: string[] = [];
  if (est.bytes >= THRESHOLDS.warnBytes) reasons.push('a laptop tab may run out of memory');
  if (est.flopsPerStep >= THRESHOLDS.warnFlops) reasons.push('a step may take seconds');
  if (reasons.length) return { level: 'warn', message: `${what}; ${reasons.join(' and ')}, and the tab may freeze` };
  return { level: 'ok', message: what };
}
