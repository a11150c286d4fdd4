// The app in real Chromium: the worker trains on WebGPU (SwiftShader), falls
// back without it, restores shared URLs and matches the CLI's numbers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launchChromium, mainThreadBudget, serveDir, traceMainThread, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = join(ROOT, 'dist');

let server;
before(async () => {
  server = await serveDir(DIST, { isolate: false });
});
after(async () => {
  await server?.close();
});

function cli(args) {
  return execFileSync(process.execPath, [join(ROOT, 'bin', 'gradscope.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

/** Opens the app at `hash`; returns { page, log, context }. */
async function open(browser, hash = '') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${hash}`, { waitUntil: 'load' });
  return { page, log, context };
}

async function waitBackend(page, log) {
  try {
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid="backend"]')?.textContent;
      return t && t !== '…';
    }, null, { timeout: 120_000 });
  } catch (e) {
    throw new Error(`backend never reported\n${log.dump()}`, { cause: e });
  }
  return page.textContent('[data-testid="backend"]');
}

const steps = async (page) => (await page.locator('[data-testid="step-count"]').allTextContents()).map(Number);
const statuses = (page) => page.locator('[data-testid="run-status"]').allTextContents();

async function waitFor(page, fn, arg, timeout = 120_000, what = 'condition') {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 250 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: steps ${await steps(page)} status ${await statuses(page)}`, { cause: e });
  }
}

/** A small conv net on the shapes images: "auto" tries the GPU first for conv nets. */
const CNN = { v: 1, runs: [{ model: { arch: 'cnn', hidden: [8, 8] }, data: { name: 'shapes', samples: 256 }, train: { batchSize: 16 } }] };
const CNN_HASH = `#${encodeURIComponent(JSON.stringify(CNN))}`;

const stepAtLeast = (n, run = 0) => [
  ([n, run]) => Number(document.querySelectorAll('[data-testid="step-count"]')[run]?.textContent) >= n,
  [n, run],
];

/** The conv net's link with a backend chosen. */
const cnnLink = (backend) => {
  const url = cli(['url', JSON.stringify(CNN), '--base', 'http://x/']).trim();
  return `${url.slice(url.indexOf('#'))}&backend=${backend}`;
};

test('a conv net on WebGPU (SwiftShader): it trains, pauses, steps, resets; the first step says it compiles shaders; tensors flat; no long tasks', async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const { page, log } = await open(browser, cnnLink('webgpu'));
    await page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
    });
    assert.equal(await waitBackend(page, log), 'webgpu', log.dump());
    assert.deepEqual(await statuses(page), ['idle']);

    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, () => document.querySelector('[data-testid="run-status"]')?.textContent === 'training', null, 30_000, 'training');
    // Before the first numbers the page says what the worker is doing, with the time so far.
    await waitFor(page, () => /^first step on webgpu: compiling shaders… \d+(\.\d)? s$/.test(document.querySelector('[data-testid="run-progress"]')?.textContent ?? ''), null, 30_000, 'progress shown');
    await waitFor(page, ...stepAtLeast(3), 180_000, 'first steps on webgpu');
    assert.equal(await page.locator('[data-testid="run-progress"]').count(), 0, 'the progress line goes once numbers arrive');
    await waitFor(page, () => Number(document.querySelector('[data-testid="grad-norm-chart"]')?.getAttribute('data-points')) > 0, null, 30_000, 'chart points');
    const longTaskStart = await page.evaluate(() => window.__longTasks.length);
    const t0 = Date.now();
    const s0 = (await steps(page))[0];
    const tensors0 = await page.evaluate(() => window.gradscope.store.getState().runtime[0].numTensors);
    const tasks = await traceMainThread(browser, page, 10_000);
    const s1 = (await steps(page))[0];
    assert.ok(s1 > s0, `step count must rise while training (${s0} → ${s1} in ${Date.now() - t0} ms)`);
    const tensors1 = await page.evaluate(() => window.gradscope.store.getState().runtime[0].numTensors);
    assert.equal(tensors1, tensors0, 'worker numTensors stays flat while training');
    const longTasks = await page.evaluate((k) => window.__longTasks.slice(k), longTaskStart);
    const longest = Math.max(0, ...longTasks);
    const budget = mainThreadBudget(tasks);
    process.stdout.write(`# webgpu (conv net): ${s0} → ${s1} steps in 10 s; main thread: ${budget.text}; longest wall-clock task ${longest.toFixed(0)} ms (${longTasks.length} long tasks)\n`);
    // The page's own work per task stays within a frame's budget. Wall-clock long
    // tasks are enforced with E2E_STRICT_LONGTASKS=1 only: on 2 cores where
    // SwiftShader's threads take every core, the OS leaves the renderer's main
    // thread waiting for hundreds of ms whatever it runs (its wall time far
    // exceeds its CPU time), which says nothing about the page's code.
    assert.ok(budget.ok, `main-thread work while training: ${budget.text}`);
    if (process.env.E2E_STRICT_LONGTASKS) {
      assert.ok(longTasks.every((d) => d <= 50), `no main-thread long task over 50 ms while training, got ${longTasks.map(Math.round)}`);
    }

    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, () => document.querySelector('[data-testid="run-status"]')?.textContent === 'paused', null, 60_000, 'paused');
    const paused = (await steps(page))[0];
    await page.waitForTimeout(1500);
    assert.equal((await steps(page))[0], paused, 'no steps while paused');

    await page.click('[data-testid="step-once"]');
    await waitFor(page, ...stepAtLeast(paused + 1), 60_000, 'step once');
    assert.equal((await steps(page))[0], paused + 1);

    await page.click('[data-testid="reset"]');
    await waitFor(page, () => document.querySelector('[data-testid="step-count"]')?.textContent === '0', null, 60_000, 'reset');
    assert.deepEqual(await statuses(page), ['idle']);
    assert.deepEqual(log.errors, [], log.dump());
    assert.deepEqual(log.external, [], 'no third-party requests');
  } finally {
    await browser.close();
  }
});

