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
 *  - what a run's runtime becomes when it goes back to step 0 (`resetRuntime`);
 *  - when a run needs a fresh worker instead of a rebuild in its own: after an
 *    exception in a step, an internal error or a lost device (a wasm instance
 *    that ran out of memory stays broken), and when its worker does not answer
 *    (`freshWorker`, `unstick`);
 *  - when an edit's rebuild is sent: rebuilds of a run are coalesced, one
 *    REBUILD_DELAY_MS after the last edit and never while the previous one is
 *    still being built (`scheduleRebuild`, `rebuildNow`); live edits go at once;
 *  - what the page says while a step takes long (`watchStep`): after STALL_MS
 *    without news, "computing step N (estimated …)", with the time so far;
 *  - how long Pause and Reset wait for a worker inside a step: ANSWER_MS, then
 *    the worker is stopped and the run rebuilt at step 0 in a fresh one.
 *
 * The worker client is made by an injected factory, so the controller runs in
 * Node against a fake (state/controller.test.ts).
 */
import type { StoreApi } from 'zustand';
import { needsReset, type Experiment, type RunConfig } from '../../engine/config.ts';
import { estimateExperiment, estimateRun, formatBytes, resourceVerdict, type Verdict } from '../../engine/estimate.ts';
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

/** Rebuilds of a run asked for within this many ms of each other are sent as one. */
export const REBUILD_DELAY_MS = 300;
/** A step not answered within this many ms gets the page's own progress line. */
export const STALL_MS = 1000;
/** Pause or Reset not answered within this many ms (or three recent steps): the worker is stopped and replaced. */
export const ANSWER_MS = 2000;

/**
 * Rough floating-point throughput of a training step on each backend (FLOP/s),
 * dense and conv, for the estimate shown while a long step computes. The CPU
 * backends as measured in Chromium on a 2-core machine with tfjs 4.22 (dense
 * 1024-wide layers: cpu 0.6 GFLOP/s, wasm 4; a conv net on cpu 0.12); the GPU
 * ones a modest laptop GPU's. The order of magnitude is what matters.
 */
export const STEP_FLOPS_PER_SEC: Record<BackendName, { mlp: number; cnn: number }> = {
  cpu: { mlp: 0.6e9, cnn: 0.12e9 },
  wasm: { mlp: 4e9, cnn: 4e9 },
  webgl: { mlp: 15e9, cnn: 15e9 },
  webgpu: { mlp: 15e9, cnn: 15e9 },
};

/** Error kinds after which a run's worker is not reused (a wasm instance that ran out of memory stays broken). */
const BROKEN_WORKER = new Set(['step', 'internal', 'device-lost']);

/** Messages of a backend that ran out of memory (wasm, WebGL, WebGPU, the JavaScript heap). */
const OUT_OF_MEMORY = /memory access out of bounds|out of memory|\bOOM\b|allocation failed|could not allocate|cannot enlarge memory|failed to allocate|Array buffer allocation/i;

