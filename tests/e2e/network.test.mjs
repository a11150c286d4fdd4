// The network view in real Chromium (wasm backend): an exploding net's unit
// signals grow toward the input and its diverged layer is outlined; every MLP
// preset and a CNN on `shapes` draw their layers, in the page and in the PNG;
// a unit's output over the plane on tap; a layer picked in the view is marked
// in the charts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import LZString from 'lz-string';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.GRADSCOPE_DIST || join(ROOT, 'dist');
const T = 120_000;
const PRESET_IDS = ['learns', 'explode', 'clip-rescue', 'he-vs-xavier', 'sigmoid-vanishing', 'batchnorm', 'residual', 'adam-vs-sgd', 'agc-vs-global', 'tanh-chaos', 'scaling'];

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

const linkOf = (exp) => `#e=${LZString.compressToEncodedURIComponent(JSON.stringify(exp))}&backend=wasm`;

async function open(hash = '#backend=wasm', viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
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
    const data = await page.evaluate(() => JSON.stringify({ ...document.querySelector('[data-testid="network-view"] canvas')?.dataset, spots: undefined }));
    throw new Error(`timed out waiting for ${what}: steps ${await texts(page, 'step-count')}, status ${await texts(page, 'run-status')}, view ${data}`, { cause: e });
  }
}

/** The network view's canvas data of run `i` (its figure scrolled into view: a chart off screen does not redraw). */
async function view(page, i = 0) {
  const id = i === 0 ? 'network-view' : `network-view-${i}`;
  await page.locator(`[data-testid="${id}"]`).scrollIntoViewIfNeeded();
  return page.evaluate((x) => {
    const c = document.querySelector(`[data-testid="${x}"] canvas`);
    return c ? { ...c.dataset, width: c.width, height: c.height } : null;
  }, id);
}

