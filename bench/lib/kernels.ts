/**
 * Counts and times the kernels a piece of tfjs code runs, by wrapping the
 * engine's `runKernelFunc` (every op, forward or gradient, goes through it) and
 * `makeTensor` (tensors made from JS values: an upload on GPU backends).
 *
 * Each kernel is tagged with the phase of a training step it ran in, read from
 * the engine's own state:
 *   forward   inside the function given to tf.variableGrads / minimize (tape on)
 *   backward  inside the engine's 'backward' scope (gradient kernels)
 *   pre       anything before the first forward kernel (batch gather, ...)
 *   post      anything after the backward pass (norms, clipping, optimizer, commit, packing)
 * Times are wall times of the outermost kernel calls (a kernel that runs other
 * kernels is timed once); the time between kernels is JS work of the step.
 */
import * as tf from '../../src/engine/tf.ts';

export type Phase = 'pre' | 'forward' | 'backward' | 'post';
export const PHASES: Phase[] = ['pre', 'forward', 'backward', 'post'];

export interface KernelEvent {
  name: string;
  phase: Phase;
  t0: number;
  t1: number;
  /** 0 for a kernel called by the step itself, >0 for kernels run inside another kernel. */
  depth: number;
  /** The trainer's own phase of the step (its onPhase hook), when the trainer reports it. */
  stepPhase?: string;
}

interface EngineInternals {
  runKernelFunc: (p: { kernelName?: string }) => unknown;
  makeTensor: (...a: unknown[]) => unknown;
  state: { gradientDepth: number; scopeStack: { name: string }[]; activeScope: { name: string } | null };
}

export class KernelRecorder {
  events: KernelEvent[] = [];
  /** Set from the trainer's onPhase hook: tags the kernels that follow. */
  stepPhase: string | undefined;
  uploads = 0;
  private recording = false;
  private depth = 0;
  private seenGrad = false;
  private installed = false;
  private origRun?: EngineInternals['runKernelFunc'];
  private origMake?: EngineInternals['makeTensor'];
  private readonly engine = tf.engine() as unknown as EngineInternals;

  install(): this {
    if (this.installed) return this;
    const eng = this.engine;
    const origRun = (this.origRun = eng.runKernelFunc);
    const origMake = (this.origMake = eng.makeTensor);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const rec = this;
    eng.runKernelFunc = function (this: EngineInternals, params: { kernelName?: string }) {
      if (!rec.recording) return origRun.call(this, params);
      const phase = rec.phaseNow();
      const name = params.kernelName ?? `(custom ${eng.state.activeScope?.name ?? ''})`;
      const depth = rec.depth++;
      const t0 = performance.now();
      try {
        return origRun.call(this, params);
      } finally {
        rec.depth--;
        rec.events.push({ name, phase, t0, t1: performance.now(), depth, stepPhase: rec.stepPhase });
      }
    };
    eng.makeTensor = function (this: EngineInternals, ...a: unknown[]) {
      if (rec.recording) rec.uploads++;
      return origMake.apply(this, a);
    };
    this.installed = true;
    return this;
  }

  uninstall(): void {
    if (!this.installed) return;
    this.engine.runKernelFunc = this.origRun!;
    this.engine.makeTensor = this.origMake!;
    this.installed = false;
  }

  private phaseNow(): Phase {
    const s = this.engine.state;
    if (s.gradientDepth > 0) {
      this.seenGrad = true;
      return 'forward';
    }
    if (s.scopeStack.some((sc) => sc.name === 'backward')) return 'backward';
    return this.seenGrad ? 'post' : 'pre';
  }

  /** Records what `fn` runs; returns its result, the events and the wall time. */
  record<T>(fn: () => T): { result: T; events: KernelEvent[]; uploads: number; ms: number } {
    this.install();
    this.events = [];
    this.uploads = 0;
    this.seenGrad = false;
    this.stepPhase = undefined;
    this.recording = true;
    const t0 = performance.now();
    let result: T;
    try {
      result = fn();
    } finally {
      this.recording = false;
    }
    return { result, events: this.events, uploads: this.uploads, ms: performance.now() - t0 };
  }
}

export interface PhaseSummary {
  phase: Phase;
  kernels: number;
  /** Σ wall time of the phase's outermost kernels */
  kernelMs: number;
  /** wall time from the phase's first kernel to the next phase's first kernel (includes JS between kernels) */
  spanMs: number;
}

export interface StepSummary {
  kernels: number;
  uploads: number;
  ms: number;
  kernelMs: number;
  phases: PhaseSummary[];
  byName: { name: string; count: number; ms: number }[];
  /** kernel counts per phase and name */
  byPhase: Record<Phase, Record<string, number>>;
  /** Kernels and Σ kernel wall time per phase of the trainer's onPhase hook, in order (empty for the bare step). */
  byStepPhase: { phase: string; kernels: number; kernelMs: number }[];
}

export function summarize(events: KernelEvent[], uploads: number, startMs: number, totalMs: number): StepSummary {
  const top = events.filter((e) => e.depth === 0).sort((a, b) => a.t0 - b.t0);
  const phases: PhaseSummary[] = [];
  for (const phase of PHASES) {
    const mine = top.filter((e) => e.phase === phase);
    const all = events.filter((e) => e.phase === phase);
    if (mine.length === 0) {
      phases.push({ phase, kernels: 0, kernelMs: 0, spanMs: 0 });
      continue;
    }
    const first = phase === 'pre' ? startMs : mine[0].t0;
    const later = top.filter((e) => e.t0 > mine[mine.length - 1].t0 && e.phase !== phase);
    const end = later.length ? later[0].t0 : startMs + totalMs;
    phases.push({
      phase,
      kernels: all.length,
      kernelMs: mine.reduce((a, e) => a + (e.t1 - e.t0), 0),
      spanMs: end - first,
    });
  }
  const byNameMap = new Map<string, { count: number; ms: number }>();
  for (const e of events) {
    const x = byNameMap.get(e.name) ?? { count: 0, ms: 0 };
    x.count++;
    if (e.depth === 0) x.ms += e.t1 - e.t0;
    byNameMap.set(e.name, x);
  }
  const byPhase = { pre: {}, forward: {}, backward: {}, post: {} } as Record<Phase, Record<string, number>>;
  for (const e of events) byPhase[e.phase][e.name] = (byPhase[e.phase][e.name] ?? 0) + 1;
  const byStepPhase: StepSummary['byStepPhase'] = [];
  for (const e of events) {
    if (e.stepPhase === undefined) continue;
    let p = byStepPhase.find((x) => x.phase === e.stepPhase);
    if (!p) byStepPhase.push((p = { phase: e.stepPhase, kernels: 0, kernelMs: 0 }));
    p.kernels++;
    if (e.depth === 0) p.kernelMs += e.t1 - e.t0;
  }
  return {
    byPhase,
    byStepPhase,
    kernels: events.length,
    uploads,
    ms: totalMs,
    kernelMs: top.reduce((a, e) => a + (e.t1 - e.t0), 0),
    phases,
    byName: [...byNameMap].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.count - a.count),
  };
}
