/**
 * Memory over many training steps in Node: tf.memory().numTensors (and bytes)
 * before the trainer exists, after it is built, during training and after it
 * is disposed, plus the process's JS heap. Prints one JSON document.
 *
 *   node --import tsx bench/node/memory.ts --backend wasm --steps 10000
 */
import * as tf from '../../src/engine/tf.ts';
import { setNodeBackend, type NodeBackend } from '../../src/node/tf-node.ts';
import { Trainer } from '../../src/engine/trainer.ts';
import { configFor, type ModelId } from '../lib/cells.ts';
import type { RunConfigInput } from '../../src/engine/config.ts';
import { parseArgs } from './args.ts';

const args = parseArgs(process.argv.slice(2));
const backend = String(args.backend ?? 'wasm') as NodeBackend;
const steps = Number(args.steps ?? 10_000);
/** Steps for the second (slower) case; --cases 1 runs only the first. */
const steps2 = Number(args.steps2 ?? steps);
const nCases = Number(args.cases ?? 2);
/** Wall-time budget for all cases: a case that runs out stops early and says so. */
const budgetMs = Number(args['budget-s'] ?? 600) * 1000;
const tStart = performance.now();
await setNodeBackend(backend);

const CASES: { name: string; model: ModelId; extra: RunConfigInput }[] = [
  { name: 'spiral 6×8 tanh, sgd, global_norm clip', model: 'spiral', extra: {} },
  {
    name: 'MLP 5×64 relu, adam, batch norm, adaptive clip, eval every 50',
    model: 'mlp5x64',
    extra: {
      model: { norm: 'batch' },
      optimizer: { name: 'adam', lr: 0.001 },
      stabilizers: { clip: { mode: 'adaptive' } },
      train: { evalEvery: 50 },
    },
  },
];

const gc = (globalThis as { gc?: () => void }).gc;
const results = [];
for (const [i, c] of CASES.slice(0, nCases).entries()) {
  const target = i === 0 ? steps : steps2;
  gc?.();
  const before = tf.memory();
  const heap0 = process.memoryUsage().heapUsed;
  const tr = new Trainer(configFor(c.model, c.extra));
  const built = tf.memory();
  const samples: { step: number; numTensors: number; numBytes: number }[] = [];
  const t0 = performance.now();
  const chunk = 16;
  // The first case may use up to 3/4 of the budget, the second what is left.
  const deadline = i === 0 && nCases > 1 ? tStart + budgetMs * 0.75 : tStart + budgetMs;
  while (tr.step < target && performance.now() < deadline) {
    await tr.runStepsPacked(Math.min(chunk, target - tr.step));
    if (tr.step % 1000 < chunk) samples.push({ step: tr.step, numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes });
  }
  const seconds = (performance.now() - t0) / 1000;
  const during = tf.memory();
  tr.dispose();
  gc?.();
  const after = tf.memory();
  results.push({
    case: c.name,
    steps: tr.step,
    target,
    stoppedEarly: tr.step < target,
    seconds,
    numTensors: { before: before.numTensors, built: built.numTensors, end: during.numTensors, afterDispose: after.numTensors },
    numBytes: { before: before.numBytes, built: built.numBytes, end: during.numBytes, afterDispose: after.numBytes },
    samples,
    heapUsedMB: { start: heap0 / 2 ** 20, end: process.memoryUsage().heapUsed / 2 ** 20 },
  });
  process.stderr.write(`  memory ${backend}: ${c.name}: ${built.numTensors} → ${during.numTensors} tensors over ${tr.step} steps (${seconds.toFixed(1)} s)\n`);
}
process.stdout.write(JSON.stringify({ backend, steps, results }) + '\n');
