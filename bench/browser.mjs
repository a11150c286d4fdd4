// Chromium parts of the benchmark (headless system Chromium via tests/e2e/harness.mjs).
//
//   bench page (bench/page, own Vite config):  telemetry overhead A/B per backend,
//                                              tfjs backend initialisation time
//   the real app (dist/, `npx vite build`):    training pace (Playground comparison),
//                                              UI responsiveness, memory, time to first point
//
// Every function takes an open browser and returns plain JSON. Run under tsx
// (`node --import tsx`): it reads the app's own share-URL codec from src/engine/config.ts.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveDir, watchPage } from '../tests/e2e/harness.mjs';
import { experimentOrThrow } from '../src/engine/config.ts';
import { experimentToFragment } from '../src/engine/shareLink.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BENCH_PAGE_CONFIG = join(ROOT, 'bench/page/vite.config.ts');
export const BENCH_PAGE_OUT = join(ROOT, 'bench/.page-dist');
export const APP_DIST = join(ROOT, 'dist');

export async function buildBenchPage() {
  const { build } = await import('vite');
  await build({ configFile: BENCH_PAGE_CONFIG, logLevel: 'warn' });
  if (!existsSync(join(BENCH_PAGE_OUT, 'index.html'))) throw new Error('bench page build produced no index.html');
  return BENCH_PAGE_OUT;
}