/** "40 s", "2.5 s", "3 min". */
export function formatSeconds(s: number): string {
  if (s >= 120) return `${Math.round(s / 60)} min`;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/** Seconds one step of `cfg` is estimated to take on `backend` (its FLOPs over the backend's throughput). */
export function estimateStepSeconds(cfg: RunConfig, backend: BackendName | undefined): number {
  return estimateRun(cfg).flopsPerStep / STEP_FLOPS_PER_SEC[backend ?? 'cpu'][cfg.model.arch];
}

/** A step the page waits for: since when, at which step, and the timer that checks on it. */
interface StepWatch {
  step: number;
  since: number;
  timer: ReturnType<typeof setTimeout>;
}

export class RunController {
  private made: WorkerClient | null = null;
  private readonly pacer = new Pacer((run) => this.sendStep(run));
  /** Configs whose resource warning the user overrode ("Build it anyway"); an edit makes a new config. */
  private readonly forced = new WeakSet<RunConfig>();
  private watching = false;
  /** Rebuilds waiting for REBUILD_DELAY_MS of quiet, by run; `fresh`: in a new worker. */
  private readonly rebuilds = new Map<number, { timer: ReturnType<typeof setTimeout>; fresh: boolean }>();
  /** Runs whose worker was asked to rebuild (reset or create) and has not said it is ready. */
  private readonly building = new Set<number>();
  /** Steps the page waits for, by run. */
  private readonly steps = new Map<number, StepWatch>();
  /** Pause or Reset sent to a run's worker, waiting for its answer. */
  private readonly answers = new Map<number, { what: 'Pause' | 'Reset'; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly store: StoreApi<State>,
    private readonly makeClient: WorkerClientFactory,
    private readonly env: PageEnv,
  ) {}

  /** The runs' workers (made on first use). */
  get client(): WorkerClient {
    this.made ??= this.makeClient({
      onReady: (run, m) => {
        this.building.delete(run);
        this.answered(run, 'Reset');
        // A step asked for while the worker was starting: its time counts from now.
        const w = this.steps.get(run);
        if (w) w.since = performance.now();
        const notice = this.state.runtime[run]?.error;
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
          // A notice that the previous worker was stopped stays until the next action.
          error: notice?.kind === 'stopped' ? notice : undefined,
          divergedAt: undefined,
          divergedReason: undefined,
          progress: undefined,
        });
      },
      onProgress: (run, m) => this.patch(run, { progress: { what: m.what, since: performance.now() } }),
      // A live edit took effect at a step: the run's mid-run changes (the link replays them).
      onApplied: (run, m) => this.state.recordChanges(run, m.step, m.changes),
      onStatus: (run, m) => {
        // A worker reports a status only once its model is built (after 'ready').
        this.building.delete(run);
        // A rebuild is on its way: the old model's last reports are not shown.
        if (this.rebuilds.has(run)) return;
        if (m.status !== 'training') this.answered(run, 'Pause');
        this.stepNews(run, m.status, m.step);
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
      onError: (run, m) => {
        this.building.delete(run);
        const pending = this.rebuilds.get(run);
        if (pending) {
          // The old model failed while its rebuild waits: that rebuild takes a fresh worker.
          pending.fresh = true;
          return;
        }
        this.clearWatches(run);
        this.patch(run, { error: { kind: m.kind, message: this.explain(run, m.message), recoverable: m.recoverable }, status: 'error', progress: undefined });
      },
    });
    return this.made;
  }

  /**
   * A worker's error message in plain words where it has some: a backend that ran
   * out of memory says how much the model needed (from the resource estimate).
   */
  private explain(run: number, message: string): string {
    const cfg = this.state.experiment.runs[run];
    if (!cfg || !OUT_OF_MEMORY.test(message)) return message;
    const backend = this.state.runtime[run]?.backend;
    return (
      `The browser ran out of memory for this model: about ${formatBytes(estimateRun(cfg).bytes)} of tensors were needed` +
      `${backend ? ` on ${backend}` : ''} (${message}). Make the model or the batch smaller, or Reset: either starts a fresh worker.`
    );
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
    this.building.add(i);
    this.client.create(i, cfg, s.backendChoice, s.runtime[i]?.disabled ?? []);
  }

  /** Every run built again from the experiment (new runs, a new backend). */
  respawnAll(): void {
    this.pacer.stopAll();
    for (const i of [...this.rebuilds.keys(), ...this.steps.keys(), ...this.answers.keys()]) this.clearWatches(i);
    this.building.clear();
    this.client.terminateAll();
    this.env.clearMetrics();
    this.state.experiment.runs.forEach((_, i) => this.spawn(i));
  }

  /** Whether run i's worker cannot be reused (see BROKEN_WORKER). */
  private broken(i: number): boolean {
    return BROKEN_WORKER.has(this.state.runtime[i]?.error?.kind ?? '');
  }

  /**
   * Run i's config was replaced (it is in the store already): rebuild (coalesced,
   * see scheduleRebuild), update live, or (re)consider building it. After an
   * error that broke its worker, any edit builds it in a fresh one.
   */
  configChanged(i: number, prev: RunConfig, cfg: RunConfig): void {
    const blocked = this.state.runtime[i]?.error?.kind === 'resources';
    const pending = this.rebuilds.get(i);
    const fresh = this.broken(i) || this.stalled(i) || (pending?.fresh ?? false);
    if (blocked || fresh || this.verdict(i).level === 'refuse') {
      // Into or out of a config too large to build, or away from a broken worker: from scratch.
      this.scheduleRebuild(i, true);
      return;
    }
    if (!this.client.has(i)) return;
    if (pending || needsReset(prev, cfg)) this.scheduleRebuild(i, false);
    else this.client.update(i, cfg);
  }

  /**
   * Run i goes back to step 0 at once in the page; its rebuild is sent when no
   * other edit came for REBUILD_DELAY_MS (typing 1024 into 64 layer boxes builds
   * one model, not 64). `fresh`: in a new worker (or not at all, if refused).
   */
  private scheduleRebuild(i: number, fresh: boolean): void {
    const pending = this.rebuilds.get(i);
    if (pending) clearTimeout(pending.timer);
    else {
      // The first edit of a burst: the old model stops training now.
      const rt = this.state.runtime[i];
      if (rt?.status === 'training' && !this.pacer.isPaced(i) && this.client.has(i)) this.client.pause(i);
      this.pacer.stop(i);
      this.clearStepWatch(i);
      this.answered(i, 'Pause');
      // (a refusal's message stays until the rebuild says again what it is)
      if (rt?.error?.kind !== 'resources') this.resetRuntime(i, { disabled: this.disabledAfter(i) });
    }
    this.rebuilds.set(i, { timer: setTimeout(() => this.rebuildNow(i), REBUILD_DELAY_MS), fresh: fresh || (pending?.fresh ?? false) });
  }

  /**
   * Sends run i's pending rebuild with the config in the store now. Held while the
   * worker is still building the previous one (unless `now`: a command must follow it).
   */
  private rebuildNow(i: number, now = false): void {
    const pending = this.rebuilds.get(i);
    if (!pending) return;
    clearTimeout(pending.timer);
    const cfg = this.state.experiment.runs[i];
    if (!cfg) {
      this.rebuilds.delete(i);
      return;
    }
    const refused = this.verdict(i).level === 'refuse';
    if (!pending.fresh && !refused && this.client.has(i) && this.building.has(i) && !now) {
      pending.timer = setTimeout(() => this.rebuildNow(i), REBUILD_DELAY_MS);
      return;
    }
    this.rebuilds.delete(i);
    if (pending.fresh || refused || !this.client.has(i)) {
      this.resetRuntime(i, { disabled: this.disabledAfter(i) });
      this.spawn(i);
    } else {
      this.building.add(i);
      this.client.reset(i, cfg);
    }
  }

  /** Sends run i's pending rebuild now (before a command that must reach the new model). */
  private flush(i: number): void {
    if (this.rebuilds.has(i)) this.rebuildNow(i, true);
  }

  /** The backends run i must not use in a new worker: after a lost device, that backend too. */
  private disabledAfter(i: number): BackendName[] {
    const rt = this.state.runtime[i];
    return rt?.error?.kind === 'device-lost' && rt.backend ? [...rt.disabled, rt.backend] : (rt?.disabled ?? []);
  }

  /**
   * A fresh worker for run i at step 0: on another backend after a lost device;
   * `notice` says why (shown until the next action).
   */
  private freshWorker(i: number, notice?: string): void {
    this.clearWatches(i);
    this.pacer.stop(i);
    this.resetRuntime(i, { disabled: this.disabledAfter(i) });
    this.spawn(i);
    if (notice && !this.state.runtime[i]?.error) this.patch(i, { error: { kind: 'stopped', message: notice, recoverable: false } });
  }

  /**
   * A fresh worker for run i after an error: on another backend after a lost
   * device; built anyway after a resource refusal.
   */
  restart(i: number): void {
    const s = this.state;
    if (s.runtime[i]?.error?.kind === 'resources') this.forced.add(s.experiment.runs[i]);
    this.freshWorker(i);
  }

  /**
   * Every built run back to step 0 (same seed); a refused run stays refused. A run
   * whose worker broke, or is inside a step that has not answered for STALL_MS,
   * gets a fresh worker; a reset that gets no answer within ANSWER_MS too.
   */
  resetAll(): void {
    this.pacer.stopAll();
    this.state.experiment.runs.forEach((cfg, i) => {
      const pending = this.rebuilds.get(i);
      if (pending) {
        this.rebuildNow(i, true);
        return;
      }
      if (this.broken(i)) return this.freshWorker(i);
      if (!this.client.has(i)) return;
      if (this.stalled(i)) return this.unstick(i, 'Reset');
      const busy = this.steps.has(i) || this.state.runtime[i]?.status === 'training';
      this.clearStepWatch(i);
      this.answered(i, 'Pause');
      this.building.add(i);
      this.client.reset(i, cfg);
      this.resetRuntime(i);
      if (busy) this.awaitAnswer(i, 'Reset');
    });
  }

  // ------------------------------------------------------------ long steps

  /** Sends one step to run i's worker, and watches for its answer. */
  private sendStep(i: number): void {
    if (this.client.has(i)) this.watchStep(i);
    this.client.stepOnce(i);
  }

  /**
   * Watches run i for its next step: after STALL_MS without one, the page says
   * that step N is being computed, with an estimate and the time so far.
   */
  private watchStep(i: number): void {
    const step = this.state.runtime[i]?.step ?? 0;
    const w = this.steps.get(i);
    if (w) {
      w.step = step;
      w.since = performance.now();
      return;
    }
    const watch: StepWatch = { step, since: performance.now(), timer: setTimeout(() => this.checkStep(i), STALL_MS) };
    this.steps.set(i, watch);
  }

  private checkStep(i: number): void {
    const w = this.steps.get(i);
    if (!w) return;
    const left = w.since + STALL_MS - performance.now();
    const rt = this.state.runtime[i];
    if (left > 0 || this.env.hidden()) {
      // News came since (or the tab is hidden, where a worker rests for seconds between chunks).
      w.timer = setTimeout(() => this.checkStep(i), Math.max(left, 1) + (this.env.hidden() ? STALL_MS : 0));
      return;
    }
    if (!rt?.progress) {
      const cfg = this.state.experiment.runs[i];
      const est = cfg ? ` (estimated ${formatSeconds(estimateStepSeconds(cfg, rt?.backend))})` : '';
      this.patch(i, { progress: { what: `computing step ${w.step}${est}`, since: w.since } });
    }
    // Keep watching: the step may end and the next one take as long.
    w.timer = setTimeout(() => this.checkStep(i), STALL_MS);
  }

  /** A status from run i's worker: a step came (the watch moves on) or training ended (it stops). */
  private stepNews(i: number, status: string, step: number): void {
    const w = this.steps.get(i);
    if (!w) return;
    if (status !== 'training') {
      this.clearStepWatch(i);
      return;
    }
    if (step > w.step) {
      w.step = step;
      w.since = performance.now();
    }
  }

  /** Run i is inside a step that has not answered for STALL_MS. */
  private stalled(i: number): boolean {
    const w = this.steps.get(i);
    return !!w && performance.now() - w.since >= STALL_MS;
  }

  private clearStepWatch(i: number): void {
    const w = this.steps.get(i);
    if (w) clearTimeout(w.timer);
    this.steps.delete(i);
  }

  /**
   * Waits for run i's worker to answer a Pause (a status) or a Reset (ready):
   * ANSWER_MS, or three of its recent steps when those take longer (a worker
   * answers between steps; a slow GPU is not a stuck one).
   */
  private awaitAnswer(i: number, what: 'Pause' | 'Reset'): void {
    this.answered(i, what === 'Pause' ? 'Reset' : 'Pause');
    const prev = this.answers.get(i);
    if (prev) clearTimeout(prev.timer);
    const rate = this.state.runtime[i]?.stepsPerSec ?? 0;
    const ms = this.stalled(i) || !(rate > 0) ? ANSWER_MS : Math.max(ANSWER_MS, 3000 / rate);
    this.answers.set(i, { what, timer: setTimeout(() => this.unstick(i, what), ms) });
  }

  private answered(i: number, what: 'Pause' | 'Reset'): void {
    const a = this.answers.get(i);
    if (!a || a.what !== what) return;
    clearTimeout(a.timer);
    this.answers.delete(i);
  }

  private clearWatches(i: number): void {
    this.clearStepWatch(i);
    const a = this.answers.get(i);
    if (a) clearTimeout(a.timer);
    this.answers.delete(i);
    const r = this.rebuilds.get(i);
    if (r) clearTimeout(r.timer);
    this.rebuilds.delete(i);
  }

  /**
   * Run i's worker did not answer (it is inside a long step): it is stopped and
   * the run built again at step 0 in a fresh worker, which the page says.
   */
  private unstick(i: number, what: 'Pause' | 'Reset'): void {
    const w = this.steps.get(i);
    const cfg = this.state.experiment.runs[i];
    const step = w?.step ?? this.state.runtime[i]?.step ?? 0;
    const est = cfg ? `, estimated at ${formatSeconds(estimateStepSeconds(cfg, this.state.runtime[i]?.backend))}` : '';
    const waited = w ? `, ${formatSeconds((performance.now() - w.since) / 1000)} into step ${step}${est}` : '';
    this.freshWorker(
      i,
      `${what}: the run's worker did not answer within ${ANSWER_MS / 1000} s (it was inside a step${waited}), so it was stopped; the run starts again from step 0 in a fresh worker.`,
    );
  }

  // ------------------------------------------------------------ training

  private shareOpts(): StartOptions {
    return this.env.hidden()
      ? { cpuShare: BACKGROUND_SHARE, background: true }
      : { cpuShare: cpuShare(this.state.experiment.runs.length, this.env.cores()), background: false };
  }

  start(i: number): void {
    this.flush(i);
    const { runtime, speed } = this.state;
    const rt = runtime[i];
    const st = rt?.status;
    if (st === 'training' || st === 'diverged' || st === 'error') return;
    if (rt?.error?.kind === 'stopped') this.patch(i, { error: undefined });
    if (speed === 'max') {
      this.client.start(i, this.shareOpts());
      if (this.client.has(i)) {
        // Training from now on, in the page (the worker says so too, once it gets to it: one
        // busy computing answers late, and Pause must be possible meanwhile). Not while it is
        // still starting: it answers start, and then Pause, once its backend and model are ready.
        if (!this.building.has(i)) this.patch(i, { status: 'training' });
        this.watchStep(i);
      }
    } else if (st !== 'done') {
      this.pacer.setRate(speed);
      this.pacer.start(i, rt?.step ?? 0);
      this.patch(i, { status: 'training' });
    }
  }

  /**
   * Pauses run i. A worker inside a step answers only when the step ends: one that
   * has not answered within ANSWER_MS is stopped and replaced (see unstick).
   */
  pause(i: number): void {
    if (this.pacer.isPaced(i)) {
      // The worker is between single steps (its own status is already 'paused').
      this.pacer.stop(i);
      this.patch(i, { status: 'paused', stepsPerSec: 0 });
      return;
    }
    this.client.pause(i);
    if (this.state.runtime[i]?.status === 'training' && this.client.has(i)) this.awaitAnswer(i, 'Pause');
  }

  /** One step of every run not training. */
  stepAll(): void {
    this.state.runtime.forEach((rt, i) => {
      if (rt.status === 'training') return;
      this.flush(i);
      if (rt.error?.kind === 'stopped') this.patch(i, { error: undefined });
      this.sendStep(i);
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
        this.watchStep(i);
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
        if (rt.status !== 'training') return;
        // (a hidden tab's worker rested for seconds between steps: its next step counts from now)
        if (this.steps.has(i)) this.watchStep(i);
        this.client.start(i, this.shareOpts());
      });
    });
  }
}
