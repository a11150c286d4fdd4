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
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { selectBackend, loadBackendPackage, MEASURE_ORDER } from '../../src/worker/backend.ts';
import { isBackendName, type BackendName } from '../../src/engine/backends.ts';
import { configFor, modelsFor, type ModelId } from '../lib/cells.ts';
import { measureCell } from '../lib/ab.ts';
import { measureStepRate, rankBackends } from '../../src/engine/backendSpeed.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

interface Req {
  mode: 'ab' | 'init' | 'rank';
  backend: string;
  models?: string[];
  quick?: boolean;
  budgetMs?: number;
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
