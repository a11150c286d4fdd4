// Exports that stand alone, in real Chromium (wasm backend):
//  - a 300-step run downloaded as the JSON document, JSONL and CSV: every step
//    in each, the experiment in each (parseExperiment accepts the document's,
//    `gradscope run` trains it again), and a PNG of the loss chart that carries
//    the title, the run and what the chart shows;
//  - a 20,000-step run whose JSON and CSV hold every step (the worker keeps
//    every record up to its 64 MiB budget);
//  - a click on a sweep cell adds the trial as a run (not started, the others
//    kept), as a history entry: Back restores the runs before; with four runs
//    the page offers the trial in a new tab instead.
//
//   E2E_EXPORT_STEPS=N changes the long run's length (default 20000).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import LZString from 'lz-string';
import { register } from 'tsx/esm/api';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

register();
const { parseExperiment } = await import('../../src/engine/config.ts');
const { parseFragment } = await import('../../src/engine/shareLink.ts');

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.GRADSCOPE_DIST || join(ROOT, 'dist');
const T = 300_000;
const LONG_STEPS = Number(process.env.E2E_EXPORT_STEPS || 20_000);
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-exports-'));

let server;
let browser;
before(async () => {
  server = await serveDir(DIST, { isolate: false });
  browser = await launchChromium({ webgpu: false });
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(TMP, { recursive: true, force: true });
});

const link = (exp, extra = '') => `#e=${LZString.compressToEncodedURIComponent(JSON.stringify(exp))}&backend=wasm${extra}`;

async function open(hash) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${hash}`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'wasm', null, { timeout: T });
  return { page, log, context };
}

const texts = (page, id) => page.locator(`[data-testid="${id}"]`).allTextContents();
const experiment = (page) => page.evaluate(() => window.gradscope.store.getState().experiment);

async function waitFor(page, what, fn, arg, timeout = T) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 250 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: steps ${await texts(page, 'step-count')}, status ${await texts(page, 'run-status')}`, { cause: e });
  }
}
const allDone = (page, n) => waitFor(page, `${n} run(s) done`, (k) => [...document.querySelectorAll('[data-testid="run-status"]')].filter((e) => e.textContent === 'done').length === k, n);

async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(selector)]);
  return { name: dl.suggestedFilename(), data: readFileSync(await dl.path()) };
}

/** The step numbers of one run, in file order. */
const stepsOf = (records, run) => records.filter((r) => r.run === run).map((r) => r.step);
const range = (n) => Array.from({ length: n }, (_, k) => k);

/** PNG size and its iTXt text chunks. */
function readPng(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG file');
  const text = {};
  for (let at = 8; at < buf.length; ) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (type === 'iTXt') {
      const data = buf.subarray(at + 8, at + 8 + len);
      const key = data.toString('latin1', 0, data.indexOf(0));
      // keyword \0 flag method language \0 translated \0 text
      let p = data.indexOf(0) + 3;
      p = data.indexOf(0, p) + 1;
      p = data.indexOf(0, p) + 1;
      text[key] = data.toString('utf8', p);
    }
    at += 12 + len;
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), text };
}

/** The CSV's rows as objects (after its `# experiment:` line); labels here have no quotes or commas. */
function readCsv(text) {
  const lines = text.trimEnd().split('\n');
  const head = lines[1].split(',');
  return { first: lines[0], rows: lines.slice(2).map((l) => Object.fromEntries(l.split(',').map((c, i) => [head[i], c]))) };
}

