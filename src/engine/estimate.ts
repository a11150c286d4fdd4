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
 *   peak         what the browser tab really holds at a training step's peak, per
 *                backend: `bytes` counts each tensor once, but a step also holds the
 *                new values next to the old ones, the clipped gradients, masks, the
 *                telemetry's working copies, and the wasm heap keeps its high-water
 *                mark. Fitted to the peak resident memory measured in Chromium over a
 *                grid of depth × width × batch × optimizer (bench/memoryGrid.mjs;
 *                PEAK_MODEL below), per worker (each run has its own).
 * Not counted in `bytes`: small per-step temporaries, test-set evaluation (done in
 * chunks), and whatever the backend keeps besides the tensors (textures, kernels, caches).
 */
import type { Experiment, RunConfig } from './config.ts';
import type { OptimizerName } from './meta.ts';

export interface Estimate {
  /** Trainable parameters (= Model.paramCount). */
  params: number;
  /** Activation values of one training step (forward; the backward pass doubles them in `bytes`). */
  activationsPerStep: number;
  /** Bytes of tensors held while training (each tensor once). */
  bytes: number;
  /** Bytes the tab holds at a step's peak, per backend (PEAK_MODEL). */
  peakBy: Record<MemoryBackend, number>;
  /** The largest of `peakBy`: what the verdict goes by, whatever backend the run gets. */
  peak: number;
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

/** The tfjs backends (engine/backends.ts BackendName; spelled out here, which backends.ts imports). */
export type MemoryBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/**
 * A training step's peak memory in the tab, per backend, in floats of 4 bytes:
 * `perParam` per trainable parameter plus `perSlot` per parameter and optimizer
 * slot, `perActivation` per activation value of the step, plus the data set, plus
 * `perRunBytes` for the run's worker itself (its JavaScript, the backend's module
 * and buffers). The wasm heap keeps its high-water mark and grows in steps; the
 * cpu backend's arrays are freed as they go, so it peaks lower. Fitted with
 * margin (at or above every measured peak, at most 1.5× above, estimate.test.ts)
 * to the peaks measured in Chromium on a 2-core
 * Linux machine (bench/memoryGrid.mjs, bench/results/memory-grid.json; README
 * "Reliability"). The GPU backends could not be measured here (no GPU; the
 * software GPU's memory is not the GPU's): they are taken as wasm's, the tfjs
 * buffer managers keeping freed buffers for reuse the way the wasm heap does.
 */
const WASM_PEAK = { perParam: 7.5, perSlot: 5, perActivation: 6, perRunBytes: 24 * 1024 * 1024 };
export const PEAK_MODEL: Record<MemoryBackend, { perParam: number; perSlot: number; perActivation: number; perRunBytes: number }> = {
  wasm: WASM_PEAK,
  cpu: { perParam: 5, perSlot: 3.5, perActivation: 2, perRunBytes: 24 * 1024 * 1024 },
  // Not measured (see above): as wasm.
  webgpu: WASM_PEAK,
  webgl: WASM_PEAK,
};
const MEMORY_BACKENDS = Object.keys(PEAK_MODEL) as MemoryBackend[];

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
 * Thresholds of the verdict, on the peak memory (`peak`) summed over an
 * experiment's runs, whichever backend they get.
 * - The default experiment and every preset need under 100 MiB and 0.1 GFLOP a step.
 * - 1 GiB at the peak or 50 GFLOP a step: a step takes a second or more on a laptop GPU
 *   (far more on the CPU/wasm backends) and the tab may freeze: warn.
 * - 2 GiB: past what a browser tab (or a laptop GPU's share of memory) can safely hold
 *   (one worker's wasm memory tops out at 4 GiB: a 64 × 1024 MLP with adam failed
 *   there at its first step, measured at 4.0 GiB; a tab is often killed well
 *   before): refuse, unless forced (then warn).
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
  const peakBy = {} as Record<MemoryBackend, number>;
  for (const b of MEMORY_BACKENDS) {
    const k = PEAK_MODEL[b];
    const peakFloats = m.params * (k.perParam + k.perSlot * slots) + m.stateNonTrainable + k.perActivation * activationsPerStep + data;
    peakBy[b] = k.perRunBytes + peakFloats * BYTES_PER_FLOAT;
  }
  return {
    params: m.params,
    activationsPerStep,
    bytes: floats * BYTES_PER_FLOAT,
    peakBy,
    peak: Math.max(...MEMORY_BACKENDS.map((b) => peakBy[b])),
    flopsPerStep: 6 * batch * m.macs,
  };
}

export function estimateExperiment(exp: Experiment): ExperimentEstimate {
  const runs = exp.runs.map((r) => estimateRun(r));
  const sum = (f: (e: Estimate) => number) => runs.reduce((a, r) => a + f(r), 0);
  const peakBy = {} as Record<MemoryBackend, number>;
  for (const b of MEMORY_BACKENDS) peakBy[b] = sum((r) => r.peakBy[b]);
  return {
    params: sum((r) => r.params),
    activationsPerStep: sum((r) => r.activationsPerStep),
    bytes: sum((r) => r.bytes),
    peakBy,
    peak: Math.max(...MEMORY_BACKENDS.map((b) => peakBy[b])),
    flopsPerStep: sum((r) => r.flopsPerStep),
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
  const what = `about ${formatBytes(est.peak)} of memory at a step's peak and ${formatFlops(est.flopsPerStep)} per step`;
  if (est.peak >= THRESHOLDS.refuseBytes) {
    const limit = formatBytes(THRESHOLDS.refuseBytes);
    if (opts.force) return { level: 'warn', message: `${what}: more than the ${limit} a browser tab can safely hold; forced, it may crash the tab` };
    return {
      level: 'refuse',
      message: `${what}: more than the ${limit} a browser tab can safely hold (it would freeze or crash); lower the batch size, the layer widths or the number of runs (or force it)`,
    };
  }
  const reasons: string[] = [];
  if (est.peak >= THRESHOLDS.warnBytes) reasons.push('a laptop tab may run out of memory');
  if (est.flopsPerStep >= THRESHOLDS.warnFlops) reasons.push('a step may take seconds');
  if (reasons.length) return { level: 'warn', message: `${what}; ${reasons.join(' and ')}, and the tab may freeze` };
  return { level: 'ok', message: what };
}
