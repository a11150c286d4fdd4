// The teaching page in real Chromium: panels, presets, live views, exports.
// Trains on the wasm backend (`&backend=wasm`): WebGPU itself is tested in
// app.test.mjs, and SwiftShader is slow on few cores.
//
// UPDATE_SCREENSHOTS=1 writes docs/screenshots/*.png (default, training,
// diverged side by side, phone); otherwise the screenshots are taken and
// checked but not saved. GRADSCOPE_DIST overrides the built app's folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import LZString from 'lz-string';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.GRADSCOPE_DIST || join(ROOT, 'dist');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const SAVE_SHOTS = !!process.env.UPDATE_SCREENSHOTS;
const T = 180_000; // generous: the browser shares two cores with the wasm workers

let server;
let browser;
before(async () => {
  server = await serveDir(DIST, { isolate: false });
  browser = await launchChromium({ webgpu: false });
  if (SAVE_SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(hash = '#backend=wasm', viewport = { width: 1280, height: 720 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${hash}`, { waitUntil: 'load' });
  await page.waitForFunction(() => (document.querySelector('[data-testid="backend"]')?.textContent ?? '…') !== '…', null, { timeout: T });
  assert.equal(await page.textContent('[data-testid="backend"]'), 'wasm', log.dump());
  return { page, log, context };
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(600); // charts that come back into view redraw
  const buf = await page.screenshot(SAVE_SHOTS ? { path: join(SHOTS, name) } : {});
  assert.ok(buf.length > 10_000, `screenshot ${name} is not empty`);
}

const experiment = (page) => page.evaluate(() => window.gradscope.store.getState().experiment);
const texts = (page, id) => page.locator(`[data-testid="${id}"]`).allTextContents();
const steps = async (page) => (await texts(page, 'step-count')).map(Number);

async function waitFor(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: T, polling: 200 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: steps ${await steps(page)}, status ${await texts(page, 'run-status')}`, { cause: e });
  }
}
const statusIs = (page, run, status) =>
  waitFor(page, `run ${run} ${status}`, ([r, st]) => document.querySelectorAll('[data-testid="run-status"]')[r]?.textContent === st, [run, status]);
const stepAtLeast = (page, run, n) =>
  waitFor(page, `run ${run} at step ${n}`, ([r, k]) => Number(document.querySelectorAll('[data-testid="step-count"]')[r]?.textContent) >= k, [run, n]);

/** Waits until the URL fragment (written 150 ms after an edit) holds the store's experiment. */
/**
 * The page's URL once it holds `expected` (the fragment is written 150 ms after
 * the last edit, later when the machine is loaded): polls for up to 15 s and
 * returns the last URL seen either way, for the caller's assertion.
 */
async function urlSettled(page, expected) {
  const t0 = Date.now();
  for (;;) {
    await page.waitForTimeout(200);
    const url = await page.evaluate(() => location.href);
    if (!expected) return url;
    const encoded = /#e=([^&]+)/.exec(url)?.[1];
    const exp = encoded ? JSON.parse(LZString.decompressFromEncodedURIComponent(encoded) ?? 'null') : null;
    if (isDeepStrictEqual(exp, expected) || Date.now() - t0 > 15_000) return url;
  }
}

/** PNG signature and the IHDR size. */
function pngSize(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG file');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click(selector)]);
  return { name: dl.suggestedFilename(), data: readFileSync(await dl.path()) };
}

test('build a net in the panels, clip, train, compare with clipping, share, reload, export = page', async () => {
  const { page, log } = await open();
  // the data preview shows the 512 points of the default spiral
  assert.equal(await page.getAttribute('[data-testid="run0-data-preview"]', 'data-count'), '512');
  await shot(page, 'default.png');

  await page.fill('[data-testid="run0-depth"]', '5');
  await page.selectOption('[data-testid="run0-activation"]', 'tanh');
  await page.selectOption('[data-testid="run0-clip-mode"]', 'global_norm');
  await page.fill('[data-testid="run0-clip-threshold"]', '0.5');
  let exp = await experiment(page);
  assert.deepEqual(exp.runs[0].model.hidden, [16, 16, 16, 16, 16]);
  assert.equal(exp.runs[0].model.activation, 'tanh');
  assert.deepEqual([exp.runs[0].stabilizers.clip.mode, exp.runs[0].stabilizers.clip.threshold], ['global_norm', 0.5]);
  await page.selectOption('[data-testid="run0-clip-mode"]', 'none');
  assert.equal(await page.locator('[data-testid="run0-clip-threshold"]').count(), 0, 'no threshold without clipping');
  // an image set shows example images instead of points
  await page.selectOption('[data-testid="run0-dataset"]', 'shapes');
  assert.equal(await page.getAttribute('[data-testid="run0-data-preview"]', 'data-kind'), 'images');
  await page.selectOption('[data-testid="run0-dataset"]', 'moons');
  assert.equal(await page.getAttribute('[data-testid="run0-data-preview"]', 'data-kind'), 'points');

  // "stop at N steps": the run ends by itself (status done), no race with a pause click
  await page.locator('.run-panel summary', { hasText: 'Training' }).click();
  await page.fill('[data-testid="run0-steps"]', '120');
  assert.equal((await experiment(page)).runs[0].train.steps, 120);

  await page.click('[data-testid="train-toggle"]');
  await stepAtLeast(page, 0, 25);
  for (const id of ['update-ratio-chart', 'acc-chart', 'lr-chart', 'gradient-flow']) await page.locator(`[data-testid="${id}"]`).scrollIntoViewIfNeeded();
  await waitFor(page, 'live charts', () =>
    ['gradient-flow', 'acc-chart', 'lr-chart', 'update-ratio-chart'].every((id) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      return el && (el.getAttribute('data-points') === null ? el.getAttribute('data-step') !== '' : Number(el.getAttribute('data-points')) > 0);
    }),
  );
  await shot(page, 'training.png');
  await statusIs(page, 0, 'done');
  assert.deepEqual(await steps(page), [120]);

  await page.click('[data-testid="run0-compare-clip"]');
  await waitFor(page, 'a second run', () => document.querySelectorAll('[data-testid="run-status"]').length === 2);
  exp = await experiment(page);
  assert.equal(exp.runs.length, 2);
  assert.equal(exp.runs[1].label, 'A + clip');
  assert.equal(exp.runs[1].stabilizers.clip.mode, 'global_norm');
  assert.deepEqual(exp.runs[1].model, exp.runs[0].model);
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 1, 'done');
  assert.deepEqual(await steps(page), [120, 120]);

  // share: the link is the page's URL (the clipboard may be unavailable headless)
  await page.click('[data-testid="share-link"]');
  await waitFor(page, 'share feedback', () => (document.querySelector('[data-testid="share-status"]')?.textContent ?? '') !== '');
  const url = await urlSettled(page, await experiment(page));
  assert.match(url, /#e=[A-Za-z0-9+\-$]+&sum=[0-9a-f]{6}&backend=wasm$/);

  // export: the records of both runs, in the contract's format, equal to what the page shows
  // (JSON lines: a first line with the experiment, then one record per line; exports.test.mjs checks every format)
  const { name, data } = await download(page, '[data-testid="export-jsonl"]');
  assert.match(name, /\.jsonl$/);
  const [head, ...records] = data.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(head.experiment, exp);
  const num = (x) => typeof x === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(x);
  for (const r of records) {
    assert.ok([0, 1].includes(r.run) && typeof r.label === 'string' && Number.isInteger(r.step), JSON.stringify(r).slice(0, 200));
    for (const f of ['loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped']) assert.ok(num(r[f]), `${f} in ${JSON.stringify(r).slice(0, 120)}`);
    assert.ok(['ok', 'clipped', 'skipped', 'diverged'].includes(r.status));
    assert.equal(r.layers.length, 6);
    for (const l of r.layers) {
      assert.equal(typeof l.name, 'string');
      for (const f of ['gradNorm', 'gradNormClipped', 'weightNorm', 'updateNorm', 'actGradNorm']) assert.ok(num(l[f]), f);
    }
  }
  const shownSteps = await steps(page);
  const lastLoss = await page.locator('[data-testid="last-loss"]').evaluateAll((els) => els.map((e) => [Number(e.dataset.value), e.textContent]));
  for (const run of [0, 1]) {
    const rs = records.filter((r) => r.run === run);
    assert.deepEqual(rs.map((r) => r.step), rs.map((_, k) => k), `run ${run}: every step from 0, in order`);
    const last = rs.at(-1);
    assert.equal(last.step + 1, shownSteps[run], `run ${run}: step count shown = updates exported`);
    assert.ok(Math.abs(lastLoss[run][0] - last.loss) <= 1e-6 * Math.abs(last.loss), `run ${run}: loss shown ${lastLoss[run][0]} vs exported ${last.loss}`);
    assert.ok(Math.abs(Number(lastLoss[run][1]) - last.loss) <= 5e-4 * Math.abs(last.loss), `run ${run}: loss text ${lastLoss[run][1]} vs ${last.loss}`);
  }
  assert.ok(records.some((r) => r.run === 1 && r.label === 'A + clip'));

  // reload the shared URL in a fresh page: the same experiment
  const { page: page2, context: ctx2 } = await open(url.slice(url.indexOf('#')));
  assert.deepEqual(await experiment(page2), exp);
  await ctx2.close();
  assert.deepEqual(log.errors, [], log.dump());
});

test('presets: each loads its experiment with a note; the explosion diverges beside its clipped twin; PNG downloads', async () => {
  const { page, log } = await open();
  const presets = await page.evaluate(() => window.gradscope.presets);
  assert.ok(presets.length >= 8);
  for (const p of presets) {
    await page.click(`[data-testid="preset-${p.id}"]`);
    await waitFor(page, `preset ${p.id}`, (id) => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === id, p.id);
    assert.deepEqual(await experiment(page), p.experiment, p.id);
    assert.ok((await page.textContent('[data-testid="preset-note"]')).includes(p.title));
    assert.equal((await texts(page, 'run-status')).length, p.experiment.runs.length);
    // the preset is a share URL: the page's fragment now holds it
    const url = await urlSettled(page, p.experiment);
    const encoded = /#e=([^&]+)/.exec(url)?.[1];
    assert.deepEqual(JSON.parse(LZString.decompressFromEncodedURIComponent(encoded)), p.experiment, `${p.id}: ${url}`);
  }

  await page.click('[data-testid="preset-clip-rescue"]');
  await waitFor(page, 'both runs ready', () => [...document.querySelectorAll('[data-testid="run-status"]')].length === 2);
  assert.equal(await page.evaluate(() => window.gradscope.store.getState().layout), 'columns', 'side by side');
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 0, 'diverged');
  const banner = await page.textContent('[data-testid="diverged-banner"]');
  assert.match(banner, /Diverged at step \d+: .*in layer dense\d+/, 'the banner names the layer');
  const divergedAt = Number(/step (\d+)/.exec(banner)[1]);
  await stepAtLeast(page, 1, divergedAt + 10);
  assert.ok(['training', 'done'].includes((await texts(page, 'run-status'))[1]), 'the clipped twin trains on');
  assert.equal((await texts(page, 'run-status'))[0], 'diverged');
  // the charts mark the diverged step (a chart out of view does not redraw: loss and accuracy come first)
  await page.locator('[data-testid="grad-norm-chart"]').scrollIntoViewIfNeeded();
  await waitFor(page, 'diverged marker', (n) => document.querySelector('[data-testid="grad-norm-chart"]')?.textContent.includes(`diverged @${n}`), divergedAt);
  // the gradient-flow bars of the diverged step itself: the non-finite layers in red
  await page.locator('[data-testid="gradient-flow"] label', { hasText: 'diverged @' }).click();
  await waitFor(page, 'gradient flow at the diverged step', (n) => document.querySelector('[data-testid="gradient-flow"]')?.getAttribute('data-step') === String(n), divergedAt);
  assert.match(await page.textContent('[data-testid="gradient-flow-note"]'), /not finite/);
  await shot(page, 'diverged.png');
  if ((await texts(page, 'run-status'))[1] === 'training') await page.click('[data-testid="train-toggle"]');
  await waitFor(page, 'run 1 stopped', () => ['paused', 'done'].includes(document.querySelectorAll('[data-testid="run-status"]')[1]?.textContent));

  // PNG of an SVG chart (recharts) and of a canvas chart
  for (const id of ['gradient-flow', 'grad-norm-chart', 'layer-heatmap']) {
    const { name, data } = await download(page, `[data-testid="png-${id}"]`);
    assert.equal(name, `gradscope-${id}.png`);
    const { width, height } = pngSize(data);
    assert.ok(width >= 300 && height >= 150, `${id}: ${width}×${height}`);
  }
  assert.deepEqual(log.errors, [], log.dump());
});

