// The charts in real Chromium: runs side by side on one scale, the view in the
// share link, a diverged run's spike clamped on the loss axis and labelled as
// the banner says, and the gradient-flow panels (step 0 vs theory, latest).
// Trains small MLPs on the wasm backend (fast, deterministic).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import LZString from 'lz-string';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.GRADSCOPE_DIST || join(ROOT, 'dist');
const T = 120_000;

let server;
let browser;
before(async () => {
  server = await serveDir(DIST, { isolate: false });
  browser = await launchChromium({ webgpu: false });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Two small runs whose gradients differ by orders of magnitude (init gain 0.5 vs 2). */
const TWO_RUNS = {
  v: 1,
  runs: [
    { label: 'small gain', data: { name: 'circle', samples: 128 }, model: { hidden: [8, 8, 8, 8], init: 'normal', initGain: 0.5 }, train: { steps: 20, batchSize: 16 } },
    { label: 'large gain', data: { name: 'circle', samples: 128 }, model: { hidden: [8, 8, 8, 8], init: 'normal', initGain: 2 }, train: { steps: 20, batchSize: 16 } },
  ],
};
const linkOf = (exp, extra = '') => `#e=${LZString.compressToEncodedURIComponent(JSON.stringify(exp))}&backend=wasm${extra}`;

async function open(hash) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${hash}`, { waitUntil: 'load' });
  await page.waitForFunction(() => (document.querySelector('[data-testid="backend"]')?.textContent ?? '…') !== '…', null, { timeout: T });
  return { page, log, context };
}

const texts = (page, id) => page.locator(`[data-testid="${id}"]`).allTextContents();
async function waitFor(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: T, polling: 200 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: steps ${await texts(page, 'step-count')}, status ${await texts(page, 'run-status')}`, { cause: e });
  }
}
const statusIs = (page, run, status) =>
  waitFor(page, `run ${run} ${status}`, ([r, st]) => document.querySelectorAll('[data-testid="run-status"]')[r]?.textContent === st, [run, status]);

/** Scrolls a chart into view (charts off screen do not redraw) and returns its canvas's data attributes. */
async function canvasData(page, id) {
  await page.locator(`[data-testid="${id}"]`).scrollIntoViewIfNeeded();
  return page.evaluate((i) => ({ ...document.querySelector(`[data-testid="${i}"] canvas`)?.dataset }), id);
}

/** Waits until charts `a` and `b` (both on screen in turn) satisfy `pred` on their canvases' data attributes. */
async function waitCharts(page, what, a, b, pred) {
  const t0 = Date.now();
  let last;
  for (;;) {
    last = [await canvasData(page, a), await canvasData(page, b)];
    if (pred(...last)) return last;
    if (Date.now() - t0 > 30_000) assert.fail(`${what}: ${JSON.stringify(last)}`);
    await page.waitForTimeout(400);
  }
}

