/**
 * A run's faults as the run controller (controller.ts) reads them: after which
 * errors a worker is not reused, which backends a fresh worker must avoid, and
 * what a backend that ran out of memory is explained with.
 */
import type { RunConfig } from '../../engine/config.ts';
import { estimateRun, formatBytes } from '../../engine/estimate.ts';
import type { BackendName } from '../../shared/protocol.ts';
import type { RunRuntime } from './runtime.ts';

/** Error kinds after which a run's worker is not reused (a wasm instance that ran out of memory stays broken). */
const BROKEN_WORKER = new Set(['step', 'internal', 'device-lost']);

/** Messages of a backend that ran out of memory (wasm, WebGL, WebGPU, the JavaScript heap). */
const OUT_OF_MEMORY = /memory access out of bounds|out of memory|\bOOM\b|allocation failed|could not allocate|cannot enlarge memory|failed to allocate|Array buffer allocation/i;

/** Whether a run's worker cannot be reused (see BROKEN_WORKER). */
export function isBroken(rt: RunRuntime | undefined): boolean {
  return BROKEN_WORKER.has(rt?.error?.kind ?? '');
}

/** The backends a run must not use in a new worker: after a lost device, that backend too. */
export function disabledAfter(rt: RunRuntime | undefined): BackendName[] {
  return rt?.error?.kind === 'device-lost' && rt.backend ? [...rt.disabled, rt.backend] : (rt?.disabled ?? []);
}

/**
 * A worker's error message in plain words where it has some: a backend that ran
 * out of memory says how much the model needed (from the resource estimate).
 */
export function explainError(message: string, cfg: RunConfig | undefined, backend: BackendName | undefined): string {
  if (!cfg || !OUT_OF_MEMORY.test(message)) return message;
  const est = estimateRun(cfg);
  return (
    `The browser ran out of memory for this model: about ${formatBytes(backend ? est.peakBy[backend] : est.peak)} were needed` +
    `${backend ? ` on ${backend}` : ''} (${message}). Make the model or the batch smaller, or Reset: either starts a fresh worker.`
  );
}
