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

export interface AutoPlan {
  /** Order in which "auto" tries the backends. */
  order: BackendName[];
  /** Why, in a few words, for the page: "small model: wasm first (0.1 MFLOP a step; GPU from 1 GFLOP)". */
  reason: string;
}

/** The page's "auto" order for a model of this kind and work per step. */
export function autoPlan(arch: Arch, flopsPerStep: number): AutoPlan {
  const work = `${formatFlops(flopsPerStep)} a step`;
  if (arch === 'cnn') return { order: [...BACKEND_ORDER], reason: 'conv net: GPU first' };
  if (flopsPerStep >= GPU_FROM_FLOPS) return { order: [...BACKEND_ORDER], reason: `large model: GPU first (${work})` };
  return {
    order: ['wasm', 'cpu', 'webgpu', 'webgl'],
    reason: `small model: CPU first (${work}; a GPU backend from ${formatFlops(GPU_FROM_FLOPS)})`,
  };
}
