/**
 * The models the benchmark measures, as gradscope run configs. Shared by the
 * Node benchmarks and the bench page's worker (pure data, no tfjs).
 *
 * Every cell trains with plain SGD, global-norm clipping at 1 (so the clip
 * code path runs every step) and no held-out evaluation (`evalEvery: 0`): the
 * bare tfjs loop it is compared with evaluates nothing either.
 */
import { defaultRunConfig, type RunConfig, type RunConfigInput } from '../../src/engine/config.ts';

export type ModelId = 'spiral' | 'mlp5x64' | 'mlp16x128' | 'cnn';

export interface ModelSpec {
  id: ModelId;
  /** Short human label for tables. */
  label: string;
  /** False when the model cannot train on the wasm backend (conv nets in tfjs 4.22). */
  wasm: boolean;
  input: RunConfigInput;
}

const COMMON: RunConfigInput = {
  seed: 1,
  stabilizers: { clip: { mode: 'global_norm', threshold: 1 } },
  train: { steps: 1_000_000, evalEvery: 0 },
};

export const MODELS: ModelSpec[] = [
  {
    // TensorFlow Playground's spiral: 2 inputs, 6 hidden layers of 8 tanh units,
    // 500 points with half of them for training, batch 10, lr 0.03.
    id: 'spiral',
    label: 'spiral 2→6×8 tanh→2, batch 10',
    wasm: true,
    input: {
      data: { name: 'spiral', samples: 500, testFraction: 0.5 },
      model: { arch: 'mlp', hidden: [8, 8, 8, 8, 8, 8], activation: 'tanh', init: 'glorot_normal' },
      optimizer: { name: 'sgd', lr: 0.03 },
      train: { batchSize: 10 },
    },
  },
  {
    id: 'mlp5x64',
    label: 'MLP 2→5×64 relu→2, batch 64',
    wasm: true,
    input: {
      data: { name: 'spiral', samples: 512 },
      model: { arch: 'mlp', hidden: [64, 64, 64, 64, 64], activation: 'relu' },
      optimizer: { name: 'sgd', lr: 0.01 },
      train: { batchSize: 64 },
    },
  },
  {
    id: 'mlp16x128',
    label: 'MLP 2→16×128 relu→2, batch 64',
    wasm: true,
    input: {
      data: { name: 'spiral', samples: 512 },
      model: { arch: 'mlp', hidden: Array(16).fill(128), activation: 'relu' },
      optimizer: { name: 'sgd', lr: 0.01 },
      train: { batchSize: 64 },
    },
  },
  {
    id: 'cnn',
    label: 'CNN shapes 16×16, conv [8,16] relu, batch 32',
    wasm: false,
    input: {
      data: { name: 'shapes', samples: 512 },
      model: { arch: 'cnn', hidden: [8, 16], activation: 'relu' },
      optimizer: { name: 'sgd', lr: 0.01 },
      train: { batchSize: 32 },
    },
  },
];

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function modelSpec(id: ModelId): ModelSpec {
  const m = MODELS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown model ${id}`);
  return m;
}

/** The validated run config of a benchmark model (optionally with extra overrides). */
export function configFor(id: ModelId, extra: RunConfigInput = {}): RunConfig {
  const input = merge(merge(COMMON as Record<string, unknown>, modelSpec(id).input as Record<string, unknown>), extra as Record<string, unknown>);
  return defaultRunConfig(input as RunConfigInput);
}

/** Models a backend can train. */
export function modelsFor(backend: string): ModelSpec[] {
  return MODELS.filter((m) => backend !== 'wasm' || m.wasm);
}
