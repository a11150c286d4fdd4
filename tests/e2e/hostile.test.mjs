// Hostile links, broken workers and long steps in the page: a sweep link that
// tries to pollute Object.prototype, damaged and older links, parts of a link
// nobody reads, a step that throws, a step that takes many seconds, and a conv
// net asked to train on wasm. Runs without WebGPU (the CPU backends are fast
// and deterministic here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import LZString from 'lz-string';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
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

/** The share link of an experiment, as `gradscope url` writes it, on the test server. */
const linkOf = (exp) => execFileSync(process.execPath, [join(ROOT, 'bin', 'gradscope.mjs'), 'url', JSON.stringify(exp), '--base', server.url], { cwd: ROOT, encoding: 'utf8' }).trim();

async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(url, { waitUntil: 'load' });
  return { page, log, context };
}

const text = (page, id) => page.locator(`[data-testid="${id}"]`).first().textContent();
const texts = (page, id) => page.locator(`[data-testid="${id}"]`).allTextContents();
const steps = async (page) => (await texts(page, 'step-count')).map(Number);
const waitText = (page, id, re, timeout = 60_000) =>
  page.waitForFunction(([id, src]) => new RegExp(src).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''), [id, re.source], { timeout, polling: 100 });
/** Waits until the page shows a backend: `name`, or any but the ones in `not`. */
const backendIs = (page, name, not = [], timeout = 120_000) =>
  page.waitForFunction(
    ([name, not]) => {
      const b = document.querySelector('[data-testid="backend"]')?.textContent;
      return !!b && b !== '…' && (name ? b === name : !not.includes(b));
    },
    [name, not],
    { timeout },
  );
const firstRun = (page) => page.evaluate(() => window.gradscope.store.getState().experiment.runs[0]);

