/**
 * The worker threads of `gradscope sweep`: a pool of threads that each run
 * sweep-worker.ts and train one trial at a time.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TrialResult } from '../engine/sweep/result.ts';
import type { TrialSpec } from '../engine/sweep/planner.ts';
import type { NodeBackend } from './tf-node.ts';
import type { FromSweepThread, ToSweepThread } from './sweep-worker.ts';

/** The URL tsx's ESM API is imported from inside a worker thread. */
function tsxApiUrl(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve === 'function') {
    try {
      return meta.resolve('tsx/esm/api');
    } catch {
      /* fall through */
    }
  }
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

/**
 * A worker thread runs sweep-worker.ts. Like bin/gradscope.mjs, it
 * registers tsx before importing TypeScript: the tiny bootstrap is an ES module
 * given as a data: URL (tsx's hooks are per thread in Node 20).
 */
function spawnThread(backend: NodeBackend): Worker {
  const entry = new URL('./sweep-worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsxApiUrl())};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: { backend }, stdout: false, stderr: false });
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Settles `ready` with a failure (the pool was closed while the thread was starting). */
  abort: (e: Error) => void;
  job: { spec: TrialSpec; resolve: (r: TrialResult) => void; reject: (e: Error) => void } | null;
}

/** A fixed number of worker threads, each training one trial at a time; a crashed thread is replaced. */
export class ThreadPool {
  private slots: Slot[] = [];
  private closing = false;
  constructor(
    readonly size: number,
    readonly backend: NodeBackend,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = spawnThread(this.backend);
    const slot: Slot = { worker, ready: Promise.resolve(), abort: () => {}, job: null };
    slot.ready = new Promise<void>((resolve, reject) => {
      slot.abort = reject;
      worker.on('message', (m: FromSweepThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fatal') reject(new Error(m.message));
        else if (m.type === 'result' && slot.job) {
          const j = slot.job;
          slot.job = null;
          j.resolve(m.result);
        }
      });
      const fail = (e: Error) => {
        reject(e);
        if (slot.job) {
          const j = slot.job;
          slot.job = null;
          j.reject(e);
        }
        // Replace a crashed thread so the sweep can go on.
        if (!this.closing) {
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots[i] = this.spawn();
        }
      };
      worker.on('error', (e: Error) => fail(new Error(`worker thread failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closing) fail(new Error(`worker thread exited (code ${code})`));
      });
    });
    slot.ready.catch(() => {});
    return slot;
  }

  /** Resolves when every thread has loaded TensorFlow.js; rejects with the first start-up failure. */
  async started(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  run(spec: TrialSpec): Promise<TrialResult> {
    // After close() a slot looks free but its thread is gone: a trial sent there would never settle.
    if (this.closing) return Promise.reject(new Error('cancelled'));
    const slot = this.slots.find((s) => !s.job);
    if (!slot) return Promise.reject(new Error('no free worker thread'));
    return new Promise<TrialResult>((resolve, reject) => {
      slot.job = { spec, resolve, reject };
      slot.ready.then(
        () => slot.worker.postMessage({ type: 'trial', spec } satisfies ToSweepThread),
        (e: Error) => {
          if (slot.job?.spec === spec) {
            slot.job = null;
            reject(e);
          }
        },
      );
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.slots) {
      s.abort(new Error('cancelled'));
      if (s.job) {
        s.job.reject(new Error('cancelled'));
        s.job = null;
      }
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
