/**
 * The tfjs backends gradscope can train on, and which of them can train which
 * model: the one place that knows that wasm cannot train conv nets. The hosts
 * (the page's workers, the CLI, sweeps) ask here and start the backends.
 */
import { formatFlops } from './estimate.ts';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Preference order of the page when nothing is forced. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * 'auto': the first backend that starts, in BACKEND_ORDER.
 * 'fastest': time a few steps of the run's model on every backend that starts and
 * train on the fastest (see backendSpeed.ts).
 */
export type BackendChoice = BackendName | 'auto' | 'fastest';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'fastest', 'webgpu', 'webgl', 'wasm', 'cpu'];

export function isBackendName(x: unknown): x is BackendName {
  return typeof x === 'string' && (BACKEND_ORDER as readonly string[]).includes(x);
}

export function isBackendChoice(x: unknown): x is BackendChoice {
  return typeof x === 'string' && (BACKEND_CHOICES as readonly string[]).includes(x);
}

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why the backend was not used (absent when ok). */
  reason?: string;
  /** Extra detail on success, e.g. the WebGPU adapter or the wasm flavour. */
  info?: string;
  /** Wall time the attempt took, in milliseconds. */
  ms?: number;
}

export type Arch = 'mlp' | 'cnn';

/** Why a backend cannot train a model of this kind, or null when it can. */
export function cannotTrain(backend: BackendName, arch: Arch): string | null {
  // tfjs 4.22's wasm backend registers no Conv2DBackpropFilter kernel.
  if (backend === 'wasm' && arch === 'cnn') return 'the wasm backend cannot train conv nets';
  return null;
}

/** The backends that cannot train this kind of model, with the reason for each. */
export function excludedFor(arch: Arch): Partial<Record<BackendName, string>> {
  const out: Partial<Record<BackendName, string>> = {};
  for (const b of BACKEND_ORDER) {
    const why = cannotTrain(b, arch);
    if (why) out[b] = why;
  }
  return out;
}

/** Backends of the CLI (Node has no GPU backend without native code). */
export type NodeBackendChoice = 'auto' | 'cpu' | 'wasm';

/**
 * The CLI's backend for a model: 'auto' is wasm for MLPs (the faster one in Node)
 * and cpu for conv nets; a forced backend that cannot train the model is an error.
 */
export function nodeBackendFor(arch: Arch, choice: NodeBackendChoice): { backend: 'cpu' | 'wasm' } | { error: string } {
  if (choice === 'auto') return { backend: cannotTrain('wasm', arch) ? 'cpu' : 'wasm' };
  const why = cannotTrain(choice, arch);
  return why ? { error: `--backend ${choice}: ${why} (model.arch ${arch}); use cpu or auto` } : { backend: choice };
}

/**
 * Work per training step from which the page's "auto" tries a GPU backend
 * first for an MLP. Below it a step is a few hundred tiny kernels and a GPU
 * pays a fixed cost for each (plus 10–30 s of shader compilation where the GPU
 * is emulated), so wasm or cpu give the first points within a second and train
 * as fast or faster. Measured (bench "fastest", 2 cores): MLP 5×64 and 16×128
 * at batch 64 (0.01–0.1 GFLOP a step) train 10–20× faster on wasm than on a
 * software GPU; on a hardware GPU the per-kernel cost still leaves wasm ahead
 * for such nets. Conv nets always try the GPU first.
 */
export const GPU_FROM_FLOPS = 1e9;

/**
 * Rough floating-point throughput of a training step on each backend (FLOP/s),
 * dense and conv: for the estimate shown while a long step computes and for the
 * warm start below. The CPU backends as measured in Chromium on a 2-core machine
 * with tfjs 4.22 (dense 1024-wide layers: cpu 0.6 GFLOP/s, wasm 4; a conv net on
 * cpu 0.12); the GPU ones a modest laptop GPU's. The order of magnitude is what
 * matters.
 */
export const STEP_FLOPS_PER_SEC: Record<BackendName, { mlp: number; cnn: number }> = {
  cpu: { mlp: 0.6e9, cnn: 0.12e9 },
  wasm: { mlp: 4e9, cnn: 4e9 },
  webgl: { mlp: 15e9, cnn: 15e9 },
  webgpu: { mlp: 15e9, cnn: 15e9 },
};

/** Seconds one step of this work is estimated to take on `backend`. */
export function stepSeconds(arch: Arch, flopsPerStep: number, backend: BackendName): number {
  return flopsPerStep / STEP_FLOPS_PER_SEC[backend][arch];
}

/**
 * Warm start: a GPU-first model whose step the CPU backend is estimated to do
 * within this many seconds starts training on the CPU backend at once, while the
 * GPU backend compiles its shaders and is timed on the same model in the
 * background; the run moves to the GPU when it measures faster (worker/warmup.ts).
 * A GPU backend's first step compiles every shader of the model (seconds on a
 * hardware GPU, 5–30 s where the GPU is emulated), so without it the first points
 * of a conv net came after that wait.
 */
export const WARM_START_MAX_CPU_S = 1;

/** The CPU backend a model trains on while a GPU backend warms up: wasm, else cpu. */
export function warmStartBackend(arch: Arch): BackendName {
  return cannotTrain('wasm', arch) ? 'cpu' : 'wasm';
}

export interface AutoPlan {
  /** Order in which "auto" tries the backends. */
  order: BackendName[];
  /** Why, in a few words, for the page: "small model: wasm first (0.1 MFLOP a step; GPU from 1 GFLOP)". */
  reason: string;
  /**
   * GPU first, but train on this CPU backend while the GPU warms up (the model's
   * step is estimated there within WARM_START_MAX_CPU_S); absent: wait for the GPU.
   */
  warmStart?: BackendName;
}

/** The page's "auto" order for a model of this kind and work per step. */
export function autoPlan(arch: Arch, flopsPerStep: number): AutoPlan {
  const work = `${formatFlops(flopsPerStep)} a step`;
  const gpuFirst = arch === 'cnn' || flopsPerStep >= GPU_FROM_FLOPS;
  if (gpuFirst) {
    const what = arch === 'cnn' ? 'conv net' : `large model (${work})`;
    const cpu = warmStartBackend(arch);
    if (stepSeconds(arch, flopsPerStep, cpu) <= WARM_START_MAX_CPU_S) {
      return { order: [...BACKEND_ORDER], reason: `${what}: ${cpu} at once while the GPU warms up`, warmStart: cpu };
    }
    return { order: [...BACKEND_ORDER], reason: `${what}: GPU first` };
  }
  return {
    order: ['wasm', 'cpu', 'webgpu', 'webgl'],
    reason: `small model: CPU first (${work}; a GPU backend from ${formatFlops(GPU_FROM_FLOPS)})`,
  };
}
