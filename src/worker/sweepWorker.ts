/// <reference lib="webworker" />
/**
 * A sweep worker: picks a tfjs backend once (wasm for MLPs: trials are small and
 * wasm is the fastest backend for them; the usual order without wasm for CNNs),
 * then trains the trials it is sent, one at a time, with the engine's runTrial.
 */
import './gradients.ts';
import * as tf from '../engine/tf.ts';
import { runTrial } from '../engine/sweep/trial.ts';
import { digitsUrl, loadRunData } from '../engine/data/load.ts';
import { selectBackend } from './backend.ts';
import { assertNever } from '../shared/protocol.ts';
import type { FromSweepWorker, ToSweepWorker } from '../shared/sweepProtocol.ts';
import { excludedFor } from '../engine/backends.ts';

declare const self: DedicatedWorkerGlobalScope;

const PROGRESS_INTERVAL_MS = 250;

function post(msg: FromSweepWorker): void {
  self.postMessage(msg);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

let ready: Promise<boolean> | null = null;

async function init(msg: Extract<ToSweepWorker, { type: 'init' }>): Promise<boolean> {
  try {
    const exclude = excludedFor(msg.arch);
    // MLP trials are small: wasm is the fastest backend for them when it can train the model.
    const force = msg.backend !== 'auto' ? msg.backend : exclude.wasm ? 'auto' : 'wasm';
    const r = await selectBackend({ force, exclude });
    tf.enableProdMode();
    const failed = r.attempts.filter((a) => !a.ok);
    post({ type: 'ready', backend: r.backend, fallbackReason: failed.map((a) => a.reason ?? a.backend).join('; ') });
    return true;
  } catch (e) {
    post({ type: 'fatal', message: message(e) });
    return false;
  }
}

async function handle(msg: ToSweepWorker): Promise<void> {
  switch (msg.type) {
    case 'init':
      ready ??= init(msg);
      await ready;
      break;
    case 'trial': {
      if (!ready) {
        post({ type: 'fatal', message: 'sweep worker: a trial arrived before init' });
        return;
      }
      if (!(await ready)) return; // the fatal message was sent by init
      let last = 0;
      // A trial on digits needs the digits file; a failed load shows as the trial's error.
      if (msg.spec.config) await loadRunData(msg.spec.config, digitsUrl(self.location.href, true)).catch(() => undefined);
      const result = await runTrial(msg.spec, {
        onProgress: (step) => {
          const now = performance.now();
          if (now - last < PROGRESS_INTERVAL_MS) return;
          last = now;
          post({ type: 'progress', index: msg.spec.index, step });
        },
      });
      post({ type: 'result', result });
      break;
    }
    default:
      assertNever(msg);
  }
}

// One message at a time, in order.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToSweepWorker>) => {
  queue = queue.then(() => handle(ev.data)).catch((e) => post({ type: 'fatal', message: message(e) }));
};
