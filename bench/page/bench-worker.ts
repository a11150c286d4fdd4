/// <reference lib="webworker" />
/**
 * Bench worker (module worker, like the app's training worker).
 *   ab    selects the backend with the app's own selectBackend, then measures
 *         gradscope's Trainer against a bare tfjs loop for each model
 *         (bench/lib/ab.ts), interleaved A/B.
 *   rank  the app's "fastest" choice for each model (engine/backendSpeed.ts, as the
 *         training worker runs it), then a longer measurement of every backend
 *         to see how close the choice came to the best.
 *   init  times what tfjs needs to make a backend usable from a cold worker:
 *         load the backend package, tf.setBackend, tf.ready, and one small op
 *         read back with data().
 *   pace  the typed engine against the Playground loop (bench/lib/pace.ts) on the
 *         spiral net, interleaved A/B in this worker (no tfjs involved).
 *   playground  the Playground loop alone for `budgetMs`: steps/s, the reference
 *         the app page's pace is divided by (`epochLoss`: with Playground's
 *         per-epoch loss over every point).
 *   dispatch  compute dispatches per training step on webgpu: every
 *         GPUComputePassEncoder.dispatchWorkgroups call is counted while the tfjs
 *         engine (fused kernels off, then on) and the bare tfjs loop train.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { selectBackend, loadBackendPackage, MEASURE_ORDER } from '../../src/worker/backend.ts';
import { isBackendName, type BackendName } from '../../src/engine/backends.ts';
import { configFor, modelsFor, type ModelId } from '../lib/cells.ts';
import { BareLoop, GradscopeLoop, interleavedAB, measureCell, type Loop } from '../lib/ab.ts';
import { PlaygroundLoop, TypedLoop, chunkFor, rateAlone } from '../lib/pace.ts';
import { setFusedKernels } from '../../src/engine/fused.ts';
import { measureStepRate, rankBackends } from '../../src/engine/backendSpeed.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

interface Req {
  mode: 'ab' | 'init' | 'rank' | 'pace' | 'playground' | 'dispatch';
  backend: string;
  models?: string[];
  quick?: boolean;
  budgetMs?: number;
  /** mode playground: also the per-epoch loss over every point, as Playground's oneStep() */
  epochLoss?: boolean;
}

const progress = (text: string, cell?: unknown) => scope.postMessage({ type: 'progress', text, cell });

async function initOnce(name: BackendName): Promise<Record<string, number | string>> {
  const t0 = performance.now();
  await loadBackendPackage(name);
  const tLoaded = performance.now();
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  const tReady = performance.now();
  const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const s = tf.tidy(() => tf.sum(tf.matMul(a, a)));
  await s.data();
  tf.dispose([a, s]);
  const tDone = performance.now();
  return {
    backend: tf.getBackend(),
    loadMs: tLoaded - t0,
    setBackendMs: tReady - tLoaded,
    firstOpMs: tDone - tReady,
    totalMs: tDone - t0,
  };
}