test('a diverging run reaches diverged while its clipped twin keeps training (WebGPU)', async () => {
  const explode = { label: 'explode', seed: 3, model: { hidden: [32, 32, 32, 32, 32, 32], initGain: 3, init: 'normal' }, optimizer: { lr: 2 }, train: { batchSize: 32, steps: 100000 } };
  const clipped = { ...explode, label: 'clipped', stabilizers: { clip: { mode: 'global_norm', threshold: 1 } } };
  const url = cli(['url', JSON.stringify({ v: 1, runs: [explode, clipped] }), '--base', server.url]).trim();
  const browser = await launchChromium({ webgpu: true });
  try {
    const { page, log } = await open(browser, `${url.slice(url.indexOf('#'))}&backend=webgpu`);
    assert.equal(await waitBackend(page, log), 'webgpu');
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, () => document.querySelectorAll('[data-testid="run-status"]')[0]?.textContent === 'diverged', null, 240_000, 'run A diverged');
    await page.waitForSelector('[data-testid="diverged-banner"]');
    const banner = await page.textContent('[data-testid="diverged-banner"]');
    assert.match(banner, /Diverged at step \d+/);
    const before = (await steps(page))[1];
    await waitFor(page, ...stepAtLeast(before + 2, 1), 120_000, 'clipped run keeps stepping');
    assert.equal((await statuses(page))[1], 'training', 'the clipped run is still training');
    const last = await page.evaluate(async () => (await window.gradscope.runClient.exportRecords(1)).records);
    assert.ok(last.length > 0 && last.every((r) => Number.isFinite(r.loss) && r.status !== 'diverged'), 'the clipped run stays finite');
    assert.ok(last.some((r) => r.status === 'clipped'), 'clipping is active');
  } finally {
    await browser.close();
  }
});

