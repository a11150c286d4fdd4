/**
 * The run controller: everything the page does to the runs' workers. It owns
 * the worker client (one Web Worker per run), the slow-motion pacer, spawning
 * and respawning workers, the configs whose resource refusal the user
 * overrode, and the page-visibility handling; it writes what the workers
 * report into the store's runtime slice.
 *
 * The decisions live here, once each:
 *  - whether an edit rebuilds the run (`needsReset`, in `configChanged`);
 *  - whether a run is built at all (`verdict`, in `spawn`);
 *  - who sends the steps: the worker's own loop at full speed, the pacer in
 *    slow motion (`start`, `pause`, `speedChanged`, `onStatus`);
 *  - what a run's runtime becomes when it goes back to step 0 (`resetRuntime`).
 *
 * The worker client is made by an injected factory, so the controller runs in
 * Node against a fake (state/controller.test.ts).
 */
import type { StoreApi } from 'zustand';
import { needsReset, type Experiment, type RunConfig } from '../../engine/config.ts';
import { estimateExperiment, resourceVerdict, type Verdict } from '../../engine/estimate.ts';
import type { BackendChoice, BackendName, StartMsg } from '../../shared/protocol.ts';
import { Pacer } from '../pacer.ts';
import type { RunEvents, RunExport } from '../runClient.ts';
import type { State } from '../store.ts';
import { BACKEND_UNKNOWN, RUN_RESET, type RunRuntime } from './runtime.ts';

export type StartOptions = Partial<Pick<StartMsg, 'stopAt' | 'cpuShare' | 'background'>>;

/** The runs' workers, one per run index (src/ui/runClient.ts in the page). */
export interface WorkerClient {
  has(run: number): boolean;
  /** A fresh worker for the run (terminating any previous one). */
  create(run: number, config: RunConfig, backend: BackendChoice, disable: BackendName[]): void;
  start(run: number, opts?: StartOptions): void;
  pause(run: number): void;
  stepOnce(run: number): void;
  /** Rebuilds the run at step 0 in the same worker. */
  reset(run: number, config: RunConfig): void;
  /** A live hyper-parameter change (no rebuild). */
  update(run: number, config: RunConfig): void;
  exportRecords(run: number): Promise<RunExport>;
  terminate(run: number): void;
  terminateAll(): void;
}

export type WorkerClientFactory = (events: RunEvents) => WorkerClient;

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

export class RunController {
  private made: WorkerClient | null = null;
  private readonly pacer = new Pacer((run) => this.client.stepOnce(run));
  /** Configs whose resource warning the user overrode ("Build it anyway"); an edit makes a new config. */
  private readonly forced = new WeakSet<RunConfig>();
  private watching = false;

  constructor(
    private readonly store: StoreApi<State>,
    private readonly makeClient: WorkerClientFactory,
    private readonly env: PageEnv,
  ) {}