scope.onmessage = async (e: MessageEvent<Req>) => {
  const req = e.data;
  try {
    if (req.mode === 'rank') {
      scope.postMessage({ type: 'done', result: await rankModels(req) });
      return;
    }
    if (req.mode === 'pace') {
      scope.postMessage({ type: 'done', result: await paceInWorker(req) });
      return;
    }
    if (req.mode === 'playground') {
      const loop = new PlaygroundLoop(configFor('spiral'), { epochLoss: !!req.epochLoss });
      scope.postMessage({ type: 'done', result: await rateAlone(loop, { ms: req.budgetMs || 5000 }) });
      return;
    }
    if (req.mode === 'dispatch') {
      scope.postMessage({ type: 'done', result: await dispatchesPerStep(req) });
      return;
    }
    if (!isBackendName(req.backend)) throw new Error(`unknown backend ${req.backend}`);
    if (req.mode === 'init') {
      scope.postMessage({ type: 'done', result: await initOnce(req.backend) });
      return;
    }
    const sel = await selectBackend({ force: req.backend });
    if (sel.backend !== req.backend) {
      const why = sel.attempts.find((a) => a.backend === req.backend)?.reason ?? 'not available';
      scope.postMessage({ type: 'done', result: { backend: req.backend, unavailable: why, cells: [] } });
      return;
    }
    tf.enableProdMode();
    const quick = !!req.quick;
    const gpu = req.backend === 'webgpu' || req.backend === 'webgl';
    const t0All = performance.now();
    const cells = [];
    const models = modelsFor(req.backend).filter((m) => !req.models?.length || req.models.includes(m.id));
    for (const m of models) {
      if (req.budgetMs && performance.now() - t0All > req.budgetMs) {
        cells.push({ env: 'chromium', backend: req.backend, model: m.id, label: m.label, skipped: `time budget of ${Math.round(req.budgetMs / 1000)} s for this backend used up` });
        continue;
      }
      const t0 = performance.now();
      try {
        const r = await measureCell(configFor(m.id as ModelId), {
          warmupMs: quick ? 300 : 600,
          // GPU backends on SwiftShader take seconds per step: a few pairs only.
          budgetMs: gpu ? 20_000 : quick ? 5_000 : 12_000,
          minPairs: gpu ? 2 : 5,
          maxPairs: gpu ? 4 : 100_000,
          log: (line) => progress(`${req.backend} ${m.id}: ${line}`),
        });
        const cell = { env: 'chromium', backend: req.backend, model: m.id, label: m.label, ...r, wallMs: Math.round(performance.now() - t0) };
        cells.push(cell);
        progress(`${req.backend} ${m.id}: ratio ${r.ratio.toFixed(2)} (${r.aRate.toFixed(1)} vs ${r.bRate.toFixed(1)} steps/s)`, cell);
      } catch (err) {
        cells.push({ env: 'chromium', backend: req.backend, model: m.id, label: m.label, error: err instanceof Error ? err.message : String(err) });
        progress(`${req.backend} ${m.id}: error ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    scope.postMessage({ type: 'done', result: { backend: req.backend, info: sel.attempts.find((a) => a.ok)?.info, cells } });
  } catch (err) {
    scope.postMessage({ type: 'done', error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
};

async function rankModels(req: Req) {
  const sel = await selectBackend({ force: 'auto', all: true });
  tf.enableProdMode();
  const usable = sel.attempts.filter((a) => a.ok).map((a) => a.backend);
  const out = [];
  for (const m of modelsFor('cpu').filter((x) => !req.models?.length || req.models.includes(x.id))) {
    const cfg = configFor(m.id as ModelId);
    const candidates = MEASURE_ORDER.filter((b) => usable.includes(b) && (m.wasm || b !== 'wasm'));
    const use = async (b: string) => tf.setBackend(b);
    const t0 = performance.now();
    const speeds = await rankBackends(cfg, candidates, use);
    const chooseMs = performance.now() - t0;
    progress(`fastest ${m.id}: ${speeds.map((x) => `${x.backend} ${x.stepsPerSec.toFixed(1)}`).join(', ')} (${Math.round(chooseMs)} ms)`);
    // The reference: every backend measured for longer, after a warm-up of its own.
    const long = [];
    for (const b of candidates) {
      await use(b);
      const gpu = b === 'webgpu' || b === 'webgl';
      await measureStepRate(cfg, { measureMs: gpu ? 500 : 300, warmupLimitMs: 60_000 });
      const r = await measureStepRate(cfg, { measureMs: gpu ? 5000 : 2500, maxSteps: 100_000, warmupLimitMs: 60_000 });
      long.push({ backend: b, stepsPerSec: r.stepsPerSec, steps: r.steps });
      progress(`fastest ${m.id}: reference ${b} ${r.stepsPerSec.toFixed(1)} steps/s`);
    }
    const best = long.reduce((a, x) => (x.stepsPerSec > a.stepsPerSec ? x : a), long[0]);
    const chosen = long.find((x) => x.backend === speeds[0].backend);
    out.push({ model: m.id, label: m.label, speeds, chooseMs, long, best: best.backend, choice: speeds[0].backend, ratio: chosen && best.stepsPerSec > 0 ? chosen.stepsPerSec / best.stepsPerSec : null });
  }
  return { usable, attempts: sel.attempts, models: out };
}

/** The typed engine ÷ the Playground loop, both in this worker, interleaved chunk by chunk. */
async function paceInWorker(req: Req) {
  const cfg = configFor('spiral');
  const a = new TypedLoop(cfg);
  const b = new PlaygroundLoop(cfg);
  try {
    const chunk = await chunkFor([a, b], 30);
    const r = await interleavedAB(a, b, { warmupMs: 400, budgetMs: req.budgetMs || 8000, minPairs: 6, chunk, log: (line) => progress(`pace: ${line}`) });
    return { ...r, pairTimes: undefined };
  } finally {
    a.dispose();
    b.dispose();
  }
}

interface DispatchCount {
  model: string;
  loop: string;
  /** dispatches each further step adds (from chunks of k1 and k2 steps) */
  perStep: number;
  /** what a chunk costs besides its steps (stacking the rows, the readback) */
  perChunk: number;
  k1: number;
  k2: number;
  numTensorsLeft: number;
}

/**
 * Compute dispatches per step on webgpu, counted at GPUComputePassEncoder.dispatchWorkgroups
 * (every tfjs program is one dispatch). A chunk of k steps costs a + b·k dispatches:
 * b from chunks of k1 and k2 steps, a = count(k1) − b·k1.
 */
async function dispatchesPerStep(req: Req) {
  const sel = await selectBackend({ force: 'webgpu' });
  if (sel.backend !== 'webgpu') return { unavailable: sel.attempts.find((a) => a.backend === 'webgpu')?.reason ?? 'not available' };
  tf.enableProdMode();
  const G = (self as unknown as { GPUComputePassEncoder?: { prototype: { dispatchWorkgroups: (...a: unknown[]) => void } } }).GPUComputePassEncoder;
  if (!G) return { unavailable: 'no GPUComputePassEncoder in this worker' };
  let count = 0;
  const orig = G.prototype.dispatchWorkgroups;
  G.prototype.dispatchWorkgroups = function (this: unknown, ...a: unknown[]) {
    count++;
    return orig.apply(this, a);
  };
  const counted = async (loop: Loop, k: number) => {
    count = 0;
    await loop.chunk(k);
    return count;
  };
  const out: DispatchCount[] = [];
  try {
    const models = (req.models?.length ? req.models : ['spiral', 'mlp16x128', 'cnn']) as ModelId[];
    for (const id of models) {
      const cfg = configFor(id);
      const [k1, k2] = id === 'cnn' ? [1, 3] : [2, 6];
      const loops: [string, () => Loop][] = [
        ['gradscope, fused off', () => (setFusedKernels(false), new GradscopeLoop(cfg))],
        ['gradscope, fused on', () => (setFusedKernels(true), new GradscopeLoop(cfg))],
        ['bare tfjs', () => new BareLoop(cfg)],
      ];
      for (const [name, make] of loops) {
        const before = tf.memory().numTensors;
        const loop = make();
        try {
          await loop.chunk(1); // compiles the shaders
          await loop.chunk(1);
          const c1 = await counted(loop, k1);
          const c2 = await counted(loop, k2);
          const perStep = (c2 - c1) / (k2 - k1);
          const row = { model: id, loop: name, perStep, perChunk: c1 - perStep * k1, k1, k2, numTensorsLeft: 0 };
          out.push(row);
          progress(`dispatch ${id} ${name}: ${perStep} per step, ${row.perChunk} per chunk`);
        } finally {
          loop.dispose();
          setFusedKernels(true);
        }
        out[out.length - 1].numTensorsLeft = tf.memory().numTensors - before;
      }
    }
  } finally {
    G.prototype.dispatchWorkgroups = orig;
  }
  return { backend: 'webgpu', info: sel.attempts.find((a) => a.ok)?.info, counts: out };
}