test("two runs training on wasm with every chart live: the page's work stays within a frame's budget", async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const runs = [{ label: 'A', train: { steps: 100000 } }, { label: 'B', optimizer: { name: 'adam', lr: 0.01 }, train: { steps: 100000 } }];
    const url = cli(['url', JSON.stringify({ v: 1, runs }), '--base', server.url]).trim();
    const { page, log } = await open(browser, `${url.slice(url.indexOf('#'))}&backend=wasm`);
    assert.equal(await waitBackend(page, log), 'wasm');
    assert.equal((await statuses(page)).length, 2);
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, ...stepAtLeast(20, 1), 60_000, 'run B trains');
    await page.evaluate(() => {
      window.__lt = [];
      new PerformanceObserver((l) => window.__lt.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
    });
    const s0 = await steps(page);
    const tasks = await traceMainThread(browser, page, 8_000);
    const s1 = await steps(page);
    const wall = await page.evaluate(() => window.__lt);
    const budget = mainThreadBudget(tasks);
    process.stdout.write(`# wasm, 2 runs: steps ${s0} → ${s1} in 8 s; main thread: ${budget.text}; wall-clock long tasks ${wall.length} (longest ${Math.max(0, ...wall).toFixed(0)} ms)\n`);
    assert.ok(s1[0] > s0[0] && s1[1] > s0[1], 'both runs train');
    assert.ok(budget.ok, `main-thread work with two runs training: ${budget.text}`);
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await browser.close();
  }
});

test('auto on a conv net: it trains on cpu at once while WebGPU (SwiftShader) warms up and is timed, says what it measured, and hands over at a step boundary when the GPU is faster', async () => {
  const browser = await launchChromium({ webgpu: true });
  const plan = (page) => page.evaluate(() => document.querySelector('[data-testid="backend-plan"]')?.textContent ?? '');
  try {
    // 1. As it is: on this machine the software GPU is slower than the cpu backend for this net, so the run stays on cpu.
    {
      const { page, log, context } = await open(browser, CNN_HASH);
      assert.equal(await waitBackend(page, log), 'cpu', log.dump());
      assert.match(await plan(page), /conv net: cpu (at once while the GPU warms up|now; webgpu)/);
      const t0 = Date.now();
      await page.click('[data-testid="train-toggle"]');
      await waitFor(page, ...stepAtLeast(1), 60_000, 'first step on cpu');
      const first = Date.now() - t0;
      await waitFor(page, () => /measured/.test(document.querySelector('[data-testid="backend-plan"]')?.textContent ?? ''), null, 240_000, 'the warm-up measured');
      const p = await plan(page);
      const m = p.match(/webgpu measured ([\d.]+) steps\/s, cpu ([\d.]+)/);
      assert.ok(m && Number(m[1]) > 0 && Number(m[2]) > 0, `the GPU really ran this model: ${p}`);
      const onGpu = Number(m[1]) >= Number(m[2]);
      assert.equal(await page.textContent('[data-testid="backend"]'), onGpu ? 'webgpu' : 'cpu', p);
      assert.match(p, onGpu ? /conv net: webgpu from step \d+/ : /conv net: cpu: faster for this model/);
      process.stdout.write(`# auto, conv net: first step ${first} ms after Train on cpu; ${p.trim()}\n`);
      assert.deepEqual(log.errors, [], log.dump());
      await context.close();
    }
    // 2. The handover itself (told to hand over whatever the GPU measures): the same run continues on webgpu, step after step.
    {
      const { page, log } = await open(browser, CNN_HASH);
      assert.equal(await waitBackend(page, log), 'cpu', log.dump());
      await page.evaluate(() => window.gradscope.runClient.debug(0, 'handover-always'));
      const tensors0 = await page.evaluate(() => window.gradscope.store.getState().runtime[0].numTensors);
      await page.click('[data-testid="train-toggle"]');
      await waitFor(page, () => document.querySelector('[data-testid="backend"]')?.textContent === 'webgpu', null, 240_000, 'the handover to webgpu');
      const p = await plan(page);
      const from = Number(p.match(/conv net: webgpu from step (\d+) \(webgpu measured [\d.]+ steps\/s, cpu [\d.]+\)/)?.[1]);
      assert.ok(from > 0, `handover step in the plan: ${p}`);
      await waitFor(page, ...stepAtLeast(from + 3), 240_000, 'steps on webgpu');
      await page.click('[data-testid="train-toggle"]');
      await waitFor(page, () => document.querySelector('[data-testid="run-status"]')?.textContent === 'paused', null, 60_000, 'paused');
      const { records } = await page.evaluate(() => window.gradscope.runClient.exportRecords(0));
      assert.deepEqual(records.map((r) => r.step), records.map((_, i) => i), 'every step once, across the handover');
      assert.ok(records.length >= from + 3);
      assert.ok(records.every((r) => Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)), 'finite numbers on both backends');
      // The probe is gone: the worker holds the run's tensors only, as before the warm-up.
      const tensors1 = await page.evaluate(() => window.gradscope.store.getState().runtime[0].numTensors);
      assert.equal(tensors1, tensors0, 'numTensors back to the run alone after the handover');
      assert.deepEqual(log.errors, [], log.dump());
    }
  } finally {
    await browser.close();
  }
});