test('theory line on the gradient-flow bars; slow-motion speed with the keyboard; phone layout', async () => {
  const { page, log, context } = await open();
  await page.click('[data-testid="preset-explode"]');
  await waitFor(page, 'explode preset', () => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === 'explode');
  await page.click('[data-testid="step-once"]');
  await stepAtLeast(page, 0, 1);
  await waitFor(page, 'gradient flow at step 0', () => document.querySelector('[data-testid="gradient-flow"]')?.getAttribute('data-step') === '0');
  // ReLU, init normal, gain 3: ‖∂L/∂h‖ grows √(g²/2) = 2.1213 per layer toward the input
  const factors = await page.evaluate(() => {
    const el = document.querySelector('[data-testid="gradient-flow"]');
    return [Number(el.getAttribute('data-theory-factor')), Number(el.getAttribute('data-measured-factor'))];
  });
  assert.ok(Math.abs(factors[0] - Math.sqrt(4.5)) < 1e-9, `theory factor ${factors[0]}`);
  assert.ok(factors[1] > 1.4 && factors[1] < 3.2, `measured factor ${factors[1]} near the theory's 2.12`);
  assert.match(await page.textContent('[data-testid="gradient-flow-note"]'), /theory at init/);
  assert.ok((await page.locator('[data-testid="gradient-flow"] .recharts-bar-rectangle').count()) >= 18, 'two bars per layer');
  assert.deepEqual(log.errors, [], log.dump());

  await context.close();

  // slow motion: 3 steps/s, started and paused with the keyboard (Space)
  const { page: p2, log: log2 } = await open();
  await p2.selectOption('[data-testid="speed"]', '3');
  await p2.locator('h1').click(); // focus back on the page
  const t0 = Date.now();
  await p2.keyboard.press('Space');
  await statusIs(p2, 0, 'training');
  await stepAtLeast(p2, 0, 6);
  const secs = (Date.now() - t0) / 1000;
  assert.ok(secs >= 5 / 3, `at most 3 steps/s: 6 steps took ${secs.toFixed(2)} s`);
  assert.equal((await texts(p2, 'run-status'))[0], 'training');
  assert.ok(Number((await texts(p2, 'steps-per-sec'))[0]) <= 4, 'the rate shown is the slow-motion rate');
  await p2.keyboard.press('Space');
  await statusIs(p2, 0, 'paused');
  const paused = (await steps(p2))[0];
  await p2.waitForTimeout(1500);
  assert.ok((await steps(p2))[0] <= paused + 1, 'no more steps after the pause (one may have been in flight)');
  assert.deepEqual(log2.errors, [], log2.dump());

  // phone width: one column, settings folded, nothing wider than the screen
  await p2.setViewportSize({ width: 390, height: 844 });
  // charts re-measure their container after a resize
  await p2.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth + 1, null, { timeout: 20_000 }).catch(() => {});
  const layout = await p2.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((el) => !el.closest('.preset-list') && el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 8)
      .map((el) => `${el.tagName} ${el.getAttribute('class') ?? ''} ${el.getAttribute('data-testid') ?? ''} ${Math.round(el.getBoundingClientRect().right)}`),
    openSections: [...document.querySelectorAll('.run-panel details.section')].filter((d) => d.open).length,
  }));
  assert.ok(layout.overflow <= 1, `no horizontal scrolling at 390 px (overflow ${layout.overflow}): ${layout.wide.join('; ')}`);
  assert.equal(layout.openSections, 0, 'settings sections start folded on a phone');
  await shot(p2, 'phone.png');
});