/** Opens run i's network view if it is folded, and waits for a picture at `step` (any step: undefined). */
async function picture(page, i, step) {
  const id = i === 0 ? 'network-view' : `network-view-${i}`;
  const toggle = page.locator(`[data-testid="${id}-toggle"]`);
  await toggle.scrollIntoViewIfNeeded();
  if ((await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
  await waitFor(
    page,
    `run ${i}'s network picture`,
    ([x, s]) => {
      const c = document.querySelector(`[data-testid="${x}"] canvas`);
      return !!c && c.dataset.spots !== undefined && (s === undefined || c.dataset.step === String(s));
    },
    [id, step],
  );
  return view(page, i);
}

/** Red pixels (the diverged outline's colour) in a canvas. */
function redPixels(page, id) {
  return page.evaluate((x) => {
    const c = document.querySelector(`[data-testid="${x}"] canvas`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 190 && d[i + 1] < 30 && d[i + 2] < 30) n++;
    return n;
  }, id);
}

test('an exploding net: the unit signals grow toward the input; once it diverges the diverged layer is outlined in red', async () => {
  const { page, log, context } = await open();
  await page.click('[data-testid="preset-explode"]');
  await waitFor(page, 'explode preset', () => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === 'explode');
  const v = await picture(page, 0, 0);
  const signals = JSON.parse(v.signals);
  const layers = JSON.parse(v.layers);
  assert.equal(layers.length, 9);
  // Hidden layers, output side → input side: |∂L/∂h| grows at nearly every layer and by orders of magnitude overall.
  const hidden = signals.slice(0, -1);
  let growing = 0;
  for (let l = 0; l + 1 < hidden.length; l++) if (hidden[l] > hidden[l + 1]) growing++;
  assert.ok(growing >= hidden.length - 2, `signals grow toward the input at most layers: ${hidden}`);
  assert.ok(hidden[0] > 30 * hidden.at(-1), `the first layer's signal is far above the last hidden one's: ${hidden}`);
  assert.equal(v.diverged, '', 'nothing diverged at step 0');
  const redBefore = await redPixels(page, 'network-view'); // the legend's swatch only

  await page.click('[data-testid="train-toggle"]');
  await waitFor(page, 'divergence', () => document.querySelector('[data-testid="run-status"]')?.textContent === 'diverged');
  await waitFor(page, 'a diverged layer in the view', () => !!document.querySelector('[data-testid="network-view"] canvas')?.dataset.diverged);
  const after = await view(page);
  const diverged = after.diverged.split(',');
  assert.ok(diverged.length >= 1 && diverged.every((n) => layers.includes(n)), `diverged layers named: ${after.diverged}`);
  const redAfter = await redPixels(page, 'network-view');
  assert.ok(redAfter > redBefore + 200, `the diverged layer is outlined in red (${redBefore} → ${redAfter} red pixels)`);
  // The slider goes back to the healthy picture of step 0.
  await page.locator('[data-testid="network-scrub"]').fill('0');
  await waitFor(page, 'step 0 again', () => document.querySelector('[data-testid="network-view"] canvas')?.dataset.step === '0');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('every MLP preset trains on the typed engine and draws each run’s layers, input to output', async () => {
  // No backend named in the link (a named backend asks for the tfjs engine on it): as a visitor opens the page.
  const { page, log, context } = await open('#');
  // The default experiment, as the page opens.
  await waitFor(page, 'the default run’s engine', () => window.gradscope.store.getState().runtime[0]?.engine !== undefined);
  assert.equal(await page.evaluate(() => window.gradscope.store.getState().runtime[0].engine), 'typed', 'the default experiment trains on the typed engine');
  assert.equal(await page.textContent('[data-testid="engine"]'), 'typed');
  for (const id of PRESET_IDS) {
    await page.click(`[data-testid="preset-${id}"]`);
    await waitFor(page, `preset ${id}`, (p) => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === p, id);
    const n = await page.locator('[data-testid="run-status"]').count();
    for (let i = 0; i < n; i++) {
      const v = await picture(page, i, 0);
      const layers = JSON.parse(v.layers);
      const spots = JSON.parse(v.spots);
      assert.equal(spots.length, layers.length + 1, `${id} run ${i}: a column per layer and the input`);
      for (let c = 1; c < spots.length; c++) assert.ok(spots[c][0] > spots[c - 1][0], `${id} run ${i}: columns run left to right`);
      assert.ok(JSON.parse(v.signals).every((s) => s > 0), `${id} run ${i}: every layer has a signal`);
    }
    // Each run's worker has built this preset's model (its picture is there): the engine it said it uses.
    await waitFor(page, `preset ${id}: every run's engine`, (k) => {
      const rt = window.gradscope.store.getState().runtime;
      return rt.length === k && rt.every((r) => r.engine !== undefined);
    }, n);
    const engines = await page.evaluate(() => window.gradscope.store.getState().runtime.map((r) => `${r.engine}${r.engine === 'typed' ? '' : ` (${r.engineReason})`}`));
    assert.deepEqual(engines, Array(n).fill('typed'), `preset ${id}: every run on the typed engine`);
  }
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('an MLP on the digits trains on the typed engine in the page (its 196 pixels flattened) and its layers are drawn', async () => {
  const exp = { v: 1, runs: [{ label: 'mlp', data: { name: 'digits', samples: 200 }, model: { hidden: [32, 16] }, train: { steps: 20, batchSize: 16 } }] };
  const { page, log, context } = await open(`#e=${LZString.compressToEncodedURIComponent(JSON.stringify(exp))}`);
  await page.click('[data-testid="train-toggle"]');
  await waitFor(page, 'done', () => document.querySelector('[data-testid="run-status"]')?.textContent === 'done');
  assert.deepEqual(await page.evaluate(() => [window.gradscope.store.getState().runtime[0].engine, window.gradscope.store.getState().runtime[0].error ?? null]), ['typed', null]);
  assert.equal(await page.textContent('[data-testid="engine"]'), 'typed');
  const v = await picture(page, 0, 20);
  assert.deepEqual(JSON.parse(v.layers), ['dense1', 'dense2', 'dense3']);
  assert.ok(JSON.parse(v.signals).every((x) => x > 0), 'every layer has a signal');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a CNN on shapes: conv layers as strips of filters and the dense head, in the page and in the PNG', async () => {
  const exp = { v: 1, runs: [{ label: 'cnn', data: { name: 'shapes', samples: 256 }, model: { arch: 'cnn', hidden: [8, 12] }, train: { steps: 30, batchSize: 16 } }] };
  const { page, log, context } = await open(linkOf(exp));
  let v = await picture(page, 0, 0);
  assert.deepEqual(JSON.parse(v.layers), ['conv1', 'conv2', 'dense3']);
  await page.click('[data-testid="train-toggle"]');
  await waitFor(page, 'done', () => document.querySelector('[data-testid="run-status"]')?.textContent === 'done');
  await waitFor(page, 'the last step’s picture', () => document.querySelector('[data-testid="network-view"] canvas')?.dataset.step === '30');
  v = await view(page);
  assert.ok(Number(v.snapshots) >= 2);
  // ΔW of the filters is there once the weights have moved.
  await page.click('[data-testid="network-quantity-update"]');
  await waitFor(page, 'update lines', () => document.querySelector('[data-testid="network-view"] canvas')?.dataset.quantity === 'update');
  await page.click('[data-testid="png-network-view"]');
  await waitFor(page, 'the PNG', () => !!document.querySelector('[data-testid="png-network-view"]')?.dataset.png);
  const png = JSON.parse(await page.getAttribute('[data-testid="png-network-view"]', 'data-png'));
  assert.match(png.title, /Network/);
  assert.match(png.explain, /\|∂L\/∂h\|/);
  assert.ok(png.width >= 420 && png.height > 300, `PNG ${png.width}×${png.height}`);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('tap a unit: its output over the input plane; click a layer: it is marked in the charts', async () => {
  const { page, log, context } = await open();
  const v = await picture(page, 0, 0);
  const spots = JSON.parse(v.spots);
  const canvas = page.locator('[data-testid="network-view"] canvas');
  const [x, y] = spots[2]; // the first unit of the second hidden layer
  await canvas.click({ position: { x, y } });
  await page.waitForSelector('[data-testid="network-tip"] [data-testid="network-plane"]', { timeout: T });
  const name = JSON.parse(v.layers)[1];
  await waitFor(page, 'the layer marked in the view', (n) => document.querySelector('[data-testid="network-view"] canvas')?.dataset.highlight === n, name);
  const chart = await page.evaluate(() => document.querySelector('[data-testid="grad-norm-chart"] canvas')?.dataset.highlight);
  assert.equal(chart, name, 'the gradient-norm chart draws the layer bold');
  await waitFor(page, "the heatmap outlines the layer's row", () => document.querySelector('[data-testid^="layer-heatmap"] canvas')?.dataset.highlight === '1');
  // Folded, the run's worker stops sending pictures; the page keeps working.
  await page.click('[data-testid="network-view-toggle"]');
  assert.equal(await page.locator('[data-testid="network-view"] canvas').count(), 0);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});