export async function openBrowser({ chromeFlags = [] } = {}) {
  return launchChromium({ webgpu: true, extraArgs: chromeFlags });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function newPage(browser, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const log = await watchPage(page);
  return { context, page, log };
}

/** Opens the bench page with a query and waits for window.__bench.done. */
async function benchPage(browser, server, query, timeoutMs) {
  const { context, page, log } = await newPage(browser);
  try {
    await page.goto(`${server.url}index.html?${new URLSearchParams(query)}`, { waitUntil: 'load' });
    try {
      await page.waitForFunction(() => window.__bench?.done, null, { timeout: timeoutMs, polling: 500 });
    } catch {
      const st = await page.evaluate(() => ({ progress: window.__bench?.progress ?? [], cells: window.__bench?.cells ?? [] })).catch(() => ({ progress: [], cells: [] }));
      return { error: `timed out after ${Math.round(timeoutMs / 1000)} s`, ...st, log: log.dump().slice(0, 2000) };
    }
    const st = await page.evaluate(() => ({ result: window.__bench.result, error: window.__bench.error, progress: window.__bench.progress }));
    if (st.error) return { error: st.error, progress: st.progress, log: log.dump().slice(0, 2000) };
    return { ...st.result, progress: st.progress };
  } finally {
    await context.close();
  }
}

/** Telemetry overhead on one backend in the bench page (a fresh page and worker per backend). */
export async function overheadInPage(browser, server, backend, { quick = false, models = [], budgetMs = 120_000 } = {}) {
  // The worker starts no new model after budgetMs; the page is given up 150 s later.
  const r = await benchPage(
    browser,
    server,
    { mode: 'ab', backend, quick: quick ? '1' : '0', models: models.join(','), budgetMs: String(budgetMs) },
    budgetMs + 150_000,
  );
  return { backend, ...r };
}

/** The app's "fastest" backend choice for each model, against longer per-backend measurements. */
export async function fastestInPage(browser, server, { models = [] } = {}) {
  return benchPage(browser, server, { mode: 'rank', models: models.join(',') }, 900_000);
}

/** tfjs initialisation of a backend from a cold worker (median of reps fresh workers). */
export async function tfjsInitInPage(browser, server, backend, { reps = 3 } = {}) {
  const r = await benchPage(browser, server, { mode: 'init', backend, reps: String(reps) }, 120_000);
  if (r.error) return { backend, error: r.error };
  const totals = r.runs.map((x) => x.totalMs).sort((a, b) => a - b);
  return { backend, runs: r.runs, medianMs: totals[totals.length >> 1] };
}

/** The typed engine ÷ the Playground loop, both in one Web Worker of the bench page, interleaved. */
export async function paceInWorker(browser, server, { budgetMs = 8000 } = {}) {
  return benchPage(browser, server, { mode: 'pace', backend: 'cpu', budgetMs: String(budgetMs) }, budgetMs + 60_000);
}

/** The Playground loop alone in a Web Worker of the bench page for `ms`: steps/s (`epochLoss`: with its per-epoch loss over every point). */
export async function playgroundInWorker(browser, server, { ms = 5000, epochLoss = false } = {}) {
  return benchPage(browser, server, { mode: 'playground', backend: 'cpu', budgetMs: String(ms), epochLoss: epochLoss ? '1' : '0' }, ms + 60_000);
}

/** Compute dispatches per training step on webgpu (bench-worker.ts dispatchesPerStep). */
export async function dispatchesInPage(browser, server, { models = [] } = {}) {
  return benchPage(browser, server, { mode: 'dispatch', backend: 'webgpu', models: models.join(',') }, 600_000);
}

// ---------------------------------------------------------------------------
// The real app (dist/).

/** The share-URL fragment of an experiment (validated) with page options such as `backend`. */
export function appFragment(experiment, options = {}) {
  const exp = experimentOrThrow(experiment);
  return `#${experimentToFragment(exp, options)}`;
}

async function openApp(browser, server, experiment, backend, viewport, engine = 'auto') {
  const { context, page, log } = await newPage(browser, viewport);
  const options = {};
  if (backend && backend !== 'auto') options.backend = backend;
  if (engine && engine !== 'auto') options.engine = engine;
  const frag = appFragment(experiment, options);
  await page.goto(`${server.url}index.html${frag}`, { waitUntil: 'load' });
  await page.waitForFunction(() => !!window.gradscope?.store, null, { timeout: 60_000 });
  const n = experiment.runs.length;
  // Every run's worker reports ready (backend chosen, trainer built) or an error.
  try {
    await page.waitForFunction(
      (n) => {
        const rt = window.gradscope.store.getState().runtime;
        return rt.length === n && rt.every((r) => r.backend || r.error);
      },
      n,
      { timeout: 120_000, polling: 100 },
    );
  } catch (e) {
    throw new Error(`app did not get ready: ${e.message}\n${log.dump().slice(0, 2000)}`, { cause: e });
  }
  const rt = await page.evaluate(() =>
    window.gradscope.store.getState().runtime.map((r) => ({ backend: r.backend, engine: r.engine, error: r.error?.message, fallbackReason: r.fallbackReason })),
  );
  return { context, page, log, runtime: rt };
}

/** Clicks start/pause through the DOM (Playwright's actionability checks time out on a starved page). */
async function clickToggle(page) {
  await page.evaluate(() => document.querySelector('[data-testid="train-toggle"]').click());
}

async function runtime(page) {
  return page.evaluate(() =>
    window.gradscope.store.getState().runtime.map((r) => ({ status: r.status, step: r.step, numTensors: r.numTensors, backend: r.backend })),
  );
}

async function gcPage(context, page) {
  // Chromium exposes gc() only with --js-flags=--expose-gc; ask through the DevTools protocol instead.
  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  await cdp.detach();
}

const stepNow = (page) =>
  page.evaluate(() => {
    const r = window.gradscope.store.getState().runtime[0];
    return { t: performance.now(), step: r.step, status: r.status, numTensors: r.numTensors };
  });

/**
 * One training session of run 0 in a freshly opened app whose worker has
 * already picked its backend:
 *   firstPointMs  click on start → first animation frame with a point in the gradient-norm chart
 *   pace          steps/s from the worker's step counter over `measureMs`, after `warmMs`
 *   memory        (when `memorySteps`) trains to that many steps: worker numTensors and
 *                 main-thread JS heap before and after
 */
export async function appSession(browser, server, experiment, backend, { warmMs = 3000, measureMs = 6000, memorySteps = 0, timeoutMs = 240_000 } = {}) {
  const exp = memorySteps ? { ...experiment, runs: experiment.runs.map((r) => ({ ...r, train: { ...r.train, steps: memorySteps } })) } : experiment;
  const { context, page, runtime: rt0 } = await openApp(browser, server, exp, backend);
  const out = { backend: rt0[0].backend, requested: backend };
  try {
    if (rt0[0].error) return { ...out, error: rt0[0].error };
    if (backend !== 'auto' && rt0[0].backend !== backend) return { ...out, error: `got ${rt0[0].backend}: ${rt0[0].fallbackReason}` };
    await sleep(500);
    if (memorySteps) {
      await gcPage(context, page);
      out.memoryStart = await page.evaluate(async () => ({
        heap: performance.memory?.usedJSHeapSize ?? null,
        worker: await window.gradscope.runClient.memory?.(0),
      }));
    }
    const t0 = Date.now();
    out.firstPointMs = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const points = () => {
            const attr = document.querySelector('[data-testid="grad-norm-chart"]')?.getAttribute('data-points');
            if (attr !== null && attr !== undefined) return Number(attr);
            return window.gradscope.metrics.get(0)?.total ?? 0;
          };
          const t = performance.now();
          document.querySelector('[data-testid="train-toggle"]').click();
          const poll = () => {
            if (points() > 0) resolve(performance.now() - t);
            else if (performance.now() - t > 180_000) resolve(null);
            else requestAnimationFrame(poll);
          };
          requestAnimationFrame(poll);
        }),
    );
    await sleep(warmMs);
    const a = await stepNow(page);
    await sleep(measureMs);
    const b = await stepNow(page);
    out.pace = { steps: b.step - a.step, seconds: (b.t - a.t) / 1000, stepsPerSec: ((b.step - a.step) * 1000) / (b.t - a.t) };
    if (memorySteps) {
      const trace = [];
      let r = b;
      while (r.status === 'training' && Date.now() - t0 < timeoutMs) {
        await sleep(1000);
        r = await stepNow(page);
        trace.push({ s: Math.round((Date.now() - t0) / 1000), step: r.step, numTensors: r.numTensors });
      }
      await sleep(500);
      await gcPage(context, page);
      const end = await page.evaluate(async () => ({
        heap: performance.memory?.usedJSHeapSize ?? null,
        worker: await window.gradscope.runClient.memory?.(0),
      }));
      out.memory = {
        steps: r.step,
        target: memorySteps,
        status: r.status,
        seconds: (Date.now() - t0) / 1000,
        workerTensors: { start: out.memoryStart.worker?.numTensors ?? null, end: end.worker?.numTensors ?? r.numTensors },
        workerBytes: { start: out.memoryStart.worker?.numBytes ?? null, end: end.worker?.numBytes ?? null },
        mainHeapBytes: { start: out.memoryStart.heap, end: end.heap },
        trace: trace.filter((_, i) => i % 10 === 0),
      };
      if (r.status === 'training') out.memory.note = `stopped after ${Math.round(timeoutMs / 1000)} s`;
      delete out.memoryStart;
    }
    return out;
  } finally {
    await context.close();
  }
}

