// Edits never destroy a run silently, in real Chromium on the wasm backend: a
// live edit of a trained run applies at its next step and is recorded in the
// share link as a mid-run change (the CLI replays it to the same numbers); an
// edit that needs a new model leaves the trained run on screen and offers to
// restart with it or add it as a new run.
//
//   npx vite build && node --test tests/e2e/edits.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const T = 180_000;

let server;
let browser;
before(async () => {
  server = await serveDir(join(ROOT, 'dist'), { isolate: false });
  browser = await launchChromium({ webgpu: false });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const cli = (args) => execFileSync(process.execPath, [join(ROOT, 'bin', 'gradscope.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
const state = (page, fn) => page.evaluate(fn);
const runtime = (page) => state(page, () => window.gradscope.store.getState().runtime.map((r) => ({ status: r.status, step: r.step })));

test('a live edit of a trained run is a recorded mid-run change; an edit needing a new model waits for the user', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  try {
    await page.goto(`${server.url}#backend=wasm`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'wasm', null, { timeout: T });
    // Train a little, then pause.
    await page.click('[data-testid="train-toggle"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 30, null, { timeout: T });
    await page.click('[data-testid="train-toggle"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'paused', null, { timeout: T });
    const trained = (await runtime(page))[0].step;

    // A live edit: switch the optimizer. The run keeps its step; the change is recorded at the step it applies from.
    await page.selectOption('[data-testid="run0-optimizer"]', 'momentum');
    await page.waitForFunction(() => (window.gradscope.store.getState().experiment.runs[0].changes ?? []).length === 1, null, { timeout: T });
    const [change] = await state(page, () => window.gradscope.store.getState().experiment.runs[0].changes);
    assert.deepEqual(change, { step: trained, path: 'optimizer.name', value: 'momentum' });
    assert.equal((await runtime(page))[0].step, trained, 'the run is not reset');
    assert.equal(await page.inputValue('[data-testid="run0-optimizer"]'), 'momentum', 'the panel shows the settings in force');
    // ... the charts mark it ...
    await page.waitForFunction(
      (n) => [...document.querySelectorAll('[data-testid="loss-chart"] [data-testid="chart-marker"]')].some((m) => m.textContent.includes(`step ${n}: Optimizer adam → momentum`)),
      trained,
      { timeout: T },
    );
    // ... and the link holds it.
    await page.waitForFunction(() => /sum=/.test(location.hash), null, { timeout: T });

    // Two more steps on the new optimizer.
    for (let k = 1; k <= 2; k++) {
      await page.click('[data-testid="step-once"]');
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= n, trained + k, { timeout: T });
    }

    // An edit that needs a new model: the trained run stays on screen, the page asks.
    await page.selectOption('[data-testid="run0-activation"]', 'tanh');
    await page.waitForSelector('[data-testid="run0-pending"]', { timeout: T });
    assert.deepEqual((await runtime(page))[0], { status: 'paused', step: trained + 2 });
    const url = await page.evaluate(() => location.href);

    // The CLI replays the link, mid-run change included, to the page's numbers.
    const pageRecords = await page.evaluate(async () => (await window.gradscope.runClient.exportRecords(0)).records);
    assert.equal(pageRecords.length, trained + 2);
    const cliRecords = cli(['run', url, '--steps', String(trained + 2)])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.run === 0);
    assert.equal(cliRecords.length, trained + 2);
    for (let s = 0; s < trained + 2; s++) {
      const a = pageRecords[s].loss;
      const b = cliRecords[s].loss;
      assert.ok(Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b)), `step ${s}: page loss ${a}, CLI loss ${b}`);
    }

    // Add the pending settings as a new run: run 0 trains on as it was.
    await page.click('[data-testid="run0-add-pending"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-status"]').length === 2, null, { timeout: T });
    const runs = await state(page, () => window.gradscope.store.getState().experiment.runs.map((r) => ({ activation: r.model.activation, changes: r.changes?.length ?? 0 })));
    assert.deepEqual(runs, [
      { activation: 'relu', changes: 1 },
      { activation: 'tanh', changes: 0 },
    ]);
    assert.equal((await runtime(page))[0].step, trained + 2, 'run 0 keeps its steps');
    assert.equal(await page.locator('[data-testid="run0-pending"]').count(), 0);
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await context.close();
  }
});

test('with an L2 penalty the loss chart draws the data loss and the penalty on their own, as the records give them', async () => {
  const url = cli(['url', JSON.stringify({ stabilizers: { l2: 0.05 }, train: { steps: 40 } }), '--base', server.url]).trim();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  try {
    await page.goto(`${server.url}${url.slice(url.indexOf('#'))}&backend=wasm`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'wasm', null, { timeout: T });
    await page.click('[data-testid="train-toggle"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'done', null, { timeout: T });
    await page.waitForFunction(
      () => {
        const legend = document.querySelector('[data-testid="loss-chart"]')?.textContent ?? '';
        return legend.includes('data loss') && legend.includes('L1/L2 penalty');
      },
      null,
      { timeout: T },
    );
    const records = await page.evaluate(async () => (await window.gradscope.runClient.exportRecords(0)).records);
    assert.equal(records.length, 40);
    for (const r of records) {
      assert.ok(r.penalty > 0, `step ${r.step}: penalty ${r.penalty}`);
      assert.ok(Math.abs(r.loss - (r.dataLoss + r.penalty)) <= 1e-5 * r.loss, `step ${r.step}: ${r.loss} = ${r.dataLoss} + ${r.penalty}`);
    }
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await context.close();
  }
});
