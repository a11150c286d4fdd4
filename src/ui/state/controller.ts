/**
 * The run controller: everything the page does to the runs' workers. It owns
 * the worker client (one Web Worker per run), the slow-motion pacer, spawning
 * and respawning workers, the configs whose resource refusal the user
 * overrode, and the page-visibility handling; it writes what the workers
 * report into the store's runtime slice.
 *
 * The decisions live here, once each (with a helper module where one says so):
 *  - whether an edit rebuilds the run (`needsReset`, in `configChanged`);
 *  - whether a run is built at all (`verdict`, in `spawn`; resources.ts);
 *  - who sends the steps: the worker's own loop at full speed, the pacer in
 *    slow motion (`start`, `pause`, `speedChanged`, `onStatus`);
 *  - what a run's runtime becomes when it goes back to step 0 (`resetRuntime`);
 *  - when a run needs a fresh worker instead of a rebuild in its own: after an
 *    exception in a step, an internal error or a lost device (a wasm instance
 *    that ran out of memory stays broken; faults.ts), and when its worker does
 *    not answer (`freshWorker`; `unstick` in stepWatch.ts);
 *  - when an edit's rebuild is sent: rebuilds of a run are coalesced, one
 *    REBUILD_DELAY_MS after the last edit and never while the previous one is
 *    still being built (rebuilds.ts); live edits go at once;
 *  - what the page says while a step takes long (`watchStep`, stepWatch.ts):
 *    after STALL_MS without news, "computing step N (estimated …)", with the
 *    time so far;
 *  - how long Pause and Reset wait for a worker inside a step: ANSWER_MS, then
 *    the worker is stopped and the run rebuilt at step 0 in a fresh one
 *    (stepWatch.ts).
 *
 * The worker client is made by an injected factory (workerClient.ts), so the
 * controller runs in Node against a fake (state/controller.test.ts).
 */
import type { StoreApi } from 'zustand';
import { needsReset, type Experiment, type RunConfig } from '../../engine/config.ts';
import type { Verdict } from '../../engine/estimate.ts';
import { Pacer } from '../pacer.ts';
import type { State } from '../store.ts';
import { disabledAfter, isBroken } from './faults.ts';
import { Rebuilds } from './rebuilds.ts';
import { ResourceVerdicts, refusal } from './resources.ts';
import { BACKEND_UNKNOWN, RUN_RESET, type RunRuntime } from './runtime.ts';
import { StepWatchdog } from './stepWatch.ts';
import { BACKGROUND_SHARE, cpuShare, runEvents, type PageEnv, type StartOptions, type WorkerClient, type WorkerClientFactory } from './workerClient.ts';

export class RunController {
  private made: WorkerClient | null = null;
  private readonly pacer = new Pacer((run) => this.sendStep(run));
  /** Resource verdicts, and the configs whose refusal the user overrode (resources.ts). */
  private readonly verdicts = new ResourceVerdicts();
  private watching = false;
  /** Runs whose worker was asked to rebuild (reset or create) and has not said it is ready. */
  private readonly building = new Set<number>();
  /** Rebuilds after edits, coalesced (rebuilds.ts). */
  private readonly rebuilds = new Rebuilds({
    config: (i) => this.state.experiment.runs[i],
    refused: (i) => this.verdict(i).level === 'refuse',
    hasWorker: (i) => this.client.has(i),
    building: (i) => this.building.has(i),
    stop: (i) => this.stopForRebuild(i),
    rebuild: (i, cfg, fresh) => this.rebuild(i, cfg, fresh),
  });
  /** Steps the page waits for, and Pause or Reset waiting for an answer (stepWatch.ts). */
  private readonly watch = new StepWatchdog({
    state: () => this.state,
    patch: (run, p) => this.patch(run, p),
    hidden: () => this.env.hidden(),
    freshWorker: (run, notice) => this.freshWorker(run, notice),
  });

  constructor(
    private readonly store: StoreApi<State>,
    private readonly makeClient: WorkerClientFactory,
    private readonly env: PageEnv,
  ) {}

  /** The runs' workers (made on first use), their events written into the store (workerClient.ts). */
  get client(): WorkerClient {
    this.made ??= this.makeClient(
      runEvents({
        state: () => this.state,
        patch: (run, p) => this.patch(run, p),
        building: this.building,
        rebuilds: this.rebuilds,
        watch: this.watch,
        pacer: this.pacer,
        clearWatches: (run) => this.clearWatches(run),
      }),
    );
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

  /** The resource verdict of run i (resources.ts): on runs 0..i together. */
  verdict(i: number, exp: Experiment = this.state.experiment): Verdict {
    return this.verdicts.of(exp, i);
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
      this.resetRuntime(i, refusal(v));
      return;
    }
    // A new worker: until it says which backend it trains on, the page claims none.
    this.patch(i, BACKEND_UNKNOWN);
    this.building.add(i);
    this.client.create(i, cfg, s.backendChoice, s.runtime[i]?.disabled ?? [], s.engineChoice);
  }

  /** Every run built again from the experiment (new runs, a new backend). */
  respawnAll(): void {
    this.pacer.stopAll();
    for (const i of [...this.rebuilds.runs(), ...this.watch.runs()]) this.clearWatches(i);
    this.building.clear();
    this.client.terminateAll();
    this.env.clearMetrics();
    this.state.experiment.runs.forEach((_, i) => this.spawn(i));
  }

