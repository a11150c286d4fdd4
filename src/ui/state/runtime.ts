/**
 * The runtime slice: what each run's worker reports (status, step, backend,
 * errors), the backend choice and the training speed. The actions hand the
 * work to the run controller (./controller.ts), which owns the workers.
 */
import type { StateCreator } from 'zustand';
import type { BackendAttempt, BackendChoice, BackendName, BackendSpeed, RunStatus } from '../../shared/protocol.ts';
import type { Speed } from '../pacer.ts';
import type { EngineChoice, EngineName } from '../../engine/engines.ts';
import type { State } from '../store.ts';
import type { RunController } from './controller.ts';

export interface RunRuntime {
  status: RunStatus;
  step: number;
  stepsPerSec: number;
  backend?: BackendName;
  fallbackReason?: string;
  attempts?: BackendAttempt[];
  /** The "fastest" choice's measurement (ReadyMsg.speeds). */
  speeds?: BackendSpeed[];
  /** With "auto": why this backend was tried first (ReadyMsg.plan). */
  plan?: string;
  /** The engine that trains the run (typed or tfjs) and why (ReadyMsg.engine, engineReason). */
  engine?: EngineName;
  engineReason?: string;
  /**
   * What the worker is busy with before the run's first numbers, and since when
   * (performance.now()); also the controller's own "computing step N (estimated …)"
   * when a step has not answered for a second.
   */
  progress?: { what: string; since: number };
  paramCount?: number;
  layerNames?: string[];
  divergedAt?: number;
  divergedReason?: string;
  /**
   * The worker's error (ErrorMsg kinds), a resource refusal ('resources': not
   * built), or a notice that the controller stopped an unanswering worker and
   * built the run again ('stopped': not an error of the run; kept until the next
   * start, step, reset or edit).
   */
  error?: { kind: string; message: string; recoverable: boolean };
  numTensors?: number;
  /** Backends excluded after a failure (a lost GPU device). */
  disabled: BackendName[];
}

/** What a new worker has not told yet: the backend it trains on, and why. Cleared when a worker is (re)created. */
export const BACKEND_UNKNOWN = {
  backend: undefined,
  fallbackReason: undefined,
  attempts: undefined,
  speeds: undefined,
  plan: undefined,
  engine: undefined,
  engineReason: undefined,
  progress: undefined,
} as const satisfies Partial<RunRuntime>;

export const emptyRuntime = (): RunRuntime => ({ status: 'idle', step: 0, stepsPerSec: 0, disabled: [] });

/**
 * What a run's runtime becomes when the run goes back to step 0 (reset,
 * restart, a rebuild after an edit, a refusal): the one list of fields cleared.
 * What the worker reported about its backend, and the backends disabled after
 * a failure, are kept.
 */
export const RUN_RESET = {
  status: 'idle',
  step: 0,
  stepsPerSec: 0,
  error: undefined,
  divergedAt: undefined,
  divergedReason: undefined,
  progress: undefined,
} as const satisfies Partial<RunRuntime>;

export interface RuntimeSlice {
  runtime: RunRuntime[];
  backendChoice: BackendChoice;
  /** Rebuilds every run on the chosen backend (and forgets disabled backends). */
  setBackendChoice(b: BackendChoice): void;
  /**
   * The engine asked for (engines.ts): 'auto' lets the worker choose (the typed
   * engine for small MLPs on the auto backend), 'tfjs' or 'typed' by name.
   * Rebuilds every run.
   */
  engineChoice: EngineChoice;
  setEngineChoice(e: EngineChoice): void;
  startAll(): void;
  pauseAll(): void;
  toggleAll(): void;
  stepAll(): void;
  resetAll(): void;
  restartRun(i: number): void;
  startRun(i: number): void;
  pauseRun(i: number): void;
  /** Steps per second ('max': the worker's own loop; a number: slow motion from the page). */
  speed: Speed;
  setSpeed(s: Speed): void;
}

export const runtimeSlice =
  (ctl: () => RunController): StateCreator<State, [], [], RuntimeSlice> =>
  (set, get) => ({
    runtime: [emptyRuntime()],
    backendChoice: 'auto',
    setBackendChoice(b) {
      set({ backendChoice: b, runtime: get().runtime.map((r) => ({ ...r, disabled: [] })) });
      ctl().respawnAll();
    },
    engineChoice: 'auto',
    setEngineChoice(e) {
      if (e === get().engineChoice) return;
      set({ engineChoice: e });
      ctl().respawnAll();
    },
    speed: 'max',
    setSpeed(speed) {
      if (speed === get().speed) return;
      set({ speed });
      ctl().speedChanged();
    },
    startAll() {
      get().experiment.runs.forEach((_, i) => get().startRun(i));
    },
    pauseAll() {
      get().experiment.runs.forEach((_, i) => get().pauseRun(i));
    },
    toggleAll() {
      if (get().runtime.some((r) => r.status === 'training')) get().pauseAll();
      else get().startAll();
    },
    stepAll: () => ctl().stepAll(),
    resetAll: () => ctl().resetAll(),
    restartRun: (i) => ctl().restart(i),
    startRun: (i) => ctl().start(i),
    pauseRun: (i) => ctl().pause(i),
  });
