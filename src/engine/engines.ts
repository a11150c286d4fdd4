/**
 * Which engine trains a run: the tfjs engine (trainer.ts: any model, any tfjs
 * backend) or the typed engine (typed/trainer.ts: every MLP, plain
 * loops over typed arrays). Both produce the same packed rows for the same config
 * and seed (against tfjs's cpu backend bit for bit in practice, and within 1e-4 by
 * test: typed/differential.test.ts).
 *
 * 'auto' picks the typed engine where it trains the config and a step is small
 * enough that tfjs's fixed cost per kernel outweighs anything its backend's
 * arithmetic can win back (see the bounds below).
 * Pure: no tfjs, no trainers (createTrainer in train.ts builds the one chosen).
 */
import type { BackendName } from './backends.ts';
import type { RunConfig } from './config.ts';
import { estimateRun } from './estimate.ts';
import type { EngineName } from './runTrainer.ts';
import { typedEngineSupports } from './typed/supports.ts';

export type { EngineName } from './runTrainer.ts';
export type EngineChoice = 'auto' | EngineName;
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'tfjs', 'typed'];

export function isEngineChoice(x: unknown): x is EngineChoice {
  return typeof x === 'string' && (ENGINE_CHOICES as readonly string[]).includes(x);
}

/**
 * 'auto' on a CPU backend (cpu, wasm; every Node host): the typed engine up to this
 * many multiply-adds per step (forward and backward, `macsPerStep`).
 * Measured in Node with bench/node/typed.ts (2 shared cores, interleaved A/B chunks,
 * steps/s of the typed engine ÷ the tfjs engine's): faster at every MLP size measured,
 * 1e4 to 2e8 multiply-adds per step: 30–43× tfjs cpu and 37–43× tfjs wasm on the
 * spiral net (1e4), falling to 4.5–5× (cpu) and 1.15–1.8× (wasm) from 5e7 to 2e8, where
 * tfjs's dispatch cost no longer matters and its wasm matrix products run at 0.3–1
 * GMAC/s here, the typed engine's at about 1 (one block of pairs at 5e7 measured 0.86×
 * against wasm). No crossover in that range, so the bound is the largest size measured.
 */
export const TYPED_MAX_MACS = 2e8;

/**
 * 'auto' next to a GPU backend (webgpu, webgl): the typed engine below this many
 * multiply-adds per step. Not measured (this machine has no GPU; the benchmark's
 * WebGPU is software), but bounded: a tfjs step is at least its ~250 kernel
 * dispatches (258 on the spiral net, bench/results/PROFILE.md), each at least the
 * ~7 µs of tfjs's own bookkeeping measured on cpu and wasm, ≈ 2 ms; in 2 ms the typed
 * engine does ≈ 2 M multiply-adds. Below that it is faster however fast the GPU
 * computes; above it a real GPU may well win.
 */
export const TYPED_MAX_MACS_GPU = 2e6;

/**
 * Multiply-adds of one training step, forward and backward: estimate.ts's
 * flopsPerStep (6 × batch × the model's multiply-adds) over 2 flops a multiply-add.
 */
export function macsPerStep(cfg: RunConfig): number {
  return estimateRun(cfg).flopsPerStep / 2;
}

export interface EngineDecision {
  engine: EngineName;
  /** Why, in a few words (for logs and the CLI). */
  reason: string;
}

/** A forced typed engine on a config outside its domain. */
export class EngineUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnsupportedError';
  }
}

function formatMacs(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toPrecision(3)} M` : n >= 1e3 ? `${(n / 1e3).toPrecision(3)} k` : `${n}`;
}

/**
 * The engine for a run. `backend`: the tfjs backend the host would train on, when it
 * knows (a GPU backend lowers the typed engine's bound); unknown means a CPU backend,
 * as in every Node host. A forced 'typed' on a config outside the typed engine's
 * domain throws EngineUnsupportedError with the reason.
 */
export function chooseEngine(cfg: RunConfig, choice: EngineChoice = 'auto', backend?: BackendName): EngineDecision {
  if (choice === 'tfjs') return { engine: 'tfjs', reason: 'tfjs engine requested' };
  const why = typedEngineSupports(cfg);
  if (choice === 'typed') {
    if (why) throw new EngineUnsupportedError(`the typed engine cannot train this run: ${why}`);
    return { engine: 'typed', reason: 'typed engine requested' };
  }
  if (why) return { engine: 'tfjs', reason: why };
  const macs = macsPerStep(cfg);
  const gpu = backend === 'webgpu' || backend === 'webgl';
  const max = gpu ? TYPED_MAX_MACS_GPU : TYPED_MAX_MACS;
  const where = gpu ? `next to ${backend}` : 'on CPU backends';
  return macs < max
    ? { engine: 'typed', reason: `${formatMacs(macs)} multiply-adds per step, below the typed engine's bound of ${formatMacs(max)} ${where}` }
    : { engine: 'tfjs', reason: `${formatMacs(macs)} multiply-adds per step, at or above the typed engine's bound of ${formatMacs(max)} ${where}` };
}
