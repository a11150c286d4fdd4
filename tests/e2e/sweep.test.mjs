// The sweep panel in real Chromium: a 4×4 grid from a link runs in the page's
// worker pool, the stability map fills in with 16 cells, and clicking a cell
// adds that trial to the page as a run.
//
//   E2E_SWEEP_TIMING=1 also times the "Where does SGD explode?" preset
//   (an 8×8 grid of 200-step trials) in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.E2E_DIST || join(ROOT, 'dist');

let server;
before(async () => {
  server = await serveDir(DIST, { isolate: false });
});
after(async () => {
  await server?.close();
});

const SWEEP = {
  v: 1,
  base: {
    seed: 1,
    data: { name: 'moons', samples: 128 },
    model: { hidden: [16, 16, 16, 16, 16, 16], activation: 'relu', init: 'he_normal' },
    optimizer: { name: 'sgd' },
    train: { batchSize: 16, evalEvery: 0 },
  },
  params: [
    { path: 'optimizer.lr', scale: 'log', min: 0.001, max: 10, steps: 4 },
    { path: 'model.initGain', scale: 'log', min: 0.5, max: 4, steps: 4 },
  ],
  method: 'grid',
  stepsPerTrial: 20,
  objective: 'final_loss',
};

async function open(browser, hash) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${hash}`, { waitUntil: 'load' });
  return { page, log, context };
}

async function waitFor(page, fn, arg, timeout, what, log) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 250 });
  } catch (e) {
    const status = await page.textContent('[data-testid="sweep-status"]').catch(() => '?');
    throw new Error(`timed out waiting for ${what} (sweep: ${status})\n${log.dump()}`, { cause: e });
  }
}

test('a 4×4 grid from a link: 16 cells fill in, divergence marked; a click adds the trial as a run', async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const { page, log } = await open(browser, `#sweep=${encodeURIComponent(JSON.stringify(SWEEP))}`);
    // The link opened the panel with its sweep, and the URL still carries it after the page rewrote the fragment.
    await page.waitForSelector('[data-testid="sweep-start"]', { timeout: 60_000 });
    assert.equal(await page.inputValue('[data-testid="sweep-steps-per-trial"]'), '20');
    assert.equal(await page.inputValue('[data-testid="sweep-path-1"]'), 'model.initGain');
    await page.waitForTimeout(500);
    assert.match(await page.evaluate(() => location.hash), /[#&]e=.*&sweep=/, 'experiment and sweep both in the fragment');

    const t0 = Date.now();
    await page.click('[data-testid="sweep-start"]');
    await waitFor(page, () => document.querySelector('[data-testid="sweep-status"]')?.getAttribute('data-status') === 'done', null, 300_000, 'the sweep to finish', log);
    const seconds = (Date.now() - t0) / 1000;
    const cells = page.locator('[data-testid="sweep-cell"]');
    assert.equal(await cells.count(), 16, 'one cell per grid point');
    assert.equal(await page.getAttribute('[data-testid="sweep-progress"]', 'value'), '16');
    const statuses = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    assert.ok(statuses.includes('ok'), `some trials train: ${statuses}`);
    assert.ok(statuses.includes('diverged'), `some trials diverge: ${statuses}`);
    assert.ok(statuses.every((s) => s === 'ok' || s === 'diverged'), `${statuses}`);
    const diverged = statuses.filter((s) => s === 'diverged').length;
    assert.equal(await page.textContent('[data-testid="sweep-diverged-count"]'), String(diverged));
    process.stdout.write(`# sweep in the page: 4×4 grid of 20-step trials in ${seconds.toFixed(1)} s (${diverged} diverged)\n`);

    // The highest lr and gain is the last grid point (first parameter fastest): it diverged.
    const last = page.locator('[data-testid="sweep-cell"][data-index="15"]');
    assert.equal(await last.getAttribute('data-status'), 'diverged');
    await last.click();
    await waitFor(
      page,
      () => {
        const run = window.gradscope.store.getState().experiment.runs.at(-1);
        return run.label.startsWith('#16 ') && run.optimizer.lr === 10 && run.model.initGain === 4;
      },
      null,
      30_000,
      'the trial to be added as a run',
      log,
    );
    const run = await page.evaluate(() => window.gradscope.store.getState().experiment.runs.at(-1));
    assert.deepEqual(run.model.hidden, [16, 16, 16, 16, 16, 16]);
    assert.equal(run.train.steps, 20);
    // It trains in the page (once started) and explodes there too.
    await page.click('[data-testid="train-toggle"]');
    await waitFor(page, () => [...document.querySelectorAll('[data-testid="run-status"]')].at(-1)?.textContent === 'diverged', null, 120_000, 'the opened run to diverge', log);
    assert.match(await page.evaluate(() => location.hash), /[#&]e=.*&sweep=/, 'the sweep stays in the link');

    // Clicking a stable cell opens that one.
    const firstOk = page.locator('[data-testid="sweep-cell"][data-status="ok"]').first();
    const idx = Number(await firstOk.getAttribute('data-index'));
    await firstOk.click();
    await waitFor(page, (i) => window.gradscope.store.getState().experiment.runs.at(-1).label.startsWith(`#${i + 1} `), idx, 30_000, 'a stable trial to be added', log);

    assert.deepEqual(log.errors, [], log.dump());
    assert.deepEqual(log.external, [], 'no third-party requests');
  } finally {
    await browser.close();
  }
});

test('a link whose sweep does not validate shows the message and runs nothing', async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const bad = { ...SWEEP, params: [{ path: 'optimizer.lr', scale: 'log', min: 0, max: 1 }] };
    const { page, log } = await open(browser, `#sweep=${encodeURIComponent(JSON.stringify(bad))}`);
    await page.waitForSelector('[data-testid="error-banner"]', { timeout: 60_000 });
    const text = await page.textContent('[data-testid="error-banner"]');
    assert.match(text, /sweep was not loaded: share URL: sweep params\[0\]\.min: must be > 0 for a log scale, got 0/);
    assert.equal(await page.locator('[data-testid="sweep-cell"]').count(), 0);
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await browser.close();
  }
});

test('timing: the 8×8 "Where does SGD explode?" preset in the page', { skip: !process.env.E2E_SWEEP_TIMING }, async () => {
  const browser = await launchChromium({ webgpu: false });
  try {
    const { page, log } = await open(browser, '');
    await page.click('[data-testid="sweep-toggle"]');
    await page.click('[data-testid="sweep-preset-sgd-explode"]');
    const workers = await page.inputValue('[data-testid="sweep-workers"]');
    await page.click('[data-testid="sweep-start"]');
    await waitFor(page, () => document.querySelector('[data-testid="sweep-status"]')?.getAttribute('data-status') === 'done', null, 1_800_000, 'the preset sweep', log);
    const ms = Number(await page.getAttribute('[data-testid="sweep-elapsed"]', 'data-ms'));
    const cells = await page.locator('[data-testid="sweep-cell"]').count();
    process.stdout.write(`# sweep timing (page): ${cells} trials of 200 steps with ${workers} workers in ${(ms / 1000).toFixed(1)} s\n`);
    assert.equal(cells, 64);
  } finally {
    await browser.close();
  }
});