/** Installs long-task, frame and record counters in the page. */
async function installCounters(page) {
  await page.evaluate(() => {
    const c = { longTasks: [], frames: 0, running: true };
    window.__counters = c;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) c.longTasks.push({ t: e.startTime, d: e.duration });
    }).observe({ type: 'longtask', buffered: false });
    const tick = () => {
      c.frames++;
      if (c.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function sample(page) {
  return page.evaluate(() => {
    const m = window.gradscope.metrics;
    const st = window.gradscope.store.getState();
    let records = 0;
    for (let i = 0; i < st.runtime.length; i++) records += m.get(i)?.total ?? 0;
    const mem = performance.memory;
    return {
      t: performance.now(),
      frames: window.__counters.frames,
      nLong: window.__counters.longTasks.length,
      records,
      steps: st.runtime.map((r) => r.step),
      heap: mem ? mem.usedJSHeapSize : null,
    };
  });
}

function windowStats(a, b, longTasks) {
  const secs = (b.t - a.t) / 1000;
  const lt = longTasks.filter((x) => x.t >= a.t && x.t < b.t).map((x) => x.d);
  return {
    seconds: secs,
    fps: (b.frames - a.frames) / secs,
    longTasks: lt.length,
    longestTaskMs: lt.length ? Math.max(...lt) : 0,
    longTaskMsPerSec: lt.reduce((s, d) => s + d, 0) / secs,
    recordsPerSec: (b.records - a.records) / secs,
    stepsPerSec: b.steps.map((s, i) => (s - a.steps[i]) / secs),
  };
}

/**
 * UI cost with 2 runs training and every chart on screen (columns layout, tall
 * viewport), then the same time paused: long tasks, frames per second, records
 * per second delivered to the page.
 */
export async function appUi(browser, server, experiment, backend, { seconds = 20 } = {}) {
  const { context, page, runtime: rt0 } = await openApp(browser, server, experiment, backend, { width: 1600, height: 2400 });
  try {
    const err = rt0.find((r) => r.error);
    if (err) return { backend, error: err.error };
    await page.evaluate(() => window.gradscope.store.getState().setView?.({ layout: 'columns' }));
    await installCounters(page);
    // Idle before training: the baseline of an open page.
    const i0 = await sample(page);
    await sleep(Math.min(5, seconds / 2) * 1000);
    const i1 = await sample(page);
    await clickToggle(page);
    await page.waitForFunction(() => window.gradscope.store.getState().runtime.every((r) => r.step > 0), null, { timeout: 120_000 });
    await sleep(1500); // past shader compilation and the first chunk-size adaptation
    const a = await sample(page);
    await sleep(seconds * 1000);
    const b = await sample(page);
    await clickToggle(page);
    await page.waitForFunction(() => window.gradscope.store.getState().runtime.every((r) => r.status !== 'training'), null, { timeout: 30_000 });
    await sleep(1000);
    const c = await sample(page);
    await sleep(seconds * 1000);
    const d = await sample(page);
    const longTasks = await page.evaluate(() => window.__counters.longTasks);
    const rt = await runtime(page);
    const charts = await page.evaluate(() =>
      ['grad-norm-chart', 'act-grad-chart', 'layer-heatmap', 'loss-chart', 'decision-boundary'].map((id) => {
        const els = document.querySelectorAll(`[data-testid^="${id}"]`);
        return { id, count: els.length, visible: [...els].filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.bottom <= innerHeight; }).length };
      }),
    );
    return {
      backend: rt[0].backend,
      runs: rt.length,
      charts,
      idle: windowStats(i0, i1, longTasks),
      training: windowStats(a, b, longTasks),
      paused: windowStats(c, d, longTasks),
    };
  } finally {
    await context.close();
  }
}