test('auto on the default experiment: a small MLP starts on a CPU backend at once and says why', async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const { page, log } = await open(browser);
    const backend = await waitBackend(page, log);
    assert.ok(['wasm', 'cpu'].includes(backend), `small model on a CPU backend, got ${backend}`);
    assert.match(await page.textContent('[data-testid="backend-plan"]'), /^ ?\(small model: CPU first \(.+ a step; a GPU backend from 1 GFLOP\)\)$/);
    const t0 = Date.now();
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, () => Number(document.querySelector('[data-testid="grad-norm-chart"]')?.getAttribute('data-points')) > 0, null, 60_000, 'first chart point');
    process.stdout.write(`# auto, default experiment on ${backend}: first chart point ${Date.now() - t0} ms after Train\n`);
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await browser.close();
  }
});

test('without WebGPU the app falls back, says why, and trains', async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    // A conv net: "auto" tries the GPU first, so the fallback shows.
    const { page, log } = await open(browser, CNN_HASH);
    const backend = await waitBackend(page, log);
    assert.ok(['webgl', 'wasm', 'cpu'].includes(backend), `fell back to ${backend}`);
    const reason = await page.textContent('[data-testid="backend-reason"]');
    assert.match(reason, /WebGPU/, 'the reason for not using WebGPU is shown');
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, ...stepAtLeast(5), 120_000, 'training on the fallback');
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await browser.close();
  }
});

test('"fastest" times this model on every backend that starts (webgpu included) and trains on the fastest', async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const { page, log } = await open(browser, '#backend=fastest');
    // While it measures, the page says so and claims no backend.
    await waitFor(page, () => /^timing this model on every backend… /.test(document.querySelector('[data-testid="run-progress"]')?.textContent ?? ''), null, 30_000, 'measuring shown');
    assert.equal(await page.textContent('[data-testid="backend"]'), '…');
    const backend = await waitBackend(page, log);
    const { speeds, attempts } = await page.evaluate(() => window.gradscope.store.getState().runtime[0]);
    process.stdout.write(`# fastest: ${await page.textContent('[data-testid="backend-speeds"]')}\n`);
    const started = attempts.filter((a) => a.ok).map((a) => a.backend);
    assert.ok(started.includes('webgpu') && started.includes('wasm'), `webgpu and wasm start: ${JSON.stringify(attempts)}`);
    assert.deepEqual(speeds.map((s) => s.backend).sort(), [...started].sort(), 'every backend that started was measured');
    assert.equal(backend, speeds[0].backend, 'the run trains on the fastest measured backend');
    assert.ok(speeds.every((s, i) => i === 0 || s.stepsPerSec <= speeds[i - 1].stepsPerSec), 'fastest first');
    assert.ok(speeds[0].stepsPerSec > 0 && speeds[0].steps > 0);
    assert.match(await page.textContent('[data-testid="backend-speeds"]'), new RegExp(`measured: ${backend} [0-9.]+ steps/s`));
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, ...stepAtLeast(5), 60_000, 'training on the fastest backend');
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await browser.close();
  }
});

