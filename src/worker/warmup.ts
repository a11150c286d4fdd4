/**
 * Warm start (engine/backends.ts autoPlan): a run whose model suits a GPU trains
 * on a CPU backend from the first step, while the GPU backend compiles the
 * model's shaders and is timed on it in the background, in the same worker; the
 * run moves to the GPU at a step boundary when the GPU measures faster, and
 * stays where it is otherwise. Either way the page is told what was measured.
 *
 * How the two share one tfjs engine: tfjs runs kernels on its active backend,
 * and switching to an initialized backend is synchronous. The probe (a second
 * trainer of the same config, built on the GPU backend) dispatches its step with
 * the GPU backend active and switches back before awaiting the result, so the
 * run's own steps, dispatched between those awaits, stay on the CPU backend. The
 * probe is timed while the run's loop is held at a chunk boundary (`hold`), so
 * the two do not share the thread during the measurement. At the handover the
 * run's tensors move to the GPU backend when its kernels first read them (tfjs
 * moves a tensor's data between backends on use).
 *
 * Both rates are compute rates (steps per second of time spent stepping, not
 * counting the rests the page's CPU share asks for). The host is injected, so
 * the policy runs in Node with fakes (warmup.test.ts).
 */
import type { BackendName } from '../engine/backends.ts';

/** The GPU must measure at least this many times the CPU backend's compute rate to take over. */
export const HANDOVER_MIN_RATIO = 1;
/** The probe is timed over at least this long (after its first, compiling step) ... */
export const MEASURE_MS = 600;
/** ... and at most this many steps. */
export const MEASURE_MAX_STEPS = 64;
/** The run's own rate counts once it has computed this long on the CPU backend. */
export const CPU_RATE_MIN_MS = 400;

export interface ProbeTrainer {
  /** Dispatches k steps at once (synchronously) and resolves with their rows. */
  runStepsPacked(k: number): Promise<Float32Array>;
  dispose(): void;
}

export interface WarmupHost {
  /** Makes `b` tfjs's active backend, synchronously. */
  use(b: BackendName): void;
  /** A trainer of the run's config on the active backend (the tfjs engine). */
  buildProbe(): ProbeTrainer;
  /** The run's own compute rate on the CPU backend (steps/s), or null before it has trained CPU_RATE_MIN_MS. */
  cpuRate(): number | null;
  /** Holds the run's loop at its next chunk boundary; resolves when it is held, with the release. */
  hold(): Promise<() => void>;
  /** While the loop is held: the run trains on `gpu` from its next step (the GPU backend stays active). */
  handOver(gpu: BackendName, summary: string): void;
  now(): number;
  /** Waits a little before asking again (the run has not trained enough to compare). */
  wait(ms: number): Promise<void>;
  /** What the page shows about the warm-up as it goes. */
  report(plan: string): void;
}

export interface WarmupResult {
  handover: boolean;
  /** Compute rates, steps/s. */
  gpuRate: number;
  cpuRate: number;
  /** The first (compiling) step of the probe, ms. */
  compileMs: number;
  /** For the page: "webgpu measured 40 steps/s, wasm 12". */
  summary: string;
}

function rate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1).replace(/\.0$/, '') : x.toPrecision(2);
}

export class Warmup {
  private cancelled = false;
  /** Tests: hand over whatever the GPU measures (HANDOVER_MIN_RATIO otherwise). */
  minRatio = HANDOVER_MIN_RATIO;

  constructor(
    private readonly host: WarmupHost,
    readonly cpu: BackendName,
    readonly gpu: BackendName,
  ) {}

  /** Stops the warm-up (the run is rebuilt or the worker closes); the CPU backend stays active. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.host.use(this.cpu);
  }

  get active(): boolean {
    return !this.cancelled;
  }

  /** Runs the warm-up; null when cancelled or the GPU failed (then the run stays on the CPU backend). */
  async run(): Promise<WarmupResult | null> {
    const h = this.host;
    let probe: ProbeTrainer | null = null;
    try {
      h.report(`${this.cpu} now; ${this.gpu} warming up (compiling shaders)`);
      const t0 = h.now();
      h.use(this.gpu);
      let first: Promise<Float32Array>;
      try {
        probe = h.buildProbe();
        first = probe.runStepsPacked(1);
      } finally {
        h.use(this.cpu);
      }
      await first;
      const compileMs = h.now() - t0;
      if (this.cancelled) return null;
      h.report(`${this.cpu} now; ${this.gpu} ready, measuring once the run trains`);

      let cpuRate = h.cpuRate();
      while (cpuRate === null) {
        await h.wait(250);
        if (this.cancelled) return null;
        cpuRate = h.cpuRate();
      }

      const release = await h.hold();
      let gpuRate: number;
      let result: WarmupResult | null = null;
      try {
        if (this.cancelled) return null;
        h.use(this.gpu);
        let steps = 0;
        let k = 1;
        const m0 = h.now();
        while (h.now() - m0 < MEASURE_MS && steps < MEASURE_MAX_STEPS && !this.cancelled) {
          await probe.runStepsPacked(k);
          steps += k;
          k = Math.min(k * 2, MEASURE_MAX_STEPS - steps || 1);
        }
        const ms = h.now() - m0;
        gpuRate = ms > 0 ? (steps * 1000) / ms : Infinity;
        if (this.cancelled) return null;
        const handover = gpuRate >= cpuRate * this.minRatio;
        const summary = `${this.gpu} measured ${rate(gpuRate)} steps/s, ${this.cpu} ${rate(cpuRate)}`;
        result = { handover, gpuRate, cpuRate, compileMs, summary };
        if (handover) {
          this.cancelled = true; // done: nothing to cancel any more
          h.handOver(this.gpu, summary);
        } else {
          h.use(this.cpu);
          h.report(`${this.cpu}: faster for this model (${summary})`);
        }
        return result;
      } finally {
        if (!result) h.use(this.cpu);
        release();
      }
    } catch (e) {
      if (!this.cancelled) h.use(this.cpu);
      h.report(`${this.cpu}; ${this.gpu} failed while warming up: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    } finally {
      probe?.dispose();
    }
  }
}
