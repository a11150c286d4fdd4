/**
 * One run in a training worker: its trainer, status, stop point, backend and
 * CPU share, and the records on their way to the page. The worker entry
 * (worker.ts) only wires messages to `receive`; everything the session needs
 * from its host (posting, starting a backend, the GPU device) is injected, so
 * the session runs in Node tests as it does in the browser.
 */
import * as tf from '../engine/tf.ts';
import { createTrainer } from '../engine/train.ts';
import { chooseEngine, type EngineChoice } from '../engine/engines.ts';
import type { RunTrainer } from '../engine/runTrainer.ts';
import { isBackendName } from '../engine/backends.ts';
import type { RunConfig } from '../engine/config.ts';
import { changedPaths } from '../engine/fields.ts';
import { isChangePath } from '../engine/changes.ts';
import { describeDivergence } from '../engine/rows.ts';
import { trainChunks, type Chunk } from '../engine/loop.ts';
import { assertNever, type DebugAction, type FromWorker, type InitMsg, type RunStatus, type ToWorker } from '../shared/protocol.ts';
import { CPU_RATE_MIN_MS, Warmup } from './warmup.ts';
import type { BackendSetup } from './backend.ts';
import { RateMeter, RecordQueue } from './queue.ts';
import { Pace } from './pace.ts';
import { BOUNDARY_N, BoundaryPolicy } from './boundary.ts';
import { estimateRun } from '../engine/estimate.ts';
import { UnitsPolicy } from './units.ts';

/** At most this many record batches per second. */
export const POST_INTERVAL_MS = 33;
/**
 * Target wall time of one chunk of steps between readbacks, and its largest
 * size (high enough that a fast engine's chunk is set by the time, not the cap).
 */
export const CHUNK_TARGET_MS = 40;
export const MAX_CHUNK = 1024;

export interface SessionHost {
  post(msg: FromWorker, transfer?: Transferable[]): void;
  /** Starts the backend the run asked for (once per worker). */
  setupBackend(msg: InitMsg): Promise<BackendSetup>;
  /** Calls back when the GPU device behind the backend is lost (webgpu only). */
  watchDevice?(backend: string, onLost: (reason: string) => void): void;
  /** Loads what a run's data set needs before it is built (the digits file); rejects with the reason. */
  loadData?(cfg: RunConfig): Promise<void>;
  /** Destroys the GPU device (fault injection for tests). */
  loseDevice?(): void;
  now?(): number;
}

/**
 * Makes a started backend tfjs's active one, synchronously: tf.setBackend awaits
 * nothing for a backend that has been initialized (warmup.ts relies on it).
 */
export function useBackendNow(b: string): void {
  if (tf.getBackend() === b && tf.backend() === tf.findBackend(b)) return;
  void tf.setBackend(b);
  if (tf.getBackend() !== b || tf.backend() !== tf.findBackend(b)) throw new Error(`the ${b} backend could not be made active`);
}