test('a URL from `gradscope url` restores the experiment and reproduces the CLI loss after 20 steps', async () => {
  const cfg = { label: 'repro', seed: 7, data: { name: 'moons', samples: 300 }, model: { hidden: [24, 24, 24], activation: 'tanh', init: 'glorot_normal' }, optimizer: { name: 'adam', lr: 0.01 }, train: { batchSize: 16, steps: 20 } };
  const url = cli(['url', JSON.stringify(cfg), '--base', server.url]).trim();
  const cliRecords = cli(['run', url, '--backend', 'wasm']).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(cliRecords.length, 20);
  const browser = await launchChromium({ webgpu: true });
  try {
    const { page, log } = await open(browser, `${url.slice(url.indexOf('#'))}&backend=wasm`);
    assert.equal(await waitBackend(page, log), 'wasm');
    const restored = await page.evaluate(() => window.gradscope.store.getState().experiment);
    assert.equal(restored.runs[0].label, 'repro');
    assert.equal(restored.runs[0].data.name, 'moons');
    assert.deepEqual(restored.runs[0].model.hidden, [24, 24, 24]);
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, () => document.querySelector('[data-testid="run-status"]')?.textContent === 'done', null, 120_000, 'done after 20 steps');
    const records = await page.evaluate(async () => (await window.gradscope.runClient.exportRecords(0)).records);
    assert.equal(records.length, 20);
    for (const k of [0, 9, 19]) {
      const a = records[k].loss;
      const b = cliRecords[k].loss;
      assert.ok(Math.abs(a - b) <= 1e-3 * Math.abs(b), `step ${k}: browser loss ${a} vs CLI ${b}`);
    }
    assert.equal((await page.textContent('[data-testid="step-count"]')).trim(), '20');
  } finally {
    await browser.close();
  }
});

test('a malformed fragment shows error-banner with the validation message and runs nothing', async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const bad = encodeURIComponent(JSON.stringify({ v: 1, runs: [{ model: { hidden: [16, 5000] } }] }));
    const { page } = await open(browser, `#${bad}`);
    await page.waitForSelector('[data-testid="error-banner"]');
    const text = await page.textContent('[data-testid="error-banner"]');
    assert.match(text, /runs\[0\]\.model\.hidden\[1\]: must be an integer 1\.\.1024, got 5000/);
    await page.waitForTimeout(1000);
    assert.deepEqual(await statuses(page), ['idle']);
    assert.deepEqual(await steps(page), [0]);

    const { page: page2 } = await open(browser, '#e=N4IgbiBcCMA0ICcCuA7AzlA2qANgQwCM');
    await page2.waitForSelector('[data-testid="error-banner"]');
    assert.match(await page2.textContent('[data-testid="error-banner"]'), /share URL/);
  } finally {
    await browser.close();
  }
});

test('a lost GPU device and a crashing step reach the page; restart resumes (on a fallback backend after device loss)', async () => {
  const browser = await launchChromium({ webgpu: true });
  try {
    const { page, log } = await open(browser, '#backend=webgpu');
    assert.equal(await waitBackend(page, log), 'webgpu');
    await page.evaluate(() => window.gradscope.runClient.debug(0, 'lose-device'));
    await page.waitForSelector('[data-testid="run-error"]', { timeout: 60_000 });
    assert.match(await page.textContent('[data-testid="run-error"]'), /GPU device was lost/);
    assert.deepEqual(await statuses(page), ['error']);
    await page.click('[data-testid="restart-run"]');
    await waitFor(page, () => {
      const b = document.querySelector('[data-testid="backend"]')?.textContent;
      return b && b !== 'webgpu' && b !== '…' && !document.querySelector('[data-testid="run-error"]');
    }, null, 120_000, 'restart on a fallback backend');
    const fallback = await page.textContent('[data-testid="backend"]');
    assert.ok(['webgl', 'wasm', 'cpu'].includes(fallback), `restarted on ${fallback}`);

    // An exception inside a step: reported, the run can be restarted from step 0.
    await page.evaluate(() => window.gradscope.runClient.debug(0, 'throw-in-step'));
    await page.click('[data-testid="train-toggle"]');
    await page.waitForSelector('[data-testid="run-error"]', { timeout: 60_000 });
    assert.match(await page.textContent('[data-testid="run-error"]'), /training step failed: injected fault/);
    await page.click('[data-testid="restart-run"]');
    await waitFor(page, () => document.querySelector('[data-testid="run-status"]')?.textContent === 'idle' && !document.querySelector('[data-testid="run-error"]'), null, 120_000, 'restarted');
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, ...stepAtLeast(3), 120_000, `training after restart (${await page.locator('[data-testid="run-error"]').textContent().catch(() => 'no error shown')})`);
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await browser.close();
  }
});
