/**
 * The page side of the worker protocol: one module Web Worker per run.
 * Records go straight into `metrics` (outside React); status changes go to the
 * zustand store. Messages from a stale generation are dropped.
 */
import type { RunConfig } from '../engine/config.ts';
import type { StepRecord } from '../engine/records.ts';
import {
  assertNever,
  type BackendChoice,
  type BackendName,
  type DebugAction,
  type EngineChoice,
  type FromWorker,
  type ToWorker,
} from '../shared/protocol.ts';
import { metrics, rowToRecord } from './metrics.ts';

export interface RunExport {
  records: StepRecord[];
  /** 1: every step; k: only every k-th step was kept. */
  keptEvery: number;
}

export interface RunEvents {
  onReady(run: number, m: Extract<FromWorker, { type: 'ready' }>): void;
  onStatus(run: number, m: Extract<FromWorker, { type: 'status' }>): void;
  onError(run: number, m: Extract<FromWorker, { type: 'error' }>): void;
  onProgress?(run: number, m: Extract<FromWorker, { type: 'progress' }>): void;
  onApplied?(run: number, m: Extract<FromWorker, { type: 'applied' }>): void;
  onBackend?(run: number, m: Extract<FromWorker, { type: 'backend' }>): void;
}

interface Handle {
  worker: Worker;
  run: number;
  gen: number;
  backend: BackendChoice;
  disable: BackendName[];
  config: RunConfig;
  label: string;
  layerNames: string[];
  rowLength: number;
  pendingExports: Map<number, (rows: Float32Array, count: number, keptEvery: number) => void>;
  lastMemory?: (n: { numTensors: number; numBytes: number }) => void;
}

let genCounter = 0;
let requestCounter = 0;

export class RunClient {
  private handles = new Map<number, Handle>();
  /** Runs whose network view is open (their workers send per-unit snapshots). */
  private unitsWanted = new Set<number>();
  constructor(private events: RunEvents) {}

  has(run: number): boolean {
    return this.handles.has(run);
  }