/** "conv net: cpu at once while the GPU warms up" → "conv net". */
function planSubject(plan: string | undefined): string {
  return plan ? plan.split(':')[0] : 'auto';
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class RunSession {
  gen = 0;
  private run = 0;
  private backendReady: Promise<BackendSetup> | null = null;
  private setup: BackendSetup | null = null;
  private config: RunConfig | null = null;
  private trainer: RunTrainer | null = null;
  /** The engine asked for (InitMsg.engine) and the backend choice it goes with. */
  private engineChoice: EngineChoice = 'auto';
  private engineReason = '';
  status: RunStatus = 'idle';
  private stopAt = 0;
  private readonly pace = new Pace();
  private loopActive = false;
  private divergedAt: number | undefined;
  private divergedReason: string | undefined;
  private injectFault = false;
  deviceLost = false;
  private lastPost = 0;
  private boundary = new BoundaryPolicy(0);
  /** The page's network view is open: send per-unit snapshots (units.ts). */
  private watchUnits = false;
  private units = new UnitsPolicy();
  /** A forced snapshot put off by the time share (UnitsPolicy.forcedWait), taken when it allows. */
  private unitsTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly queue = new RecordQueue();
  private readonly rate = new RateMeter();
  /** Why the data of the config being built could not be loaded (shown instead of "not loaded"). */
  private dataError: string | null = null;
  /** Messages are handled one at a time, in order. */
  private inbox: Promise<void> = Promise.resolve();
  /** Warm start: the GPU backend warming up beside the run (warmup.ts), while it does. */
  private warmup: Warmup | null = null;
  /** Tests: the warm-up hands over whatever the GPU measures. */
  private handoverAlways = false;
  /** The run's compute on the CPU backend since it was built (for the warm-up's comparison). */
  private cpuCompute = { ms: 0, steps: 0 };
  /** Set while the warm-up holds the run's steps; steps wait for it. */
  private held: Promise<void> | null = null;
  /** The warm-up asked for a hold at the loop's next chunk boundary. */
  private holdAsked: ((release: () => void) => void) | null = null;

  constructor(private readonly host: SessionHost) {}

  get backend(): string | null {
    return this.setup?.backend ?? null;
  }

  private now(): number {
    return this.host.now ? this.host.now() : performance.now();
  }

  private post(msg: FromWorker, transfer: Transferable[] = []): void {
    this.host.post(msg, transfer);
  }

  /** Entry point for every message from the page. */
  receive(msg: ToWorker): Promise<void> {
    this.pace.interrupt();
    // Pause must act at once, not after a queued step.
    if (msg.type === 'pause' && msg.gen === this.gen && this.status === 'training') {
      this.status = 'paused';
      return this.inbox;
    }
    this.inbox = this.inbox.then(() => this.handle(msg)).catch((e) => this.reportInternal(e));
    return this.inbox;
  }

  reportInternal(e: unknown): void {
    this.post({ type: 'error', gen: this.gen, kind: 'internal', message: message(e), recoverable: true });
  }

  private async handle(msg: ToWorker): Promise<void> {
    if (msg.type !== 'init' && msg.gen !== this.gen) return; // stale command
    if ((msg.type === 'init' || msg.type === 'update-config') && this.host.loadData) {
      this.dataError = null;
      if (msg.config.data.name === 'digits') this.post({ type: 'progress', gen: msg.gen, what: 'loading the handwritten digits' });
      try {
        await this.host.loadData(msg.config);
      } catch (e) {
        this.dataError = message(e);
      }
    }
    switch (msg.type) {
      case 'init':
        await this.init(msg);
        break;
      case 'start':
        this.start(msg.stopAt, msg.cpuShare, msg.background === true);
        break;
      case 'pause':
        if (this.status === 'training') {
          this.status = 'paused';
          // The loop notices after its current chunk and flushes.
          if (!this.loopActive) this.postStatus();
        }
        break;
      case 'step-once':
        await this.stepOnce();
        break;
      case 'update-config':
        this.updateConfig(msg.config);
        break;
      case 'watch-units':
        this.watchUnits = msg.on;
        if (msg.on) await this.maybeUnits(true);
        break;
      case 'export': {
        const { rows, count, keptEvery } = this.queue.exportHistory();
        this.post({ type: 'history', gen: this.gen, requestId: msg.requestId, rows, count, keptEvery }, [rows.buffer]);
        break;
      }
      case 'debug':
        this.debug(msg.action);
        break;
      default:
        assertNever(msg);
    }
  }

  private async init(msg: InitMsg): Promise<void> {
    this.gen = msg.gen;
    this.run = msg.run;
    this.watchUnits = msg.units === true;
    // A backend forced by name is the one that trains: the tfjs engine, unless the
    // typed engine is asked for by name too.
    this.engineChoice = msg.engine ?? (msg.backend === 'auto' ? 'auto' : 'tfjs');
    if (!this.backendReady) {
      this.post({ type: 'progress', gen: this.gen, what: msg.backend === 'fastest' ? 'timing this model on every backend' : 'starting the backend' });
      this.backendReady = this.host.setupBackend(msg);
    }
    try {
      this.setup = await this.backendReady;
    } catch (e) {
      this.backendReady = null;
      this.post({ type: 'error', gen: this.gen, kind: 'backend', message: message(e), recoverable: false });
      return;
    }
    this.host.watchDevice?.(this.setup.backend, (reason) => this.reportDeviceLost(reason));
    this.rebuild(msg.config);
  }

  /** A fresh trainer at step 0 from the config, announced to the page. */
  private rebuild(cfg: RunConfig): void {
    this.stopWarmup();
    this.trainer?.dispose();
    this.trainer = null;
    this.queue.clear();
    this.divergedAt = undefined;
    this.divergedReason = undefined;
    this.config = cfg;
    try {
      const backend = this.setup?.backend;
      const decision = chooseEngine(cfg, this.engineChoice, backend !== undefined && isBackendName(backend) ? backend : undefined);
      this.engineReason = decision.reason;
      this.trainer = createTrainer(cfg, { run: this.run, engine: decision.engine });
    } catch (e) {
      this.post({ type: 'error', gen: this.gen, kind: 'config', message: this.dataError ?? message(e), recoverable: true });
      return;
    }
    this.stopAt = cfg.train.steps;
    this.status = 'idle';
    this.boundary = BoundaryPolicy.forRun(estimateRun(cfg).flopsPerStep, cfg.train.batchSize);
    const t = this.trainer;
    const s = this.setup!;
    this.post({
      type: 'ready',
      gen: this.gen,
      run: this.run,
      backend: s.backend,
      attempts: s.attempts,
      fallbackReason: s.fallbackReason,
      plan: s.plan,
      speeds: s.speeds,
      engine: t.engine,
      engineReason: this.engineReason,
      layerNames: t.layerNames,
      paramCount: t.paramCount,
      rowLength: t.rowLength,
    });
    this.postStatus();
    this.units = new UnitsPolicy();
    void this.maybeBoundary(true)
      .then(() => this.maybeUnits(true))
      .catch((e) => this.reportInternal(e));
    this.startWarmup(cfg);
  }

  /** Warm start: time the GPU backend on this model beside the run (warmup.ts). */
  private startWarmup(cfg: RunConfig): void {
    const s = this.setup;
    const t = this.trainer;
    if (!s?.warm || !t || t.engine !== 'tfjs' || (s.backend !== 'wasm' && s.backend !== 'cpu')) return;
    const cpu = s.backend;
    const gpu = s.warm;
    const myGen = this.gen;
    this.cpuCompute = { ms: 0, steps: 0 };
    const w = new Warmup(
      {
        use: (b) => useBackendNow(b),
        buildProbe: () => createTrainer(cfg, { run: this.run, engine: 'tfjs' }),
        cpuRate: () => (this.cpuCompute.ms >= CPU_RATE_MIN_MS ? (this.cpuCompute.steps * 1000) / this.cpuCompute.ms : null),
        hold: () => this.hold(),
        handOver: (b, summary) => {
          s.backend = b;
          s.warm = undefined;
          this.post({ type: 'backend', gen: myGen, backend: b, plan: `${planSubject(s.plan)}: ${b} from step ${this.trainer?.step ?? 0} (${summary})`, step: this.trainer?.step ?? 0 });
          this.host.watchDevice?.(b, (reason) => this.reportDeviceLost(reason));
        },
        now: () => this.now(),
        wait: (ms) => new Promise((r) => setTimeout(r, ms)),
        report: (plan) => {
          if (myGen === this.gen && this.setup) this.post({ type: 'backend', gen: myGen, backend: this.setup.backend, plan: `${planSubject(s.plan)}: ${plan}`, step: this.trainer?.step ?? 0 });
        },
      },
      cpu,
      gpu,
    );
    if (this.handoverAlways) w.minRatio = 0;
    this.warmup = w;
    void w.run().finally(() => {
      if (this.warmup === w) this.warmup = null;
    });
  }

  private stopWarmup(): void {
    this.warmup?.cancel();
    this.warmup = null;
    this.holdAsked = null;
  }

  /**
   * Holds the run's steps for the warm-up's measurement: at the loop's next chunk
   * boundary, or at once when the loop is not running; resolves with the release.
   */
  private hold(): Promise<() => void> {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const release = () => {
      if (this.held === gate) this.held = null;
      open();
    };
    if (!this.loopActive) {
      this.held = gate;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => {
      this.holdAsked = () => {
        this.held = gate;
        resolve(release);
      };
    });
  }

  /** At a chunk boundary: yields to a hold the warm-up asked for, and waits while it lasts. */
  private async yieldToWarmup(): Promise<void> {
    const asked = this.holdAsked;
    if (asked) {
      this.holdAsked = null;
      asked(() => {});
    }
    await this.whileHeld();
  }

  /** Waits while the warm-up holds the run's steps (the GPU backend is active then). */
  private async whileHeld(): Promise<void> {
    while (this.held) await this.held;
  }

  private updateConfig(cfg: RunConfig): void {
    if (!this.trainer || !this.config) return;
    const before = this.trainer.cfg;
    if (!this.trainer.updateConfig(cfg)) {
      this.rebuild(cfg); // the field table says this change needs a new model: step 0
      return;
    }
    const changes = changedPaths(before, cfg)
      .filter((c) => isChangePath(c.path))
      .map((c) => ({ path: c.path, value: c.to }));
    if (changes.length) this.post({ type: 'applied', gen: this.gen, step: this.trainer.step, changes });
    this.config = cfg;
    if (this.status !== 'training') this.stopAt = cfg.train.steps;
  }

  private start(stopAt: number | undefined, cpuShare: number | undefined, background: boolean): void {
    const t = this.trainer;
    if (!t || this.status === 'diverged' || this.status === 'error') return;
    this.stopAt = stopAt ?? this.config!.train.steps;
    this.pace.set(cpuShare, background);
    if (this.status === 'training') {
      this.postStatus(); // already training: only the share changed
      return;
    }
    if (t.step >= this.stopAt) {
      this.status = 'done';
      this.postStatus();
      return;
    }
    this.status = 'training';
    this.rate.reset(this.now(), t.step);
    this.postStatus();
    void this.loop();
  }

  private postStatus(): void {
    this.post({
      type: 'status',
      gen: this.gen,
      status: this.status,
      step: this.stepsShown(),
      stepsPerSec: this.status === 'training' ? this.rate.perSec() : 0,
      divergedAt: this.divergedAt,
      divergedReason: this.divergedReason,
      numTensors: tf.memory().numTensors,
    });
  }

  private flushRecords(): void {
    const out = this.queue.take();
    if (!out) return;
    this.post({ type: 'records', gen: this.gen, rows: out.rows, count: out.count }, [out.rows.buffer]);
    this.lastPost = this.now();
  }

  /**
   * Queues a chunk's rows; at the run's first divergence, notes it and keeps
   * nothing after it (the page stops the run there: its records end with it).
   */
  private take(t: RunTrainer, c: Chunk): void {
    let count = c.count;
    if (c.divergedIndex >= 0 && this.divergedAt === undefined) {
      this.divergedAt = c.firstStep + c.divergedIndex;
      this.divergedReason = describeDivergence(c.rows, c.divergedIndex * t.rowLength, t.layerNames);
      count = c.divergedIndex + 1;
    }
    this.queue.push(c.rows, count, t.rowLength);
    this.rate.add(this.now(), t.step);
  }

  /** Steps shown for the run: up to and including its first diverged step. */
  private stepsShown(): number {
    return this.divergedAt !== undefined ? this.divergedAt + 1 : (this.trainer?.step ?? 0);
  }

  /** A GPU backend compiles its shaders during the first step: say so, it can take a while. */
  private announceFirstStep(t: RunTrainer): void {
    const b = this.backend;
    if (t.step === 0 && t.engine === 'tfjs' && (b === 'webgpu' || b === 'webgl')) this.post({ type: 'progress', gen: this.gen, what: `first step on ${b}: compiling shaders` });
  }

  private checkFault(): void {
    if (!this.injectFault) return;
    this.injectFault = false;
    throw new Error('injected fault: exception inside a training step');
  }

  private reportStepError(e: unknown): void {
    this.status = 'error';
    this.flushRecords();
    this.post({ type: 'error', gen: this.gen, kind: 'step', message: `training step failed: ${message(e)}`, recoverable: true });
    this.postStatus();
  }

  private async loop(): Promise<void> {
    if (this.loopActive || !this.trainer) return;
    this.loopActive = true;
    const myGen = this.gen;
    const t = this.trainer;
    const current = () => myGen === this.gen && t === this.trainer;
    try {
      await this.yieldToWarmup();
      if (!current()) return;
      this.checkFault();
      this.announceFirstStep(t);
      const end = await trainChunks(t, {
        stopAt: () => this.stopAt,
        targetMs: CHUNK_TARGET_MS,
        maxChunk: MAX_CHUNK,
        onChunk: async (c) => {
          if (!current()) return false; // reset while the readback was in flight: drop
          if (this.warmup && (this.backend === 'wasm' || this.backend === 'cpu')) {
            this.cpuCompute.ms += c.ms;
            this.cpuCompute.steps += c.count;
          }
          this.take(t, c);
          if (c.divergedIndex >= 0) this.status = 'diverged';
          else if (t.step >= this.stopAt) this.status = 'done';
          if (this.now() - this.lastPost >= POST_INTERVAL_MS || this.status !== 'training') {
            this.flushRecords();
            this.postStatus();
          }
          await this.maybeBoundary(this.status !== 'training');
          await this.maybeUnits(this.status !== 'training');
          await this.pace.rest(c.ms, this.backend === 'wasm' || this.backend === 'cpu');
          await this.yieldToWarmup();
          if (current()) this.checkFault();
          return this.status === 'training' && current();
        },
      });
      if (!current()) return;
      if (end.reason === 'done' && this.status === 'training') this.status = 'done';
      this.flushRecords();
      this.postStatus();
    } catch (e) {
      if (current()) this.reportStepError(e);
    } finally {
      this.loopActive = false;
      // A hold asked for after the loop's last chunk boundary: nothing runs now.
      const asked = this.holdAsked;
      this.holdAsked = null;
      asked?.(() => {});
    }
  }

  private async stepOnce(): Promise<void> {
    const t = this.trainer;
    if (!t || this.loopActive || this.status === 'diverged' || this.status === 'error') return;
    const myGen = this.gen;
    await this.yieldToWarmup();
    if (myGen !== this.gen || t !== this.trainer) return;
    const first = t.step;
    try {
      this.checkFault();
      this.announceFirstStep(t);
      await trainChunks(t, {
        stopAt: () => first + 1,
        chunk: 1,
        onChunk: (c) => {
          if (myGen !== this.gen || t !== this.trainer) return false;
          this.take(t, c);
          this.status = c.divergedIndex >= 0 ? 'diverged' : t.step >= this.stopAt ? 'done' : 'paused';
        },
      });
    } catch (e) {
      this.reportStepError(e);
      return;
    }
    if (myGen !== this.gen) return;
    this.flushRecords();
    this.postStatus();
    await this.maybeBoundary(true);
    await this.maybeUnits(true);
  }

  private async maybeBoundary(force = false): Promise<void> {
    await this.whileHeld();
    const t = this.trainer;
    if (!t || t.data.inputSize !== 2) return;
    const t0 = this.now();
    if (!this.boundary.due(t0, force)) return;
    const myGen = this.gen;
    const probs = await t.predictGrid(BOUNDARY_N);
    this.boundary.took(this.now() - t0);
    if (myGen !== this.gen || t !== this.trainer) return;
    this.post({ type: 'boundary', gen: this.gen, step: t.step, n: BOUNDARY_N, probs }, [probs.buffer]);
  }

  /** A per-unit snapshot for the network view, when it is open and one is due (units.ts). */
  private async maybeUnits(force = false): Promise<void> {
    await this.whileHeld();
    const t = this.trainer;
    if (!t || !this.watchUnits || this.status === 'error') return;
    const t0 = this.now();
    if (!this.units.due(t0, force)) {
      // The end of a run, a pause or a single step is always pictured, a little later if need be.
      if (force && !this.unitsTimer)
        this.unitsTimer = setTimeout(() => {
          this.unitsTimer = null;
          if (!this.loopActive) this.maybeUnits(true).catch((e) => this.reportInternal(e));
        }, this.units.forcedWait(t0) + 1);
      return;
    }
    const myGen = this.gen;
    let snapshot;
    try {
      snapshot = await t.unitSnapshot();
    } catch {
      // The picture is an extra: a backend that cannot compute it leaves training alone (the view waits).
      this.units.took(60_000);
      return;
    }
    this.units.took(this.now() - t0);
    if (myGen !== this.gen || t !== this.trainer) return;
    this.post({ type: 'units', gen: this.gen, snapshot });
  }

  reportDeviceLost(reason: string): void {
    if (this.deviceLost) return;
    this.deviceLost = true;
    this.status = 'error';
    this.post({
      type: 'error',
      gen: this.gen,
      kind: 'device-lost',
      message: `The GPU device was lost (${reason}). Restart to continue on another backend.`,
      recoverable: true,
    });
    this.postStatus();
  }

  private debug(action: DebugAction): void {
    if (action === 'throw-in-step') this.injectFault = true;
    else if (action === 'handover-always') {
      this.handoverAlways = true;
      if (this.warmup) this.warmup.minRatio = 0;
    }
    else if (action === 'lose-device') {
      // Simulated loss: report it as the lost promise would, then really destroy the device.
      this.reportDeviceLost(`simulated loss on ${this.backend}`);
      this.host.loseDevice?.();
    } else if (action === 'memory') {
      const m = tf.memory();
      this.post({ type: 'memory', gen: this.gen, numTensors: m.numTensors, numBytes: m.numBytes });
    }
  }
}
