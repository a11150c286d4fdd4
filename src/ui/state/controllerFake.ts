/**
 * Test helpers for the run controller: a fake worker client that records what
 * it is asked and answers for the workers, and a page (store + controller) on
 * top of it with a fake environment. Used by the controller's unit tests only.
 */
import { defaultRunConfig, type Experiment, type RunConfig, type RunConfigInput } from '../../engine/config.ts';
import type { BackendChoice, BackendName, EngineChoice, FromWorker, RunStatus } from '../../shared/protocol.ts';
import type { RunEvents } from '../runClient.ts';
import { createPage } from '../store.ts';
import type { PageEnv, StartOptions, WorkerClient } from './workerClient.ts';

type Call = [string, number, ...unknown[]];

/** A worker client that records what it is asked and lets the test answer for the workers. */
export class FakeClient implements WorkerClient {
  calls: Call[] = [];
  workers = new Map<number, { config: RunConfig; backend: BackendChoice; disable: BackendName[]; engine: EngineChoice }>();
  constructor(readonly events: RunEvents) {}
  has(run: number) {
    return this.workers.has(run);
  }
  create(run: number, config: RunConfig, backend: BackendChoice, disable: BackendName[], engine: EngineChoice = 'auto') {
    this.workers.set(run, { config, backend, disable, engine });
    this.calls.push(['create', run, backend, disable]);
  }
  start(run: number, opts?: StartOptions) {
    this.calls.push(['start', run, opts]);
  }
  pause(run: number) {
    this.calls.push(['pause', run]);
  }
  stepOnce(run: number) {
    this.calls.push(['stepOnce', run]);
  }
  reset(run: number, config: RunConfig) {
    this.workers.get(run)!.config = config;
    this.calls.push(['reset', run]);
  }
  update(run: number, config: RunConfig) {
    this.workers.get(run)!.config = config;
    this.calls.push(['update', run]);
  }
  exportRecords() {
    return Promise.resolve({ records: [], keptEvery: 1 });
  }
  watchUnits(run: number, on: boolean) {
    this.calls.push([on ? 'watchUnits' : 'unwatchUnits', run]);
  }
  terminate(run: number) {
    this.workers.delete(run);
    this.calls.push(['terminate', run]);
  }
  terminateAll() {
    this.workers.clear();
    this.calls.push(['terminateAll', -1]);
  }
  /** Calls of one kind, by run. */
  of(kind: string): Call[] {
    return this.calls.filter((c) => c[0] === kind);
  }
  status(run: number, status: RunStatus, step: number, extra: Partial<Extract<FromWorker, { type: 'status' }>> = {}) {
    this.events.onStatus(run, { type: 'status', gen: 1, status, step, stepsPerSec: 50, numTensors: 0, ...extra });
  }
  applied(run: number, step: number, changes: { path: string; value: unknown }[]) {
    this.events.onApplied?.(run, { type: 'applied', gen: 1, step, changes });
  }
  progress(run: number, what: string) {
    this.events.onProgress?.(run, { type: 'progress', gen: 1, what });
  }
  ready(run: number, backend: BackendName = 'wasm', plan?: string) {
    this.events.onReady(run, {
      type: 'ready',
      gen: 1,
      run,
      backend,
      plan,
      engine: 'tfjs',
      engineReason: 'tfjs engine requested',
      attempts: [{ backend, ok: true }],
      fallbackReason: '',
      layerNames: ['dense1', 'dense2'],
      paramCount: 10,
      rowLength: 20,
    });
  }
  error(run: number, kind: Extract<FromWorker, { type: 'error' }>['kind'], message = 'failed') {
    this.events.onError(run, { type: 'error', gen: 1, kind, message, recoverable: true });
  }
}

export function experiment(...runs: RunConfigInput[]): Experiment {
  return { v: 1, runs: runs.map((r, i) => defaultRunConfig({ label: 'ABCD'[i], ...r })) };
}

/** A run far past what a tab can hold (refused before anything is allocated). */
export const HUGE: RunConfigInput = { model: { hidden: Array<number>(48).fill(1024) }, optimizer: { name: 'adam' }, train: { batchSize: 4096 } };

export function setup(opts: { cores?: number; hidden?: boolean } = {}) {
  let client!: FakeClient;
  let visibility: (() => void) | null = null;
  const env: PageEnv & { hiddenNow: boolean; cleared: number } = {
    hiddenNow: opts.hidden ?? false,
    cleared: 0,
    cores: () => opts.cores ?? 4,
    hidden: () => env.hiddenNow,
    onVisibilityChange: (fn) => (visibility = fn),
    clearMetrics: () => env.cleared++,
  };
  const { useStore, controller } = createPage((events) => (client = new FakeClient(events)), env);
  const get = () => useStore.getState();
  return {
    get,
    controller,
    env,
    client: () => client,
    load(exp: Experiment) {
      get().loadExperiment(exp);
      return client;
    },
    visibilityChanged: () => visibility?.(),
  };
}
