/**
 * A worker thread of `gradscope sweep`: sets up TensorFlow.js once, then trains
 * the trials it is sent, one at a time, and posts each result back.
 *
 *   parent → worker   { type: 'trial', spec: TrialSpec }
 *   worker → parent   { type: 'ready', backend } | { type: 'result', result: TrialResult }
 *                     | { type: 'fatal', message }
 *
 * workerData: { backend: 'cpu' | 'wasm' }. Started by sweep-pool.ts through a
 * small bootstrap that registers tsx first (TypeScript runs without a build step).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setNodeBackend, type NodeBackend } from './tf-node.ts';
import { runTrial } from '../engine/sweep/trial.ts';
import { loadDigitsInNode } from './digits.ts';
import type { TrialResult } from '../engine/sweep/result.ts';
import type { TrialSpec } from '../engine/sweep/planner.ts';

export type ToSweepThread = { type: 'trial'; spec: TrialSpec };
export type FromSweepThread =
  | { type: 'ready'; backend: NodeBackend }
  | { type: 'result'; result: TrialResult }
  | { type: 'fatal'; message: string };

const port = parentPort;
if (!port) throw new Error('sweep-worker.ts must run in a worker thread');
const post = (m: FromSweepThread) => port.postMessage(m);

const backend = (workerData as { backend?: NodeBackend } | undefined)?.backend ?? 'cpu';
try {
  await setNodeBackend(backend);
  post({ type: 'ready', backend });
} catch (e) {
  post({ type: 'fatal', message: `cannot start the ${backend} backend: ${e instanceof Error ? e.message : String(e)}` });
}

// Trials are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToSweepThread) => {
  if (m.type !== 'trial') return;
  queue = queue.then(async () => {
    if (m.spec.config?.data.name === 'digits') loadDigitsInNode();
    post({ type: 'result', result: await runTrial(m.spec) });
  });
});