test('a sweep link whose compare path goes through __proto__: a banner, the page renders, nothing is polluted', async () => {
  const sweep = { params: [{ path: 'optimizer.lr', min: 0.001, max: 1 }], compare: { '__proto__.polluted': 'yes' } };
  const { page, log, context } = await open(`${server.url}#sweep=${LZString.compressToEncodedURIComponent(JSON.stringify(sweep))}&backend=wasm`);
  await waitText(page, 'error-banner', /This link's sweep was not loaded: share URL: sweep compare\["__proto__\.polluted"\]: not a run-config path/);
  assert.equal(await page.evaluate(() => ({}).polluted), undefined, 'Object.prototype is untouched');
  // the page is there and works: presets, controls, a run that trains
  assert.ok((await page.locator('a[href^="#e="]').count()) > 0, 'the presets render');
  await backendIs(page, 'wasm');
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 5, null, { timeout: 60_000 });
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a link with a wrong checksum is refused naming the part; one without a checksum loads with a note; unknown parts are named', async () => {
  const exp = { v: 1, runs: [{ label: 'mine', seed: 5, model: { hidden: [12, 12] } }] };
  const url = linkOf(exp);
  assert.match(url, /#e=[^&]+&sum=[0-9a-f]{6}$/, 'gradscope url writes the checksum');

  // one character of the checksum changed (one of the experiment's mostly stops it from decoding at all)
  const damaged = url.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  const a = await open(`${damaged}&backend=wasm`);
  await waitText(a.page, 'error-banner', /This link's experiment was not loaded: share URL: the experiment part of the link \(e=, \d+ characters\) does not match its checksum \(sum=[0-9a-f]{6}\)/);
  assert.equal((await firstRun(a.page)).label, 'A', 'the default experiment, not the damaged one');
  await a.page.waitForTimeout(500);
  assert.equal(await a.page.evaluate(() => location.href), `${damaged}&backend=wasm`, 'the damaged link stays in the address bar');
  assert.deepEqual(await steps(a.page), [0], 'nothing runs');
  assert.deepEqual(a.log.errors, [], a.log.dump());
  await a.context.close();

  // an older link: no checksum
  const b = await open(`${url.replace(/&sum=.*$/, '')}&backend=wasm`);
  await waitText(b.page, 'error-banner', /This link has no checksum \(sum=; an older link\): it was loaded as it is/);
  assert.deepEqual(await firstRun(b.page), { ...(await firstRun(b.page)), label: 'mine', seed: 5 });
  await b.page.waitForFunction(() => /&sum=[0-9a-f]{6}/.test(location.hash), null, { timeout: 10_000 });
  assert.deepEqual(b.log.errors, [], b.log.dump());
  await b.context.close();

  // parts nobody reads: named, and the experiment loads
  const c = await open(`${url}&backnd=cpu&c=1`);
  await waitText(c.page, 'error-banner', /This link's parts "backnd=cpu", "c=1" were not understood and ignored/);
  assert.equal((await firstRun(c.page)).label, 'mine');
  assert.deepEqual(c.log.errors, [], c.log.dump());
  await c.context.close();
});

test('after an exception in a step, Reset builds the run in a fresh worker that trains', async () => {
  const { page, log, context } = await open(`${linkOf({ label: 'A', train: { steps: 100000 } })}&backend=wasm`);
  await backendIs(page, 'wasm');
  await page.evaluate(() => {
    window.__worker = window.gradscope.runClient.handles.get(0).worker;
    window.gradscope.runClient.debug(0, 'throw-in-step');
  });
  await page.click('[data-testid="train-toggle"]');
  await waitText(page, 'run-error', /training step failed: injected fault/);
  assert.equal(await text(page, 'run-status'), 'error');
  await page.click('[data-testid="reset"]');
  await waitText(page, 'run-status', /^idle$/);
  assert.equal(await page.evaluate(() => window.gradscope.runClient.handles.get(0).worker !== window.__worker), true, 'a new worker');
  await backendIs(page, 'wasm');
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 10, null, { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="run-error"]').count(), 0);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a step of many seconds: the page says it is computing, and Pause stops the worker and builds a fresh one', async () => {
  // a conv net of 4.6 GFLOP a step: about 40 s on the plain JavaScript backend here (and no
  // decision-boundary map, which a wide MLP on 2-D data computes for seconds after every build)
  const wide = { label: 'wide', data: { name: 'shapes', samples: 256 }, model: { arch: 'cnn', hidden: [128, 128, 128] }, train: { batchSize: 64, steps: 10 } };
  const { page, log, context } = await open(`${linkOf(wide)}&backend=cpu`);
  await backendIs(page, 'cpu');
  await page.evaluate(() => (window.__worker = window.gradscope.runClient.handles.get(0).worker));
  const t0 = Date.now();
  await page.click('[data-testid="train-toggle"]');
  await waitText(page, 'run-progress', /^computing step 0 \(estimated [\d.]+ (s|min)\)… [\d.]+ s$/, 15_000);
  const shownAfter = Date.now() - t0;
  assert.equal(await text(page, 'run-status'), 'training');
  const p0 = Date.now();
  await page.click('[data-testid="train-toggle"]');
  await waitText(page, 'run-error', /^Pause: the run's worker did not answer within 2 s \(it was inside a step, [\d.]+ s into step 0, estimated at [\d.]+ (s|min)\), so it was stopped; the run starts again from step 0 in a fresh worker\./, 15_000);
  const pausedAfter = Date.now() - p0;
  process.stdout.write(`long step: progress shown ${shownAfter} ms after Train; worker replaced ${pausedAfter} ms after Pause\n`);
  assert.ok(pausedAfter < 6000, `Pause acts within seconds (${pausedAfter} ms)`);
  assert.equal(await text(page, 'run-status'), 'idle');
  assert.deepEqual(await steps(page), [0]);
  assert.equal(await page.evaluate(() => window.gradscope.runClient.handles.get(0).worker !== window.__worker), true, 'a new worker');
  await backendIs(page, 'cpu');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a conv net asked to train on wasm trains on another backend and says why; Restart keeps working', async () => {
  const cnn = { label: 'cnn', data: { name: 'shapes', samples: 128 }, model: { arch: 'cnn', hidden: [4, 4] }, train: { batchSize: 16, steps: 100000 } };
  const { page, log, context } = await open(`${linkOf(cnn)}&backend=wasm`);
  await backendIs(page, null, ['wasm']);
  await waitText(page, 'backend-reason', /the wasm backend cannot train conv nets/);
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 3, null, { timeout: 120_000 });
  // a fault, then Restart: the same fallback, for the same reason
  await page.evaluate(() => window.gradscope.runClient.debug(0, 'throw-in-step'));
  await waitText(page, 'run-error', /injected fault/);
  await page.click('[data-testid="restart-run"]');
  await backendIs(page, null, ['wasm']);
  const reason = await text(page, 'backend-reason');
  assert.match(reason, /the wasm backend cannot train conv nets/);
  assert.doesNotMatch(reason, /disabled by request/);
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 3, null, { timeout: 120_000 });
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});
