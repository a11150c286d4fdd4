/**
 * The "auto" backend: measure a few training steps of the run's own model on
 * each available backend and keep the fastest.
 *
 * Which backend is fastest depends on the model: a tiny MLP is dispatch-bound
 * (wasm or cpu win, a GPU's per-kernel cost dominates), a wide net or a conv net
 * is compute-bound (webgpu/webgl win once their shaders are compiled). Measuring
 * is the only reliable way to know on the user's machine.
 *
 * Per backend: a separate Trainer on a copy of the run's config (no held-out
 * evaluation, so the numbers are training steps), two warm-up steps (shader
 * compilation, wasm start-up), then steps in growing chunks until `measureMs` of
 * wall time (and at least 3 steps) or `maxSteps`. A warm-up that takes longer than its limit ends that
 * backend's measurement (its rate is then at most 1 / warm-up time). In a ranking
 * the limit grows with the model's cost: at least 6 s, and at least the time of
 * `warmupSteps` (30) steps of the fastest backend measured so far, because a slow
 * model is where a GPU's one-off shader compilation pays back soonest.
 * The trainer used for measuring is disposed; the run itself starts afresh at
 * step 0 on the chosen backend, so the choice does not change its numbers.
 *
 * Host-agnostic: the host passes the function that switches tfjs's backend.
 */
import type { RunConfig } from './config.ts';
import { Trainer } from './trainer.ts';

export interface BackendSpeed {
  backend: string;
  /** Training steps per second after the warm-up (0 when the measurement failed). */
  stepsPerSec: number;
  /** Wall time of the warm-up (two steps; includes shader compilation on GPU backends). */
  firstStepMs: number;
  /** Steps timed after the warm-up. */
  steps: number;
  /** Why the measurement stopped early or failed. */
  note?: string;
}

export interface MeasureOptions {
  /** Wall time spent timing steps after the warm-up (default 400 ms). */
  measureMs?: number;
  /** At most this many timed steps (default 200). */
  maxSteps?: number;
  /** Give up on a backend whose first step takes longer than this (default 6000 ms). */
  warmupLimitMs?: number;
  /** In rankBackends: the limit is also at least this many steps of the fastest backend so far (default 30). */
  warmupSteps?: number;
}

// A clock and timers exist in every host (browser, worker, Node); the engine's
// type library is plain ES2022, so they are looked up on globalThis.
const host = globalThis as unknown as {
  performance?: { now(): number };
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
};
/** Timed steps after the warm-up, at least (unless maxSteps is smaller). */
const MIN_STEPS = 3;
const now = () => (host.performance ? host.performance.now() : Date.now());

/** Settles with 'timeout' after `ms` unless `p` settles first. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const t = host.setTimeout(() => resolve('timeout'), ms);
    p.then(
      (v) => {
        host.clearTimeout(t);
        resolve(v);
      },
      (e) => {
        host.clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Steps per second of `cfg` on the backend active now. */
export async function measureStepRate(cfg: RunConfig, opts: MeasureOptions = {}): Promise<Omit<BackendSpeed, 'backend'>> {
  const measureMs = opts.measureMs ?? 400;
  const maxSteps = opts.maxSteps ?? 200;
  const warmupLimitMs = opts.warmupLimitMs ?? 6000;
  const probeCfg: RunConfig = { ...cfg, train: { ...cfg.train, evalEvery: 0, steps: Number.MAX_SAFE_INTEGER } };
  const trainer = new Trainer(probeCfg);
  let pending: Promise<unknown> | null = null;
  try {
    const t0 = now();
    // Two warm-up steps: on GPU backends the second still creates textures and
    // pipelines the first did not need.
    pending = trainer.runStepsPacked(1).then(() => trainer.runStepsPacked(1));
    const warm = await within(pending, warmupLimitMs);
    const firstStepMs = now() - t0;
    if (warm === 'timeout') {
      return { stepsPerSec: 2000 / firstStepMs, firstStepMs, steps: 0, note: `first steps still running after ${Math.round(firstStepMs)} ms` };
    }
    pending = null;
    let steps = 0;
    let k = 1;
    const t1 = now();
    while (steps < maxSteps && (steps < MIN_STEPS || now() - t1 < measureMs)) {
      const n = Math.min(k, maxSteps - steps);
      await trainer.runStepsPacked(n);
      steps += n;
      k = Math.min(k * 2, 16);
    }
    const ms = now() - t1;
    return { stepsPerSec: (steps * 1000) / Math.max(ms, 1e-3), firstStepMs, steps };
  } finally {
    // A first step cut short still runs on its backend: dispose once it is done.
    if (pending) void pending.then(() => trainer.dispose(), () => trainer.dispose());
    else trainer.dispose();
  }
}

/**
 * Measures `cfg` on each candidate backend (switching with `use`, which resolves
 * false when a backend cannot be used) and returns the measurements, fastest first.
 * Backends whose first round was quick (under `remeasureMs`, default 1.5 s) are
 * measured a second time and keep their better round: the first steps of the
 * first backend also pay for the JavaScript engine's warm-up of tfjs itself.
 * Failures are reported as a rate of 0 with the reason; they never throw.
 */
export async function rankBackends(
  cfg: RunConfig,
  candidates: readonly string[],
  use: (backend: string) => Promise<boolean>,
  opts: MeasureOptions & { remeasureMs?: number } = {},
): Promise<BackendSpeed[]> {
  const best = new Map<string, BackendSpeed>();
  const quick: string[] = [];
  const MAX_WARMUP_MS = 120_000;
  const warmupLimit = () => {
    const rates = [...best.values()].map((m) => m.stepsPerSec).filter((r) => r > 0);
    const fastest = rates.length ? Math.max(...rates) : Infinity;
    return Math.min(MAX_WARMUP_MS, Math.max(opts.warmupLimitMs ?? 6000, ((opts.warmupSteps ?? 30) * 1000) / fastest));
  };
  const measure = async (backend: string): Promise<BackendSpeed> => {
    try {
      if (!(await use(backend))) return { backend, stepsPerSec: 0, firstStepMs: 0, steps: 0, note: 'could not be started' };
      return { backend, ...(await measureStepRate(cfg, { ...opts, warmupLimitMs: warmupLimit() })) };
    } catch (e) {
      return { backend, stepsPerSec: 0, firstStepMs: 0, steps: 0, note: e instanceof Error ? e.message : String(e) };
    }
  };
  for (const backend of candidates) {
    const t0 = now();
    const m = await measure(backend);
    best.set(backend, m);
    if (m.steps > 0 && now() - t0 < (opts.remeasureMs ?? 1500)) quick.push(backend);
  }
  for (const backend of quick) {
    const m = await measure(backend);
    if (m.stepsPerSec > best.get(backend)!.stepsPerSec) best.set(backend, m);
  }
  return [...best.values()].sort((a, b) => b.stepsPerSec - a.stepsPerSec);
}