/**
 * Training pace of run 0 in the real app with every chart on screen (columns
 * layout, 1600×2400 viewport, as `appUi`), on the given engine (link option
 * `engine=`) and backend: steps/s from the worker's step counter over `seconds`,
 * after `warmMs`. The page is opened fresh and closed after.
 */
export async function appPace(browser, server, experiment, { engine = 'auto', backend = 'auto', warmMs = 2000, seconds = 6, allCharts = true } = {}) {
  // allCharts: false opens a small window in the default layout, where most charts are
  // off screen and not redrawn (useMetrics.ts), to see what drawing costs the pace.
  const viewport = allCharts ? { width: 1600, height: 2400 } : { width: 800, height: 500 };
  const { context, page, runtime: rt0 } = await openApp(browser, server, experiment, backend, viewport, engine);
  try {
    if (rt0[0].error) return { engine, backend, error: rt0[0].error };
    if (allCharts) await page.evaluate(() => window.gradscope.store.getState().setView?.({ layout: 'columns' }));
    await installCounters(page);
    await clickToggle(page);
    await page.waitForFunction(() => window.gradscope.store.getState().runtime.every((r) => r.step > 0), null, { timeout: 120_000 });
    await sleep(warmMs);
    const a = await sample(page);
    await sleep(seconds * 1000);
    const b = await sample(page);
    const rt = await page.evaluate(() => window.gradscope.store.getState().runtime.map((r) => ({ engine: r.engine, backend: r.backend, status: r.status })));
    const charts = await page.evaluate(() =>
      ['grad-norm-chart', 'act-grad-chart', 'layer-heatmap', 'loss-chart', 'decision-boundary'].map((id) => {
        const els = document.querySelectorAll(`[data-testid^="${id}"]`);
        return { id, count: els.length, visible: [...els].filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.bottom <= innerHeight; }).length };
      }),
    );
    const w = windowStats(a, b, []);
    return { engine: rt[0].engine, requestedEngine: engine, backend: rt[0].backend, status: rt[0].status, viewport, stepsPerSec: w.stepsPerSec[0], fps: w.fps, recordsPerSec: w.recordsPerSec, seconds: w.seconds, charts };
  } finally {
    await context.close();
  }
}