  /**
   * Run i's config was replaced (it is in the store already): rebuild (coalesced,
   * see rebuilds.ts), update live, or (re)consider building it. After an
   * error that broke its worker, any edit builds it in a fresh one.
   */
  configChanged(i: number, prev: RunConfig, cfg: RunConfig): void {
    const blocked = this.state.runtime[i]?.error?.kind === 'resources';
    const pending = this.rebuilds.has(i);
    const fresh = isBroken(this.state.runtime[i]) || this.watch.stalled(i) || this.rebuilds.fresh(i);
    if (blocked || fresh || this.verdict(i).level === 'refuse') {
      // Into or out of a config too large to build, or away from a broken worker: from scratch.
      this.rebuilds.schedule(i, true);
      return;
    }
    if (!this.client.has(i)) return;
    if (pending || needsReset(prev, cfg)) this.rebuilds.schedule(i, false);
    else this.client.update(i, cfg);
  }

  /** The first edit of a burst: the old model stops training now, and the run shows step 0. */
  private stopForRebuild(i: number): void {
    const rt = this.state.runtime[i];
    if (rt?.status === 'training' && !this.pacer.isPaced(i) && this.client.has(i)) this.client.pause(i);
    this.pacer.stop(i);
    this.watch.clearStepWatch(i);
    this.watch.answered(i, 'Pause');
    // (a refusal's message stays until the rebuild says again what it is)
    if (rt?.error?.kind !== 'resources') this.resetRuntime(i, { disabled: disabledAfter(rt) });
  }

  /** Sends run i's rebuild: `fresh`, in a new worker (or not at all, if refused); else in its own. */
  private rebuild(i: number, cfg: RunConfig, fresh: boolean): void {
    if (fresh) {
      this.resetRuntime(i, { disabled: disabledAfter(this.state.runtime[i]) });
      this.spawn(i);
    } else {
      this.building.add(i);
      this.client.reset(i, cfg);
    }
  }

  /** Forgets run i's watches and its waiting rebuild. */
  private clearWatches(i: number): void {
    this.watch.clear(i);
    this.rebuilds.cancel(i);
  }

  /**
   * A fresh worker for run i at step 0: on another backend after a lost device;
   * `notice` says why (shown until the next action).
   */
  private freshWorker(i: number, notice?: string): void {
    this.clearWatches(i);
    this.pacer.stop(i);
    this.resetRuntime(i, { disabled: disabledAfter(this.state.runtime[i]) });
    this.spawn(i);
    if (notice && !this.state.runtime[i]?.error) this.patch(i, { error: { kind: 'stopped', message: notice, recoverable: false } });
  }

  /**
   * A fresh worker for run i after an error: on another backend after a lost
   * device; built anyway after a resource refusal.
   */
  restart(i: number): void {
    const s = this.state;
    if (s.runtime[i]?.error?.kind === 'resources') this.verdicts.force(s.experiment.runs[i]);
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
      if (this.rebuilds.has(i)) {
        this.rebuilds.flush(i);
        return;
      }
      if (isBroken(this.state.runtime[i])) return this.freshWorker(i);
      if (!this.client.has(i)) return;
      if (this.watch.stalled(i)) return this.watch.unstick(i, 'Reset');
      const busy = this.watch.waiting(i) || this.state.runtime[i]?.status === 'training';
      this.watch.clearStepWatch(i);
      this.watch.answered(i, 'Pause');
      this.building.add(i);
      this.client.reset(i, cfg);
      this.resetRuntime(i);
      if (busy) this.watch.awaitAnswer(i, 'Reset');
    });
  }

  /** Sends one step to run i's worker, and watches for its answer. */
  private sendStep(i: number): void {
    if (this.client.has(i)) this.watch.watchStep(i);
    this.client.stepOnce(i);
  }

  // ------------------------------------------------------------ training

  private shareOpts(): StartOptions {
    return this.env.hidden()
      ? { cpuShare: BACKGROUND_SHARE, background: true }
      : { cpuShare: cpuShare(this.state.experiment.runs.length, this.env.cores()), background: false };
  }

  start(i: number): void {
    this.rebuilds.flush(i);
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
        this.watch.watchStep(i);
      }
    } else if (st !== 'done') {
      this.pacer.setRate(speed);
      this.pacer.start(i, rt?.step ?? 0);
      this.patch(i, { status: 'training' });
    }
  }

  /**
   * Pauses run i. A worker inside a step answers only when the step ends: one that
   * has not answered within ANSWER_MS is stopped and replaced (see unstick in stepWatch.ts).
   */
  pause(i: number): void {
    if (this.pacer.isPaced(i)) {
      // The worker is between single steps (its own status is already 'paused').
      this.pacer.stop(i);
      this.patch(i, { status: 'paused', stepsPerSec: 0 });
      return;
    }
    this.client.pause(i);
    if (this.state.runtime[i]?.status === 'training' && this.client.has(i)) this.watch.awaitAnswer(i, 'Pause');
  }

  /** One step of every run not training. */
  stepAll(): void {
    this.state.runtime.forEach((rt, i) => {
      if (rt.status === 'training') return;
      this.rebuilds.flush(i);
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
        this.watch.watchStep(i);
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
        if (this.watch.waiting(i)) this.watch.watchStep(i);
        this.client.start(i, this.shareOpts());
      });
    });
  }
}