  /** The runs' workers (made on first use). */
  get client(): WorkerClient {
    this.made ??= this.makeClient({
      onReady: (run, m) =>
        this.patch(run, {
          backend: m.backend,
          fallbackReason: m.fallbackReason,
          attempts: m.attempts,
          speeds: m.speeds,
          plan: m.plan,
          engine: m.engine,
          engineReason: m.engineReason,
          paramCount: m.paramCount,
          layerNames: m.layerNames,
          error: undefined,
          divergedAt: undefined,
          divergedReason: undefined,
          progress: undefined,
        }),
      onProgress: (run, m) => this.patch(run, { progress: { what: m.what, since: performance.now() } }),
      onStatus: (run, m) => {
        // A paced run shows 'training' between its single steps, and the pacer's rate.
        const paced = this.pacer.onStatus(run, m.status, m.step);
        this.patch(run, {
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
      onError: (run, m) => this.patch(run, { error: { kind: m.kind, message: m.message, recoverable: m.recoverable }, status: 'error', progress: undefined }),
    });
    return this.made;
  }

  private get state(): State {
    return this.store.getState();
  }

  private patch(run: number, p: Partial<RunRuntime>): void {
    this.store.setState((s) => {
      if (run >= s.runtime.length) return s;
      const runtime = s.runtime.slice();
      runtime[run] = { ...runtime[run], ...p };
      return { runtime };
    });
  }

  /** The run goes back to step 0: see RUN_RESET. */
  private resetRuntime(run: number, p: Partial<RunRuntime> = {}): void {
    this.patch(run, { ...RUN_RESET, ...p });
  }

  // ------------------------------------------------------------ building runs

  /**
   * The resource verdict of run i, estimated before anything is allocated: on
   * runs 0..i together, so the run that would push the experiment past what a
   * tab can hold is the one refused.
   */
  verdict(i: number, exp: Experiment = this.state.experiment): Verdict {
    const cfg = exp.runs[i];
    if (!cfg) return { level: 'ok', message: '' };
    return resourceVerdict(estimateExperiment({ ...exp, runs: exp.runs.slice(0, i + 1) }), { force: this.forced.has(cfg) });
  }

  /**
   * Creates run i's worker from the experiment, unless its config would need
   * more memory than a tab can hold: then nothing is allocated and the run
   * shows why, with a button to build it anyway.
   */
  spawn(i: number): void {
    const s = this.state;
    const cfg = s.experiment.runs[i];
    if (!cfg) return;
    const v = this.verdict(i);
    if (v.level === 'refuse') {
      if (this.client.has(i)) this.client.terminate(i);
      this.resetRuntime(i, { error: { kind: 'resources', message: `Not built: ${v.message}.`, recoverable: true } });
      return;
    }
    // A new worker: until it says which backend it trains on, the page claims none.
    this.patch(i, BACKEND_UNKNOWN);
    this.client.create(i, cfg, s.backendChoice, s.runtime[i]?.disabled ?? []);
  }

  /** Every run built again from the experiment (new runs, a new backend). */
  respawnAll(): void {
    this.pacer.stopAll();
    this.client.terminateAll();
    this.env.clearMetrics();
    this.state.experiment.runs.forEach((_, i) => this.spawn(i));
  }

  /** Run i's config was replaced (it is in the store already): rebuild, update live, or (re)consider building it. */
  configChanged(i: number, prev: RunConfig, cfg: RunConfig): void {
    const blocked = this.state.runtime[i]?.error?.kind === 'resources';
    if (blocked || this.verdict(i).level === 'refuse') {
      // Into or out of a config too large to build: (re)create from scratch.
      this.pacer.stop(i);
      this.resetRuntime(i);
      this.spawn(i);
      return;
    }
    if (!this.client.has(i)) return;
    if (needsReset(prev, cfg)) {
      this.pacer.stop(i);
      this.client.reset(i, cfg);
      this.resetRuntime(i);
    } else {
      this.client.update(i, cfg);
    }
  }

  /**
   * A fresh worker for run i after an error: on another backend after a lost
   * device; built anyway after a resource refusal.
   */
  restart(i: number): void {
    const s = this.state;
    const rt = s.runtime[i];
    if (rt?.error?.kind === 'resources') this.forced.add(s.experiment.runs[i]);
    const disabled = rt?.error?.kind === 'device-lost' && rt.backend ? [...rt.disabled, rt.backend] : (rt?.disabled ?? []);
    this.pacer.stop(i);
    this.resetRuntime(i, { disabled });
    this.spawn(i);
  }

  /** Every built run back to step 0 (same seed); a refused run stays refused. */
  resetAll(): void {
    this.pacer.stopAll();
    this.state.experiment.runs.forEach((cfg, i) => {
      if (!this.client.has(i)) return;
      this.client.reset(i, cfg);
      this.resetRuntime(i);
    });
  }

  // ------------------------------------------------------------ training

  private shareOpts(): StartOptions {
    return this.env.hidden()
      ? { cpuShare: BACKGROUND_SHARE, background: true }
      : { cpuShare: cpuShare(this.state.experiment.runs.length, this.env.cores()), background: false };
  }

  start(i: number): void {
    const { runtime, speed } = this.state;
    const rt = runtime[i];
    const st = rt?.status;
    if (st === 'training' || st === 'diverged' || st === 'error') return;
    if (speed === 'max') {
      this.client.start(i, this.shareOpts());
    } else if (st !== 'done') {
      this.pacer.setRate(speed);
      this.pacer.start(i, rt?.step ?? 0);
      this.patch(i, { status: 'training' });
    }
  }

  pause(i: number): void {
    if (this.pacer.isPaced(i)) {
      // The worker is between single steps (its own status is already 'paused').
      this.pacer.stop(i);
      this.patch(i, { status: 'paused', stepsPerSec: 0 });
      return;
    }
    this.client.pause(i);
  }

  /** One step of every run not training. */
  stepAll(): void {
    this.state.runtime.forEach((rt, i) => {
      if (rt.status !== 'training') this.client.stepOnce(i);
    });
  }

  /** The speed changed (it is in the store already): training runs change hands between the worker's loop and the pacer. */
  speedChanged(): void {
    const { speed, runtime } = this.state;
    if (speed !== 'max') this.pacer.setRate(speed);
    runtime.forEach((rt, i) => {
      if (rt.status !== 'training') return;
      if (speed === 'max') {
        this.pacer.stop(i);
        this.client.start(i, this.shareOpts());
      } else if (!this.pacer.isPaced(i)) {
        this.client.pause(i);
        this.pacer.start(i, rt.step);
      }
    });
  }

  /** Tells the training workers when the page is hidden or shown again (once). */
  watchVisibility(): void {
    if (this.watching) return;
    this.watching = true;
    this.env.onVisibilityChange(() => {
      const s = this.state;
      if (s.speed !== 'max') return; // slow motion sends single steps from the page: nothing runs on its own
      s.runtime.forEach((rt, i) => {
        if (rt.status === 'training') this.client.start(i, this.shareOpts());
      });
    });
  }
}
