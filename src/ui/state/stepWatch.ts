/**
 * The run controller's watch on long steps (controller.ts): what the page says
 * while a step takes long (after STALL_MS without news, "computing step N
 * (estimated …)", with the time so far), and how long Pause and Reset wait for
 * a worker inside a step (ANSWER_MS, then the worker is stopped and the run
 * rebuilt at step 0 in a fresh one).
 */
import type { RunConfig } from '../../engine/config.ts';
import { estimateRun } from '../../engine/estimate.ts';
import { stepSeconds, type BackendName } from '../../engine/backends.ts';
import type { State } from '../store.ts';
import type { RunRuntime } from './runtime.ts';

/** A step not answered within this many ms gets the page's own progress line. */
export const STALL_MS = 1000;
/** Pause or Reset not answered within this many ms (or three recent steps): the worker is stopped and replaced. */
export const ANSWER_MS = 2000;

/** "40 s", "2.5 s", "3 min". */
export function formatSeconds(s: number): string {
  if (s >= 120) return `${Math.round(s / 60)} min`;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/** Seconds one step of `cfg` is estimated to take on `backend` (its FLOPs over the backend's throughput). */
export function estimateStepSeconds(cfg: RunConfig, backend: BackendName | undefined): number {
  return stepSeconds(cfg.model.arch, estimateRun(cfg).flopsPerStep, backend ?? 'cpu');
}

/** A step the page waits for: since when, at which step, and the timer that checks on it. */
interface StepWatch {
  step: number;
  since: number;
  timer: ReturnType<typeof setTimeout>;
}

/** What the watch needs from the controller. */
export interface WatchHost {
  state(): State;
  patch(run: number, p: Partial<RunRuntime>): void;
  /** The tab is hidden. */
  hidden(): boolean;
  /** A fresh worker for the run at step 0; `notice` says why (shown until the next action). */
  freshWorker(run: number, notice: string): void;
}

/** The steps the page waits for, and the Pause or Reset it waits to see answered, by run. */
export class StepWatchdog {
  /** Steps the page waits for, by run. */
  private readonly steps = new Map<number, StepWatch>();
  /** Pause or Reset sent to a run's worker, waiting for its answer. */
  private readonly answers = new Map<number, { what: 'Pause' | 'Reset'; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly host: WatchHost) {}

  private get state(): State {
    return this.host.state();
  }

  /** The runs with a watch (a step or an answer waited for). */
  runs(): number[] {
    return [...this.steps.keys(), ...this.answers.keys()];
  }

  /** Whether the page waits for a step of run i. */
  waiting(i: number): boolean {
    return this.steps.has(i);
  }

  /** Run i's worker is ready: a step asked for while it was starting counts from now. */
  ready(i: number): void {
    const w = this.steps.get(i);
    if (w) w.since = performance.now();
  }

  /**
   * Watches run i for its next step: after STALL_MS without one, the page says
   * that step N is being computed, with an estimate and the time so far.
   */
  watchStep(i: number): void {
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
    if (left > 0 || this.host.hidden()) {
      // News came since (or the tab is hidden, where a worker rests for seconds between chunks).
      w.timer = setTimeout(() => this.checkStep(i), Math.max(left, 1) + (this.host.hidden() ? STALL_MS : 0));
      return;
    }
    if (!rt?.progress) {
      const cfg = this.state.experiment.runs[i];
      const est = cfg ? ` (estimated ${formatSeconds(estimateStepSeconds(cfg, rt?.backend))})` : '';
      this.host.patch(i, { progress: { what: `computing step ${w.step}${est}`, since: w.since } });
    }
    // Keep watching: the step may end and the next one take as long.
    w.timer = setTimeout(() => this.checkStep(i), STALL_MS);
  }

  /** A status from run i's worker: a step came (the watch moves on) or training ended (it stops). */
  stepNews(i: number, status: string, step: number): void {
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
  stalled(i: number): boolean {
    const w = this.steps.get(i);
    return !!w && performance.now() - w.since >= STALL_MS;
  }

  clearStepWatch(i: number): void {
    const w = this.steps.get(i);
    if (w) clearTimeout(w.timer);
    this.steps.delete(i);
  }

  /**
   * Waits for run i's worker to answer a Pause (a status) or a Reset (ready):
   * ANSWER_MS, or three of its recent steps when those take longer (a worker
   * answers between steps; a slow GPU is not a stuck one).
   */
  awaitAnswer(i: number, what: 'Pause' | 'Reset'): void {
    this.answered(i, what === 'Pause' ? 'Reset' : 'Pause');
    const prev = this.answers.get(i);
    if (prev) clearTimeout(prev.timer);
    const rate = this.state.runtime[i]?.stepsPerSec ?? 0;
    const ms = this.stalled(i) || !(rate > 0) ? ANSWER_MS : Math.max(ANSWER_MS, 3000 / rate);
    this.answers.set(i, { what, timer: setTimeout(() => this.unstick(i, what), ms) });
  }

  answered(i: number, what: 'Pause' | 'Reset'): void {
    const a = this.answers.get(i);
    if (!a || a.what !== what) return;
    clearTimeout(a.timer);
    this.answers.delete(i);
  }

  /** Forgets run i's step and answer watches. */
  clear(i: number): void {
    this.clearStepWatch(i);
    const a = this.answers.get(i);
    if (a) clearTimeout(a.timer);
    this.answers.delete(i);
  }

  /**
   * Run i's worker did not answer (it is inside a long step): it is stopped and
   * the run built again at step 0 in a fresh worker, which the page says.
   */
  unstick(i: number, what: 'Pause' | 'Reset'): void {
    const w = this.steps.get(i);
    const cfg = this.state.experiment.runs[i];
    const step = w?.step ?? this.state.runtime[i]?.step ?? 0;
    const est = cfg ? `, estimated at ${formatSeconds(estimateStepSeconds(cfg, this.state.runtime[i]?.backend))}` : '';
    const waited = w ? `, ${formatSeconds((performance.now() - w.since) / 1000)} into step ${step}${est}` : '';
    this.host.freshWorker(
      i,
      `${what}: the run's worker did not answer within ${ANSWER_MS / 1000} s (it was inside a step${waited}), so it was stopped; the run starts again from step 0 in a fresh worker.`,
    );
  }
}