test('a short run: JSON document, JSONL and CSV each hold every step and the experiment; the loss chart as a PNG that stands alone', async () => {
  const N = 300;
  const exp = { v: 1, runs: [{ label: 'short', seed: 3, data: { name: 'moons', samples: 256 }, train: { steps: N, evalEvery: 100 } }] };
  const { page, log, context } = await open(link(exp));
  await page.click('[data-testid="train-toggle"]');
  await allDone(page, 1);
  assert.deepEqual(await texts(page, 'step-count'), [String(N)]);
  const shown = await experiment(page);

  // JSON: one document.
  const json = await download(page, '[data-testid="export-json"]');
  assert.match(json.name, /\.json$/);
  const doc = JSON.parse(json.data.toString('utf8'));
  assert.equal(doc.gradscope, 1);
  assert.deepEqual(doc.experiment, shown, 'the experiment as the page holds it');
  const parsed = parseExperiment(doc.experiment);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(parsed.value, shown);
  assert.deepEqual(parseFragment(doc.url).experiment, { ok: true, value: shown }, 'its share link holds the same experiment');
  assert.deepEqual(
    doc.runs.map((r) => [r.run, r.label, r.keptEvery]),
    [[0, 'short', 1]],
  );
  const records = doc.runs[0].records;
  assert.deepEqual(stepsOf(records, 0), range(N), 'every step 0..N−1');
  for (const r of records) {
    assert.equal(r.label, 'short');
    assert.ok(['ok', 'clipped', 'skipped', 'diverged'].includes(r.status));
    assert.deepEqual(r.layers.map((l) => l.name), ['dense1', 'dense2', 'dense3', 'dense4']);
  }
  assert.deepEqual(records.filter((r) => 'testLoss' in r).map((r) => r.step), [0, 100, 200, 299], 'held-out metrics on evaluation steps');

  // JSONL: the experiment's line, then the same records.
  const jsonl = await download(page, '[data-testid="export-jsonl"]');
  assert.match(jsonl.name, /\.jsonl$/);
  const lines = jsonl.data.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines[0].experiment, shown);
  assert.equal(lines[0].step, undefined, 'the first line is not a record');
  assert.deepEqual(lines[0].runs, [{ run: 0, label: 'short', keptEvery: 1, records: N }]);
  assert.deepEqual(lines.slice(1), records, 'JSONL records = JSON records');

  // CSV: `# experiment: <share URL>`, then a row per step.
  const csv = await download(page, '[data-testid="export-csv"]');
  assert.match(csv.name, /\.csv$/);
  const { first, rows } = readCsv(csv.data.toString('utf8'));
  const url = /^# experiment: (\S+)$/.exec(first)?.[1];
  assert.ok(url, first);
  assert.deepEqual(parseFragment(url).experiment, { ok: true, value: shown });
  assert.deepEqual(rows.map((r) => Number(r.step)), range(N));
  assert.deepEqual(rows.map((r) => Number(r.loss)), records.map((r) => r.loss), 'CSV losses = JSON losses');

  // The CLI trains the exported experiment again from each file.
  for (const [name, data] of [
    ['export.json', json.data],
    ['export.jsonl', jsonl.data],
    ['export.csv', csv.data],
  ]) {
    const file = join(TMP, name);
    writeFileSync(file, data);
    const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'gradscope.mjs'), 'run', file, '--steps', '2'], { cwd: ROOT, encoding: 'utf8' });
    assert.deepEqual(out.trim().split('\n').map((l) => [JSON.parse(l).label, JSON.parse(l).step]), [['short', 0], ['short', 1]], name);
  }

  // A PNG of the loss chart: the chart with its title, run, legend and explanation composed around it.
  const chart = page.locator('[data-testid="loss-chart"] canvas').first();
  await chart.scrollIntoViewIfNeeded();
  const box = await chart.boundingBox();
  const png = await download(page, '[data-testid="png-loss-chart"]');
  assert.equal(png.name, 'gradscope-loss-chart.png');
  const img = readPng(png.data);
  const said = JSON.parse(await page.getAttribute('[data-testid="png-loss-chart"]', 'data-png'));
  assert.match(said.title, /^Loss/);
  assert.equal(said.run, 'run “short”');
  assert.match(said.config, /^moons · mlp 3 layers of 16 relu · he_normal · sgd lr 0\.01/);
  assert.match(said.explain, /loss/i);
  assert.deepEqual(said.legend, ['short batch loss', 'short test loss']);
  assert.equal(img.width, said.width * 2);
  assert.equal(img.height, said.height * 2);
  assert.ok(said.height > box.height + 80, `room for the text around the chart: ${said.height} vs chart ${box.height}`);
  assert.equal(img.text.Title, `${said.title} — run “short”`);
  assert.match(img.text.Description, /moons · mlp/);
  assert.deepEqual(parseFragment(img.text.Source).experiment, { ok: true, value: shown }, 'the PNG names its experiment');

  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test(`a ${LONG_STEPS}-step run: the JSON and CSV exports hold every step`, async () => {
  const exp = { v: 1, runs: [{ label: 'long', train: { steps: LONG_STEPS } }] };
  const { page, log, context } = await open(link(exp));
  const t0 = Date.now();
  await page.click('[data-testid="train-toggle"]');
  await allDone(page, 1).catch(async (e) => {
    throw new Error(`${e.message} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(`# ${LONG_STEPS} steps of the default net on wasm in ${seconds.toFixed(0)} s\n`);

  const json = await download(page, '[data-testid="export-json"]');
  const doc = JSON.parse(json.data.toString('utf8'));
  assert.deepEqual(doc.experiment, await experiment(page));
  assert.equal(doc.runs[0].keptEvery, 1, 'nothing thinned');
  assert.equal(doc.runs[0].note, undefined);
  const steps = stepsOf(doc.runs[0].records, 0);
  assert.equal(steps.length, LONG_STEPS);
  assert.ok(steps.every((s, k) => s === k), 'steps 0..N−1 in order');

  const csv = await download(page, '[data-testid="export-csv"]');
  const { first, rows } = readCsv(csv.data.toString('utf8'));
  assert.match(first, /^# experiment: \S+$/, 'no note about missing steps');
  assert.equal(rows.length, LONG_STEPS);
  assert.ok(rows.every((r, k) => Number(r.step) === k));
  process.stdout.write(`# exports: JSON ${(json.data.length / 2 ** 20).toFixed(1)} MiB, CSV ${(csv.data.length / 2 ** 20).toFixed(1)} MiB\n`);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a sweep cell opens its trial as an added run, not started, as a history entry that Back undoes', async () => {
  const sweep = {
    v: 1,
    base: { seed: 1, data: { name: 'moons', samples: 128 }, model: { hidden: [8, 8] }, train: { batchSize: 16, evalEvery: 0 } },
    params: [
      { path: 'optimizer.lr', scale: 'log', min: 0.01, max: 1, steps: 2 },
      { path: 'model.initGain', scale: 'log', min: 0.5, max: 2, steps: 2 },
    ],
    method: 'grid',
    stepsPerTrial: 20,
    objective: 'final_loss',
  };
  const exp = { v: 1, runs: [{ label: 'mine', seed: 5, train: { steps: 40 } }] };
  const { page, log, context } = await open(link(exp, `&sweep=${encodeURIComponent(JSON.stringify(sweep))}`));
  // The page's own run trains first: opening a trial must leave it as it is.
  await page.click('[data-testid="train-toggle"]');
  await allDone(page, 1);
  await page.click('[data-testid="sweep-start"]');
  await waitFor(page, 'the sweep', () => document.querySelector('[data-testid="sweep-status"]')?.getAttribute('data-status') === 'done');
  assert.equal(await page.locator('[data-testid="sweep-cell"]').count(), 4);
  // Round ticks on the axes and the colour bar, which says which end is better.
  assert.equal(await page.getAttribute('[data-testid="sweep-axis-x"]', 'data-ticks'), '0.01 0.1 1');
  assert.equal(await page.getAttribute('[data-testid="sweep-axis-y"]', 'data-ticks'), '0.5 1 2');
  assert.match(await page.textContent('[data-testid="sweep-legend"]'), /better.*darker is better/s);

  await page.waitForTimeout(500); // the URL's debounced write
  const before = await experiment(page);
  const hashBefore = await page.evaluate(() => location.hash);
  const historyBefore = await page.evaluate(() => history.length);

  const cell = page.locator('[data-testid="sweep-cell"][data-index="3"]');
  await cell.click();
  await waitFor(page, 'the trial as a second run', () => window.gradscope.store.getState().experiment.runs.length === 2);
  const after = await experiment(page);
  assert.deepEqual(after.runs[0], before.runs[0], 'the page’s run is kept');
  assert.match(after.runs[1].label, /^#4 lr 1 gain 2/);
  assert.equal(after.runs[1].optimizer.lr, 1);
  assert.equal(after.runs[1].model.initGain, 2);
  assert.equal(after.runs[1].train.steps, 20);
  await page.waitForTimeout(1500);
  assert.deepEqual(await texts(page, 'run-status'), ['done', 'idle'], 'the trial is not started, the first run not reset');
  assert.deepEqual(await texts(page, 'step-count'), ['40', '0']);
  assert.match(await page.textContent('[data-testid="sweep-opened"]'), /Trial #4 added as run .*not started/);
  assert.equal(await page.evaluate(() => history.length), historyBefore + 1, 'a history entry');
  assert.notEqual(await page.evaluate(() => location.hash), hashBefore);

  await page.goBack();
  await waitFor(page, 'Back to one run', () => window.gradscope.store.getState().experiment.runs.length === 1);
  assert.deepEqual(await experiment(page), before, 'Back restores the runs before');
  assert.equal(await page.evaluate(() => location.hash), hashBefore);
  assert.equal(await page.locator('[data-testid="sweep-cell"]').count(), 4, 'the sweep stays on the page');
  await page.goForward();
  await waitFor(page, 'Forward to two runs', () => window.gradscope.store.getState().experiment.runs.length === 2);

  // Up to four runs; then the page says so and offers the trial's link.
  for (const i of [0, 1]) await page.locator(`[data-testid="sweep-cell"][data-index="${i}"]`).click();
  await waitFor(page, 'four runs', () => window.gradscope.store.getState().experiment.runs.length === 4);
  const full = await page.evaluate(() => history.length);
  await page.locator('[data-testid="sweep-cell"][data-index="2"]').click();
  await waitFor(page, 'the note', () => /already trains 4 runs/.test(document.querySelector('[data-testid="sweep-opened"]')?.textContent ?? ''));
  assert.equal((await experiment(page)).runs.length, 4);
  assert.equal(await page.evaluate(() => history.length), full, 'no entry when nothing changed');
  const href = await page.getAttribute('[data-testid="sweep-open-tab"]', 'href');
  assert.equal(await page.getAttribute('[data-testid="sweep-open-tab"]', 'target'), '_blank');
  const trial = parseFragment(href).experiment;
  assert.ok(trial.ok);
  assert.match(trial.value.runs[0].label, /^#3 lr 0\.01 gain 2/);

  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});