/**
 * Training speed with the network view open ÷ folded, in the real app: run 0
 * trains to a step count it will not reach while the view is opened and folded
 * in alternating windows of `windowMs` (after `warmMs`), `rounds` of each; the
 * worker takes per-unit snapshots only while the view is open, and the page
 * draws them (the view is scrolled into sight). Ratio: median steps/s open ÷
 * median steps/s folded.
 */
export async function netviewSession(browser, server, experiment, backend, { warmMs = 2000, windowMs = 4000, rounds = 3 } = {}) {
  const { context, page, runtime: rt0 } = await openApp(browser, server, experiment, backend);
  const out = { backend: rt0[0].backend, requested: backend, model: experiment.runs[0].model };
  try {
    if (rt0[0].error) return { ...out, error: rt0[0].error };
    const toggle = page.locator('[data-testid="network-view-toggle"]');
    await toggle.scrollIntoViewIfNeeded();
    const setOpen = async (open) => {
      if ((await toggle.getAttribute('aria-expanded')) !== String(open)) await toggle.click();
      await page.locator('[data-testid="network-view"]').scrollIntoViewIfNeeded();
    };
    await setOpen(true);
    await page.click('[data-testid="train-toggle"]');
    await sleep(warmMs);
    const rates = { open: [], folded: [] };
    let snapshots = 0;
    for (let i = 0; i < rounds; i++) {
      for (const open of i % 2 ? [false, true] : [true, false]) {
        await setOpen(open);
        await sleep(300);
        const before = open ? await page.evaluate(() => window.gradscope.metrics.get(0)?.units?.length ?? 0) : 0;
        const a = await stepNow(page);
        await sleep(windowMs);
        const b = await stepNow(page);
        if (b.status !== 'training') return { ...out, error: `run stopped (${b.status}) at step ${b.step}` };
        rates[open ? 'open' : 'folded'].push(((b.step - a.step) * 1000) / (b.t - a.t));
        if (open) snapshots = Math.max(snapshots, (await page.evaluate(() => window.gradscope.metrics.get(0)?.units?.length ?? 0)) - before);
      }
    }
    const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    out.engine = await page.evaluate(() => window.gradscope.store.getState().runtime[0].engine);
    out.stepsPerSec = { open: rates.open, folded: rates.folded };
    out.ratio = median(rates.open) / median(rates.folded);
    out.snapshotsPerWindow = snapshots;
    out.windowMs = windowMs;
    return out;
  } finally {
    await context.close();
  }
}

export async function withServer(dir, fn) {
  const server = await serveDir(dir);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
