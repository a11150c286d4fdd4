/**
 * Every message between the page and a training worker, both directions.
 * One worker trains one run. Each message carries the run's generation `gen`:
 * the page bumps it on every (re)initialisation, and drops any message from
 * the worker whose gen is not the current one (a stale loop's records).
 */
import type { RunConfig } from '../engine/config.ts';
import type { BackendSpeed } from '../engine/backendSpeed.ts';
import type { BackendAttempt, BackendChoice, BackendName } from '../engine/backends.ts';
import type { EngineChoice, EngineName } from '../engine/engines.ts';
import type { UnitSnapshot } from '../engine/unitSnapshot.ts';

export type { UnitSnapshot };

export type { BackendSpeed };

export type { BackendAttempt, BackendChoice, BackendName, EngineChoice };

export type RunStatus = 'idle' | 'training' | 'paused' | 'diverged' | 'done' | 'error';

// ---------------------------------------------------------------- page → worker

export interface InitMsg {
  type: 'init';
  gen: number;
  run: number;
  config: RunConfig;
  backend: BackendChoice;
  /** Backends to treat as unavailable (fallback after a lost device, tests). */
  disable?: BackendName[];
  /**
   * 'auto' (default with the auto backend): the typed engine for small MLPs
   * (engine/engines.ts); with a backend forced by name the default is 'tfjs'.
   */
  engine?: EngineChoice;
  /** Send per-unit snapshots for the network view (UnitsMsg); see WatchUnitsMsg. */
  units?: boolean;
}
export interface StartMsg {
  type: 'start';
  gen: number;
  /** Stop (status done) when this many steps are reached; default train.steps. */
  stopAt?: number;
  /**
   * Fraction of the time this worker may compute when its backend runs on the
   * CPU (wasm, cpu), in (0, 1]; default 1. The page gives its runs shares that
   * leave one core to the page itself (see cpuShare in src/ui/state/workerClient.ts).
   */
  cpuShare?: number;
  /** The page is hidden: the share applies whatever the backend (a background tab trains slowly). */
  background?: boolean;
}
export interface PauseMsg {
  type: 'pause';
  gen: number;
}
export interface StepOnceMsg {
  type: 'step-once';
  gen: number;
}
/** Hyper-parameter change; the worker resets by itself if the change needs a rebuild. */
export interface UpdateConfigMsg {
  type: 'update-config';
  gen: number;
  config: RunConfig;
}
/** Ask for the full step history (for exports). */
export interface ExportMsg {
  type: 'export';
  gen: number;
  requestId: number;
}
/**
 * The network view is open (`on`) or closed: while open, the worker sends a
 * per-unit snapshot (UnitsMsg) a few times a second at most, within a small
 * share of its time (src/worker/units.ts).
 */
export interface WatchUnitsMsg {
  type: 'watch-units';
  gen: number;
  on: boolean;
}
/**
 * Fault injection and introspection for tests: not used by the UI.
 * 'handover-always': a warm start hands the run to the GPU whatever it measures.
 */
export type DebugAction = 'throw-in-step' | 'lose-device' | 'memory' | 'handover-always';
export interface DebugMsg {
  type: 'debug';
  gen: number;
  action: DebugAction;
}

export type ToWorker = InitMsg | StartMsg | PauseMsg | StepOnceMsg | UpdateConfigMsg | ExportMsg | WatchUnitsMsg | DebugMsg;

// ---------------------------------------------------------------- worker → page

export interface ReadyMsg {
  type: 'ready';
  gen: number;
  run: number;
  backend: BackendName;
  attempts: BackendAttempt[];
  /** Why a better backend was not used (empty when running on the first choice). */
  fallbackReason: string;
  /** With "auto": why this backend was tried first ("small model: CPU first (110 kFLOP a step; …)"). */
  plan?: string;
  /**
   * With the "fastest" choice: steps/s of this run's model measured on each backend
   * that started, fastest first (the backend in use is the first). Absent when a
   * backend was forced or only one could start.
   */
  speeds?: BackendSpeed[];
  /** The engine that trains the run, and why it was chosen. */
  engine: EngineName;
  engineReason: string;
  layerNames: string[];
  paramCount: number;
  /** Floats per row (see engine/rows.ts). */
  rowLength: number;
}

/**
 * New records: `count` packed rows (engine/rows.ts), count·rowLength floats.
 * Sent at most ~30 times a second; when the page falls behind only every
 * other step of what waits is sent (each row carries its step).
 */
export interface RecordsMsg {
  type: 'records';
  gen: number;
  rows: Float32Array;
  count: number;
}

export interface StatusMsg {
  type: 'status';
  gen: number;
  status: RunStatus;
  step: number;
  stepsPerSec: number;
  /** First diverged step and a readable reason, when diverged. */
  divergedAt?: number;
  divergedReason?: string;
  /** tf.memory().numTensors in the worker (debug; not shown as text). */
  numTensors: number;
}

export interface ErrorMsg {
  type: 'error';
  gen: number;
  kind: 'backend' | 'step' | 'device-lost' | 'config' | 'internal';
  message: string;
  /** The run can be restarted (on a fallback backend for device-lost). */
  recoverable: boolean;
}

/** Class-1 probability on an n×n grid over [-1.5, 1.5]² (2-D data sets). */
export interface BoundaryMsg {
  type: 'boundary';
  gen: number;
  step: number;
  n: number;
  probs: Float32Array;
}

/** Per-unit signals, edges and filter norms at a step, for the network view (engine/unitSnapshot.ts). */
export interface UnitsMsg {
  type: 'units';
  gen: number;
  snapshot: UnitSnapshot;
}

export interface HistoryMsg {
  type: 'history';
  gen: number;
  requestId: number;
  rows: Float32Array;
  count: number;
  /** 1 when every step of the run is there; k when only every k-th was kept (the run outgrew the budget). */
  keptEvery: number;
}

export interface MemoryMsg {
  type: 'memory';
  gen: number;
  numTensors: number;
  numBytes: number;
}

/**
 * What the worker is busy with before a run's first numbers, for the page to
 * show with the elapsed time ("starting the backend", "first step on webgpu:
 * compiling shaders"). Superseded by the next ready, records or progress message.
 */
export interface ProgressMsg {
  type: 'progress';
  gen: number;
  what: string;
}

/**
 * A live edit took effect: from `step` on, each path holds its value. The page
 * records them as the run's mid-run changes (engine/changes.ts), so that the
 * share link replays them at the same step.
 */
export interface AppliedMsg {
  type: 'applied';
  gen: number;
  step: number;
  changes: { path: string; value: unknown }[];
}

/**
 * Warm start (worker/warmup.ts): the backend the run trains on and the plan
 * shown with it changed, e.g. "conv net: webgpu from step 57 (webgpu measured
 * 40 steps/s, cpu 12)". `step`: the first step on `backend`.
 */
export interface BackendMsg {
  type: 'backend';
  gen: number;
  backend: BackendName;
  plan: string;
  step: number;
}

export type FromWorker = AppliedMsg | ProgressMsg | ReadyMsg | RecordsMsg | StatusMsg | ErrorMsg | BoundaryMsg | UnitsMsg | HistoryMsg | MemoryMsg | BackendMsg;

export function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
