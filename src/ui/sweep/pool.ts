/**
 * A pool of sweep workers (src/worker/sweepWorker.ts), one trial per worker at a
 * time. `run(spec)` is the sweep runner's executor; `terminate()` cancels: every
 * worker is terminated and the trials in flight reject.
 */
import type { TrialSpec } from '../../engine/sweep/planner.ts';
import type { TrialResult } from '../../engine/sweep/result.ts';
import type { BackendName } from '../../shared/protocol.ts';
import type { FromSweepWorker, ToSweepWorker } from '../../shared/sweepProtocol.ts';

/** Workers by default: one per core, at most 4 (trials are small; the page keeps a core). */
export function defaultPoolSize(): number {
  const n = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 0;
  return Math.max(1, Math.min(4, n || 2));
}

interface Slot {
  worker: Worker;
  job: { spec: TrialSpec; resolve: (r: TrialResult) => void; reject: (e: Error) => void } | null;
}

export interface PoolEvents {
  onReady?(backend: BackendName, fallbackReason: string): void;
  onProgress?(index: number, step: number): void;
}

export class SweepPool {
  private slots: Slot[] = [];
  private closed = false;
  private n = 0;
  /** Broken workers are replaced, but not forever (a page where no backend starts). */
  private respawns = 0;
  /** Why the last worker failed (for the message when none is left). */
  private lastFailure = '';

  constructor(
    readonly size: number,
    private readonly arch: 'mlp' | 'cnn',
    private readonly backend: BackendName | 'auto',
    private readonly events: PoolEvents = {},
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('../../worker/sweepWorker.ts', import.meta.url), { type: 'module', name: `gradscope-sweep-${this.n++}` });
    const slot: Slot = { worker, job: null };
    const fail = (message: string) => {
      const j = slot.job;
      slot.job = null;
      j?.reject(new Error(message));
      this.lastFailure = message;
      worker.terminate();
      const i = this.slots.indexOf(slot);
      if (i < 0 || this.closed) return;
      // Replace the broken worker; the sweep goes on with the others.
      if (this.respawns++ < 2 * this.size) this.slots[i] = this.spawn();
      else this.slots.splice(i, 1);
    };
    worker.onmessage = (ev: MessageEvent<FromSweepWorker>) => {
      const m = ev.data;
      switch (m.type) {
        case 'ready':
          this.events.onReady?.(m.backend, m.fallbackReason);
          break;
        case 'progress':
          this.events.onProgress?.(m.index, m.step);
          break;
        case 'result': {
          const j = slot.job;
          slot.job = null;
          j?.resolve(m.result);
          break;
        }
        case 'fatal':
          fail(m.message);
          break;
      }
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      fail(ev.message || 'the sweep worker failed');
    };
    worker.postMessage({ type: 'init', arch: this.arch, backend: this.backend } satisfies ToSweepWorker);
    return slot;
  }

  run(spec: TrialSpec): Promise<TrialResult> {
    if (this.closed) return Promise.reject(new Error('cancelled'));
    const slot = this.slots.find((s) => !s.job);
    if (!slot) return Promise.reject(new Error(this.slots.length ? 'no free sweep worker' : `no sweep worker could start: ${this.lastFailure}`));
    return new Promise<TrialResult>((resolve, reject) => {
      slot.job = { spec, resolve, reject };
      slot.worker.postMessage({ type: 'trial', spec } satisfies ToSweepWorker);
    });
  }

  terminate(): void {
    this.closed = true;
    for (const s of this.slots) {
      s.worker.terminate();
      const j = s.job;
      s.job = null;
      j?.reject(new Error('cancelled'));
    }
  }
}