  /** Starts a fresh worker for a run (terminating any previous one). */
  create(run: number, config: RunConfig, backend: BackendChoice, disable: BackendName[] = [], engine: EngineChoice = 'auto'): void {
    this.terminate(run);
    const worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: `gradscope-run-${run}` });
    const h: Handle = {
      worker,
      run,
      gen: ++genCounter,
      backend,
      disable,
      config,
      label: config.label,
      layerNames: [],
      rowLength: 0,
      pendingExports: new Map(),
    };
    this.handles.set(run, h);
    worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(run, h, ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault();
      this.events.onError(run, { type: 'error', gen: h.gen, kind: 'internal', message: ev.message || 'the training worker failed', recoverable: true });
    };
    // 'auto' leaves the worker's default (engines.ts: auto with the auto backend, tfjs with a named one).
    this.send(h, { type: 'init', gen: h.gen, run, config, backend, disable, units: this.unitsWanted.has(run), ...(engine === 'auto' ? {} : { engine }) });
  }

  private send(h: Handle, msg: ToWorker): void {
    h.worker.postMessage(msg);
  }

  private receive(run: number, h: Handle, msg: FromWorker): void {
    if (this.handles.get(run) !== h || msg.gen !== h.gen) return; // stale
    switch (msg.type) {
      case 'progress':
        this.events.onProgress?.(run, msg);
        break;
      case 'applied':
        this.events.onApplied?.(run, msg);
        break;
      case 'backend':
        this.events.onBackend?.(run, msg);
        break;
      case 'ready':
        h.layerNames = msg.layerNames;
        h.rowLength = msg.rowLength;
        metrics.reset(run, h.label, msg.layerNames, msg.rowLength);
        this.events.onReady(run, msg);
        break;
      case 'records':
        metrics.add(run, msg.rows, msg.count);
        break;
      case 'status':
        this.events.onStatus(run, msg);
        break;
      case 'error':
        this.events.onError(run, msg);
        break;
      case 'boundary':
        metrics.setBoundary(run, { n: msg.n, probs: msg.probs, step: msg.step });
        break;
      case 'units':
        metrics.addUnits(run, msg.snapshot);
        break;
      case 'history': {
        const cb = h.pendingExports.get(msg.requestId);
        h.pendingExports.delete(msg.requestId);
        cb?.(msg.rows, msg.count, msg.keptEvery);
        break;
      }
      case 'memory':
        h.lastMemory?.({ numTensors: msg.numTensors, numBytes: msg.numBytes });
        break;
      default:
        assertNever(msg);
    }
  }

  start(run: number, opts: { stopAt?: number; cpuShare?: number } = {}): void {
    const h = this.handles.get(run);
    if (h) this.send(h, { type: 'start', gen: h.gen, ...opts });
  }

  pause(run: number): void {
    const h = this.handles.get(run);
    if (h) this.send(h, { type: 'pause', gen: h.gen });
  }

  stepOnce(run: number): void {
    const h = this.handles.get(run);
    if (h) this.send(h, { type: 'step-once', gen: h.gen });
  }

  /**
   * Rebuilds the run from its config at step 0 under a new generation; drops
   * everything in flight. Sent as an `init` to the same worker (its backend is
   * kept): the worker ignores every other command whose generation is not its
   * current one, so a `reset` carrying the new generation would be dropped.
   */
  reset(run: number, config: RunConfig): void {
    const h = this.handles.get(run);
    if (!h) return;
    h.gen = ++genCounter;
    h.config = config;
    h.label = config.label;
    this.send(h, { type: 'init', gen: h.gen, run: h.run, config, backend: h.backend, disable: h.disable, units: this.unitsWanted.has(run) });
  }

  /** Live hyper-parameter change (no rebuild). */
  update(run: number, config: RunConfig): void {
    const h = this.handles.get(run);
    if (!h) return;
    h.config = config;
    h.label = config.label;
    metrics.setLabel(run, config.label);
    this.send(h, { type: 'update-config', gen: h.gen, config });
  }

  /**
   * Every recorded step of a run; `keptEvery` > 1 when the run outgrew the
   * worker's record budget and only every k-th step was kept.
   */
  exportRecords(run: number): Promise<RunExport> {
    const h = this.handles.get(run);
    if (!h) return Promise.resolve({ records: [], keptEvery: 1 });
    const requestId = ++requestCounter;
    return new Promise((resolve) => {
      h.pendingExports.set(requestId, (rows, count, keptEvery) => {
        const w = h.rowLength;
        const meta = { run, label: h.label, layerNames: h.layerNames };
        const out: StepRecord[] = [];
        for (let i = 0; i < count; i++) out.push(rowToRecord(rows.subarray(i * w, i * w + w), meta));
        resolve({ records: out, keptEvery });
      });
      this.send(h, { type: 'export', gen: h.gen, requestId });
    });
  }

  /** The run's network view opened or closed: its worker starts or stops sending per-unit snapshots. */
  watchUnits(run: number, on: boolean): void {
    if (on === this.unitsWanted.has(run)) return;
    if (on) this.unitsWanted.add(run);
    else this.unitsWanted.delete(run);
    const h = this.handles.get(run);
    if (h) this.send(h, { type: 'watch-units', gen: h.gen, on });
  }

  debug(run: number, action: Exclude<DebugAction, 'memory'>): void {
    const h = this.handles.get(run);
    if (h) this.send(h, { type: 'debug', gen: h.gen, action });
  }

  memory(run: number): Promise<{ numTensors: number; numBytes: number }> {
    const h = this.handles.get(run);
    if (!h) return Promise.resolve({ numTensors: 0, numBytes: 0 });
    return new Promise((resolve) => {
      h.lastMemory = resolve;
      this.send(h, { type: 'debug', gen: h.gen, action: 'memory' });
    });
  }

  terminate(run: number): void {
    const h = this.handles.get(run);
    if (!h) return;
    this.handles.delete(run);
    h.worker.terminate();
  }

  terminateAll(): void {
    for (const run of [...this.handles.keys()]) this.terminate(run);
  }
}