test('two runs load side by side and their per-layer charts and heatmaps share one scale; the toggle gives each its own', async () => {
  const { page, log, context } = await open(linkOf(TWO_RUNS));
  assert.equal(await page.evaluate(() => window.gradscope.store.getState().layout), 'columns', 'side by side by default');
  assert.equal(await page.locator('.chart-column').count(), 2);
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 0, 'done');
  await statusIs(page, 1, 'done');
  const same = (x, y) => x.yMin && x.yMin === y.yMin && x.yMax === y.yMax;
  for (const id of ['grad-norm-chart', 'act-grad-chart', 'update-ratio-chart']) {
    const [x] = await waitCharts(page, `${id}: one y range`, id, `${id}-1`, same);
    assert.ok(Number(x.yMax) > Number(x.yMin) && Number(x.yMin) > 0, `${id}: ${x.yMin}..${x.yMax}`);
  }
  const sameColors = (x, y) => x.colorMin && x.colorMin === y.colorMin && x.colorMax === y.colorMax;
  await waitCharts(page, 'one heatmap colour range', 'layer-heatmap', 'layer-heatmap-1', sameColors);

  // per-run scales: each chart fits its own run (gains 0.5 and 2 give different ranges)
  await page.evaluate(() => window.gradscope.store.getState().setView({ sharedScales: false }));
  await waitCharts(page, 'own y ranges', 'act-grad-chart', 'act-grad-chart-1', (x, y) => x.yMin !== y.yMin || x.yMax !== y.yMax);
  await waitCharts(page, 'own colour ranges', 'layer-heatmap', 'layer-heatmap-1', (x, y) => x.colorMin !== y.colorMin || x.colorMax !== y.colorMax);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('the layout and the scale toggle survive a reload of the share link', async () => {
  const { page, log, context } = await open(linkOf(TWO_RUNS));
  await page.evaluate(() => window.gradscope.store.getState().setView({ layout: 'overlay', sharedScales: false }));
  await waitFor(page, 'the view in the URL', () => location.hash.includes('&view=overlay.per-run-scales'));
  const url = await page.evaluate(() => location.href);
  await context.close();

  const { page: again, log: log2, context: ctx2 } = await open(url.slice(url.indexOf('#')));
  assert.deepEqual(await again.evaluate(() => ({ layout: window.gradscope.store.getState().layout, shared: window.gradscope.store.getState().sharedScales })), { layout: 'overlay', shared: false });
  assert.equal(await again.locator('.chart-column').count(), 1, 'one run at a time');
  assert.equal(await again.getAttribute('[data-testid="grad-norm-chart"]', 'data-shared-scale'), 'false');
  // back to the default view: the option leaves the link
  await again.evaluate(() => window.gradscope.store.getState().setView({ layout: 'columns', sharedScales: true }));
  await waitFor(again, 'the default view out of the URL', () => !location.hash.includes('view='));
  assert.deepEqual([...log.errors, ...log2.errors], [], log2.dump());
  await ctx2.close();
});

test("a diverged run's spike is clipped on the loss axis, labelled with the banner's step; gradient flow shows step 0 and the last finite step", async () => {
  const { page, log, context } = await open('#backend=wasm');
  await page.click('[data-testid="preset-clip-rescue"]');
  await waitFor(page, 'two runs', () => document.querySelectorAll('[data-testid="run-status"]').length === 2);
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 0, 'diverged');
  const banner = await page.textContent('[data-testid="diverged-banner"]');
  const divergedAt = Number(/Diverged at step (\d+)/.exec(banner)?.[1]);
  assert.ok(divergedAt > 0, banner);
  await waitFor(page, 'the clipped run to train on', (n) => Number(document.querySelectorAll('[data-testid="step-count"]')[1]?.textContent) >= n, divergedAt + 15);
  await page.click('[data-testid="train-toggle"]');
  await waitFor(page, 'run 1 paused', () => ['paused', 'done'].includes(document.querySelectorAll('[data-testid="run-status"]')[1]?.textContent));

  // the loss axis: the diverged run's last finite losses are above it, marked; the other run's curve sets it
  // the losses as exported (the contract's step records)
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('[data-testid="export-jsonl"]')]);
  const records = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const losses = [0, 1].map((r) => records.filter((x) => x.run === r && typeof x.loss === 'number').map((x) => x.loss));
  const spike = Math.max(...losses[0]);
  const other = Math.max(...losses[1]);
  assert.ok(spike > 1e6 * other, `the unclipped run's loss explodes (${spike} vs ${other})`);
  await page.locator('[data-testid="loss-chart"]').scrollIntoViewIfNeeded();
  await waitFor(page, "the loss chart's diverged label", (n) => {
    const fig = document.querySelector('[data-testid="loss-chart"]');
    const labels = [...(fig?.querySelectorAll('[data-testid="chart-marker"]') ?? [])].map((m) => m.textContent);
    return labels.some((t) => t.includes(`diverged at step ${n}`)) && Number(fig?.querySelector('canvas')?.dataset.clipped) > 0;
  }, divergedAt);
  const loss = await canvasData(page, 'loss-chart');
  assert.ok(Number(loss.yMax) < spike, `the spike ${spike} is above the axis (${loss.yMax})`);
  assert.ok(Number(loss.yMax) <= 1000 * other, `the clipped run's loss (max ${other}) is not squashed: axis up to ${loss.yMax}`);
  assert.match((await page.locator('[data-testid="loss-chart"] [data-testid="chart-marker"]').allTextContents()).join(' | '), new RegExp(`^no clipping diverged at step ${divergedAt}$`));

  // gradient flow: step 0 against the theory, and beside it the last finite step of the diverged run
  await page.locator('[data-testid="gradient-flow"]').scrollIntoViewIfNeeded();
  await waitFor(page, 'gradient flow of the diverged run at its last finite step', (n) => {
    const fig = document.querySelector('[data-testid="gradient-flow"]');
    const title = fig?.querySelector('[data-testid="gradient-flow-latest"] .flow-panel-title')?.textContent;
    return fig?.getAttribute('data-step') === String(n - 1) && title === `Last finite step: ${n - 1} (diverged at step ${n})`;
  }, divergedAt);
  assert.equal(await page.getAttribute('[data-testid="gradient-flow-init"]', 'data-step'), '0');
  assert.equal(await page.textContent('[data-testid="gradient-flow-init"] .flow-panel-title'), 'Step 0 (initialization) vs theory');
  assert.match(await page.textContent('[data-testid="gradient-flow-note"]'), /at step 0: ×[\d.]+ measured vs ×2\.12 = √χ, the theory at init\. At step \d+ \(last finite\)/);
  // the run that trains on: step 0 and its latest step, each labelled
  await page.locator('[data-testid="gradient-flow-1"]').scrollIntoViewIfNeeded();
  // (a step in flight at the pause may still arrive: read the step and its title together)
  const latest = Number((await texts(page, 'step-count'))[1]) - 1;
  await waitFor(page, 'gradient flow of the clipped run at its latest step', (n) => {
    const fig = document.querySelector('[data-testid="gradient-flow-1"]');
    const step = Number(fig?.getAttribute('data-step'));
    const title = fig?.querySelector('[data-testid="gradient-flow-1-latest"] .flow-panel-title')?.textContent;
    return step >= n && title === `Latest: step ${step}`;
  }, latest);
  assert.equal(await page.textContent('[data-testid="gradient-flow-1-init"] .flow-panel-title'), 'Step 0 (initialization) vs theory');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('the theory line’s note under the gradient-flow chart: a residual ReLU run has one, a tanh run none', async () => {
  const exp = {
    v: 1,
    runs: [
      { label: 'residual', data: { name: 'circle', samples: 128 }, model: { hidden: [8, 8, 8], residual: true }, train: { steps: 2, batchSize: 16 } },
      { label: 'tanh', data: { name: 'circle', samples: 128 }, model: { hidden: [8, 8, 8], activation: 'tanh' }, train: { steps: 2, batchSize: 16 } },
    ],
  };
  const { page, log, context } = await open(linkOf(exp));
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 0, 'done');
  await statusIs(page, 1, 'done');
  await page.locator('[data-testid="gradient-flow"]').scrollIntoViewIfNeeded();
  await waitFor(page, 'the residual run’s note', () => document.querySelector('[data-testid="gradient-flow-theory-note"]')?.getAttribute('data-kind') === 'residual-relu');
  assert.match(await page.textContent('[data-testid="gradient-flow-theory-note"]'), /^Residual ReLU: .* \(see README\)\.\s*$/);
  assert.match(await page.textContent('[data-testid="gradient-flow-note"]'), /vs ×[\d.]+ = √\(1 \+ χ\) with the stream part, the theory at init\..*Residual ReLU/);
  await page.locator('[data-testid="gradient-flow-1"]').scrollIntoViewIfNeeded();
  await waitFor(page, 'the tanh run at step 0', () => document.querySelector('[data-testid="gradient-flow-1"]')?.getAttribute('data-init-step') === '0');
  assert.match(await page.textContent('[data-testid="gradient-flow-1-note"]'), /= √χ, the theory at init/);
  assert.equal(await page.locator('[data-testid="gradient-flow-1-theory-note"]').count(), 0);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});
