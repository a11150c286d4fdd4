/**
 * What the run controller (controller.ts) drives and where it runs: the worker
 * client (one Web Worker per run; src/ui/runClient.ts in the page, a fake in
 * the tests) and what the controller does with its events, the page around it,
 * and the share of the CPU the runs' workers may take.
 */
import type { RunConfig } from '../../engine/config.ts';
import type { BackendChoice, BackendName, EngineChoice, StartMsg } from '../../shared/protocol.ts';
import type { Pacer } from '../pacer.ts';
import type { RunEvents, RunExport } from '../runClient.ts';
import type { State } from '../store.ts';
import { explainError } from './faults.ts';
import type { Rebuilds } from './rebuilds.ts';
import type { RunRuntime } from './runtime.ts';
import type { StepWatchdog } from './stepWatch.ts';

export type StartOptions = Partial<Pick<StartMsg, 'stopAt' | 'cpuShare' | 'background'>>;

/** The runs' workers, one per run index (src/ui/runClient.ts in the page). */
export interface WorkerClient {
  has(run: number): boolean;
  /** A fresh worker for the run (terminating any previous one). */
  create(run: number, config: RunConfig, backend: BackendChoice, disable: BackendName[], engine?: EngineChoice): void;
  start(run: number, opts?: StartOptions): void;
  pause(run: number): void;
  stepOnce(run: number): void;
  /** Rebuilds the run at step 0 in the same worker. */
  reset(run: number, config: RunConfig): void;
  /** A live hyper-parameter change (no rebuild). */
  update(run: number, config: RunConfig): void;
  exportRecords(run: number): Promise<RunExport>;
  /** The run's network view opened or closed (its worker sends per-unit snapshots while open). */
  watchUnits(run: number, on: boolean): void;
  terminate(run: number): void;
  terminateAll(): void;
}

export type WorkerClientFactory = (events: RunEvents) => WorkerClient;

/** The run controller's parts that the workers' events update. */
export interface EventsHost {
  state(): State;
  patch(run: number, p: Partial<RunRuntime>): void;
  /** Runs whose worker was asked to rebuild (reset or create) and has not said it is ready. */
  readonly building: Set<number>;
  readonly rebuilds: Rebuilds;
  readonly watch: StepWatchdog;
  readonly pacer: Pacer;
  /** Forgets a run's watches and its waiting rebuild. */
  clearWatches(run: number): void;
}

/** What the workers report, written into the store's runtime slice. */
export function runEvents(c: EventsHost): RunEvents {
  return {
    onReady: (run, m) => {
      c.building.delete(run);
      c.watch.answered(run, 'Reset');
      // A step asked for while the worker was starting: its time counts from now.
      c.watch.ready(run);
      const notice = c.state().runtime[run]?.error;
      c.patch(run, {
        backend: m.backend,
        fallbackReason: m.fallbackReason,
        attempts: m.attempts,
        speeds: m.speeds,
        plan: m.plan,
        engine: m.engine,
        engineReason: m.engineReason,
        paramCount: m.paramCount,
        layerNames: m.layerNames,
        // A notice that the previous worker was stopped stays until the next action.
        error: notice?.kind === 'stopped' ? notice : undefined,
        divergedAt: undefined,
        divergedReason: undefined,
        progress: undefined,
      });
    },
    onProgress: (run, m) => c.patch(run, { progress: { what: m.what, since: performance.now() } }),
    // Warm start: the run moved to the GPU backend, or the plan says what was measured.
    onBackend: (run, m) => c.patch(run, { backend: m.backend, plan: m.plan }),
    // A live edit took effect at a step: the run's mid-run changes (the link replays them).
    onApplied: (run, m) => c.state().recordChanges(run, m.step, m.changes),
    onStatus: (run, m) => {
      // A worker reports a status only once its model is built (after 'ready').
      c.building.delete(run);
      // A rebuild is on its way: the old model's last reports are not shown.
      if (c.rebuilds.has(run)) return;
      if (m.status !== 'training') c.watch.answered(run, 'Pause');
      c.watch.stepNews(run, m.status, m.step);
      // A paced run shows 'training' between its single steps, and the pacer's rate.
      const paced = c.pacer.onStatus(run, m.status, m.step);
      c.patch(run, {
        status: paced?.status ?? m.status,
        step: m.step,
        stepsPerSec: paced?.stepsPerSec ?? m.stepsPerSec,
        divergedAt: m.divergedAt,
        divergedReason: m.divergedReason,
        numTensors: m.numTensors,
        // The first numbers (or the end of the run) end what the worker was busy with.
        ...(m.step > 0 || m.status !== 'training' ? { progress: undefined } : {}),
      });
    },
    onError: (run, m) => {
      c.building.delete(run);
      // The old model failed while its rebuild waits: that rebuild takes a fresh worker.
      if (c.rebuilds.markFresh(run)) return;
      c.clearWatches(run);
      const message = explainError(m.message, c.state().experiment.runs[run], c.state().runtime[run]?.backend);
      c.patch(run, { error: { kind: m.kind, message, recoverable: m.recoverable }, status: 'error', progress: undefined });
    },
  };
}

/** What the controller needs from the page around it. */
export interface PageEnv {
  /** Logical cores (navigator.hardwareConcurrency). */
  cores(): number;
  /** The tab is hidden. */
  hidden(): boolean;
  onVisibilityChange(fn: () => void): void;
  /** Forgets every run's metrics (before the runs are built again). */
  clearMetrics(): void;
}

export const browserEnv = (clearMetrics: () => void): PageEnv => ({
  cores: () => (typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2),
  hidden: () => typeof document !== 'undefined' && document.visibilityState === 'hidden',
  onVisibilityChange: (fn) => {
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', fn);
  },
  clearMetrics,
});

/**
 * The share of its time each run's worker may compute on a CPU backend: the
 * runs together leave one core to the page, so that drawing and input never
 * wait behind training (2 cores, 2 runs: each computes half of the time).
 */
export function cpuShare(nRuns: number, cores: number): number {
  return Math.min(1, Math.max(0.25, (cores - 1) / Math.max(1, nRuns)));
}

/** Share of a hidden tab's runs: they keep training, slowly, and catch up on nothing when shown again. */
export const BACKGROUND_SHARE = 0.1;
