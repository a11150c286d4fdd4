// The page in a lecture room, in real Chromium on the wasm backend: the first
// screen at projector, zoomed-projector and phone sizes, the keyboard, the
// presentation mode, the starting experiment, the run panel's messages, the
// favicon and no emoji.
//
//   npx vite build && node --test tests/e2e/lecture.test.mjs
//
// GRADSCOPE_DIST overrides the built app's folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.GRADSCOPE_DIST || join(ROOT, 'dist');
const T = 180_000; // generous: the browser shares two cores with the wasm workers

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

/** 1280×720; the same at 150% zoom (853×480 CSS px at device scale 1.5); a phone. */
const SCREENS = [
  { name: '1280×720', viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 },
  { name: '853×480 (1280×720 at 150%)', viewport: { width: 853, height: 480 }, deviceScaleFactor: 1.5 },
  { name: '390×844 phone', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 },
];

async function open(hash = '#backend=wasm', screen = SCREENS[0], context = null) {
  const ctx = context ?? (await browser.newContext({ viewport: screen.viewport, deviceScaleFactor: screen.deviceScaleFactor }));
  const page = await ctx.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${hash}`, { waitUntil: 'load' });
  await page.waitForFunction(() => (document.querySelector('[data-testid="backend"]')?.textContent ?? '…') === 'wasm', null, { timeout: T });
  return { page, log, context: ctx };
}

const texts = (page, id) => page.locator(`[data-testid="${id}"]`).allTextContents();
const steps = async (page) => (await texts(page, 'step-count')).map(Number);
const status = async (page) => (await texts(page, 'run-status'))[0];

async function waitFor(page, what, fn, arg, timeout = T) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: steps ${await steps(page)}, status ${await texts(page, 'run-status')}`, { cause: e });
  }
}
const statusIs = (page, st) => waitFor(page, `status ${st}`, (s) => document.querySelector('[data-testid="run-status"]')?.textContent === s, st);
const stepIs = (page, n) => waitFor(page, `step ${n}`, (k) => Number(document.querySelector('[data-testid="step-count"]')?.textContent) === k, n);

/** Where the first chart and the Train button are, at the top and after scrolling down. */
async function firstScreen(page) {
  return page.evaluate(async () => {
    const chart = document.querySelector('.charts .chart');
    const train = document.querySelector('[data-testid="train-toggle"]');
    const top = window.scrollY;
    const chartTop = chart.getBoundingClientRect().top;
    window.scrollTo(0, document.documentElement.scrollHeight);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const b = train.getBoundingClientRect();
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    const scrolled = window.scrollY;
    window.scrollTo(0, top);
    return {
      chartTop,
      innerHeight: window.innerHeight,
      scrolled,
      trainTop: b.top,
      trainBottom: b.bottom,
      trainOnTop: hit === train || train.contains(hit),
    };
  });
}

test('charts on the first screen at 1280×720, at 150% zoom and on a phone; Train stays in reach after scrolling', async () => {
  for (const screen of SCREENS) {
    const { page, log, context } = await open('#backend=wasm', screen);
    for (const preset of [null, 'clip-rescue']) {
      if (preset) {
        await page.click(`[data-testid="preset-${preset}"]`);
        await waitFor(page, preset, (id) => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === id, preset);
      }
      const where = `${screen.name}${preset ? `, preset ${preset}` : ''}`;
      const s = await firstScreen(page);
      assert.ok(s.chartTop < s.innerHeight, `${where}: the first chart starts at ${Math.round(s.chartTop)} px, below the ${s.innerHeight} px window`);
      // the chart's caption and some of its plot are visible, not just its top border
      assert.ok(s.chartTop + 80 < s.innerHeight, `${where}: the first chart shows (top at ${Math.round(s.chartTop)} of ${s.innerHeight})`);
      assert.ok(s.scrolled > 300, `${where}: the page scrolls (${s.scrolled} px)`);
      assert.ok(s.trainTop >= 0 && s.trainBottom <= s.innerHeight && s.trainOnTop, `${where}: Train in view and on top after scrolling: ${JSON.stringify(s)}`);
    }
    // nothing wider than the screen
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${screen.name}: no horizontal scrolling (overflow ${overflow})`);
    assert.deepEqual(log.errors, [], log.dump());
    await context.close();
  }
});

test('keyboard: after a click on Train, Pause or Step, Space toggles (never re-presses the button), S and capital S step, R resets; not while typing', async () => {
  const { page, log, context } = await open();
  // Step, then Space with the Step button focused: training starts (no second step from a re-press)
  await page.click('[data-testid="step-once"]');
  await stepIs(page, 1);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'step-once');
  await page.keyboard.press('Space');
  await statusIs(page, 'training');
  // Pause with a click: the Train/Pause button keeps the focus
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 'paused');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'train-toggle');
  const n = (await steps(page))[0];
  await page.keyboard.press('Shift+KeyS');
  await stepIs(page, n + 1);
  await page.keyboard.press('s');
  await stepIs(page, n + 2);
  await page.keyboard.press('r');
  await stepIs(page, 0);
  await statusIs(page, 'idle');
  await page.keyboard.press('R'); // capital R resets too (nothing to undo here)
  // Train by click, then Space on the focused button pauses, and stays paused
  await page.click('[data-testid="train-toggle"]');
  await statusIs(page, 'training');
  await page.keyboard.press('Space');
  await statusIs(page, 'paused');
  await page.waitForTimeout(800);
  assert.equal(await status(page), 'paused', 'Space pressed the focused Train button again');
  // typing in a text box or a number box is typing
  const before = { steps: await steps(page), status: await status(page) };
  await page.click('[data-testid="run0-label"]');
  await page.keyboard.type(' rs S R');
  await page.click('[data-testid="run0-seed"]');
  await page.keyboard.press('s');
  await page.keyboard.press('Space');
  await page.waitForTimeout(800);
  assert.deepEqual({ steps: await steps(page), status: await status(page) }, before, 'no shortcut while typing');
  assert.equal(await page.evaluate(() => window.gradscope.store.getState().experiment.runs[0].label), 'A rs S R');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('presentation mode: larger text, remembered in this browser, not put in the share link', async () => {
  const { page, log, context } = await open();
  const look = () =>
    page.evaluate(() => ({
      on: document.documentElement.classList.contains('presentation'),
      rootPx: parseFloat(getComputedStyle(document.documentElement).fontSize),
      pressed: document.querySelector('[data-testid="presentation"]').getAttribute('aria-pressed'),
      legendPx: parseFloat(getComputedStyle(document.querySelector('.chart figcaption')).fontSize),
    }));
  const off = await look();
  assert.equal(off.on, false);
  assert.ok(off.legendPx >= 13, `chart captions at least 13 px (${off.legendPx})`);
  await page.click('[data-testid="presentation"]');
  const on = await look();
  assert.deepEqual([on.on, on.pressed], [true, 'true']);
  assert.ok(on.rootPx >= off.rootPx * 1.2, `larger text: ${off.rootPx} → ${on.rootPx} px`);
  assert.ok(on.legendPx > off.legendPx, `larger chart captions: ${off.legendPx} → ${on.legendPx} px`);
  await page.waitForTimeout(400);
  const hash = await page.evaluate(() => location.hash);
  assert.doesNotMatch(hash, /present/i, 'a share link is about the experiment, not the screen');
  // a new page in the same browser: still presenting; switched off: stays off
  const { page: p2 } = await open('#backend=wasm', SCREENS[0], context);
  assert.equal(await p2.evaluate(() => document.documentElement.classList.contains('presentation')), true);
  await p2.click('[data-testid="presentation"]');
  const { page: p3 } = await open('#backend=wasm', SCREENS[0], context);
  assert.equal(await p3.evaluate(() => document.documentElement.classList.contains('presentation')), false);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('the starting page learns: test accuracy above 0.8 within 600 steps (wasm), with the next preset one click away', async () => {
  const { page, log, context } = await open();
  // the first screen says what to try next, one click away
  const next = page.locator('[data-testid="preset-next"]');
  assert.match(await next.textContent(), /^Next: /);
  assert.ok(await next.isVisible());
  await page.click('[data-testid="train-toggle"]');
  await waitFor(page, 'test accuracy', () => {
    const el = document.querySelector('[data-testid="last-test-acc"]');
    const st = document.querySelector('[data-testid="run-status"]')?.textContent;
    return (el && Number(el.dataset.value) > 0.8) || st === 'done' || Number(document.querySelector('[data-testid="step-count"]')?.textContent) > 600;
  });
  const acc = await page.locator('[data-testid="last-test-acc"]').evaluate((el) => ({ value: Number(el.dataset.value), step: Number(el.dataset.step), text: el.textContent }));
  assert.ok(acc.value > 0.8 && acc.step <= 600, `test accuracy ${acc.value} at step ${acc.step}`);
  assert.match(acc.text, /^\d+\.\d%$/);
  assert.match(await page.textContent('.run-summary'), /batch acc [\d.]+%.*test acc [\d.]+%/);
  // the next preset explodes
  await next.click();
  await waitFor(page, 'explode preset', () => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === 'explode');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('run panel: plain-word messages once, a negative learning rate refused, set all widths, why Duplicate is off at 4 runs, whole labels', async () => {
  const { page, log, context } = await open();
  const exp = () => page.evaluate(() => window.gradscope.store.getState().experiment);
  await page.fill('[data-testid="run0-lr"]', '-0.1');
  const err = page.locator('.run-panel .field-error');
  await err.first().waitFor({ timeout: 10_000 });
  assert.equal(await err.count(), 1, 'one message');
  assert.match(await err.first().textContent(), /^Learning rate: must be a number 0\.\.1000, got -0\.1$/);
  assert.equal((await exp()).runs[0].optimizer.lr, 0.01, 'refused');
  assert.doesNotMatch(await page.textContent('body'), /runs\[\d\]/, 'no field paths in the page');
  await page.click('h1'); // blur: the box shows the value in use again
  assert.equal(await page.inputValue('[data-testid="run0-lr"]'), '0.01');

  // one width for every hidden layer
  await page.locator('.run-panel summary', { hasText: 'Model' }).scrollIntoViewIfNeeded();
  await page.fill('[data-testid="run0-all-widths"]', '40');
  assert.deepEqual((await exp()).runs[0].model.hidden, [40, 40, 40]);
  await page.fill('[data-testid="run0-hidden-1"]', '8');
  assert.equal(await page.inputValue('[data-testid="run0-all-widths"]'), '', 'mixed widths: no single value');

  // a long label is shown whole
  const label = 'Adam lr 0.01, He init, no clipping';
  await page.fill('[data-testid="run0-label"]', label);
  const fits = await page.locator('[data-testid="run0-label"]').evaluate((el) => el.scrollWidth <= el.clientWidth + 1);
  assert.ok(fits, 'the label is not cut off');

  // four runs: why Duplicate and Compare are off
  for (let k = 0; k < 3; k++) await page.click('[data-testid="add-run"]');
  await waitFor(page, 'four runs', () => document.querySelectorAll('[data-testid="run-status"]').length === 4);
  assert.equal(await page.isDisabled('[data-testid="run0-duplicate"]'), true);
  assert.equal(await page.isDisabled('[data-testid="run0-compare-clip"]'), true);
  assert.match(await page.textContent('[data-testid="runs-full"]'), /4 runs is the most/);
  assert.match(await page.getAttribute('[data-testid="run0-duplicate"]', 'title'), /4 runs is the most/);
  assert.match(await page.getAttribute('[data-testid="add-run"]', 'title'), /4 runs is the most/);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a favicon loads (no 404 on load) and the page has no emoji characters', async () => {
  const { page, log, context } = await open();
  await page.waitForTimeout(1000);
  const icon = await page.evaluate(async () => {
    const link = document.querySelector('link[rel~="icon"]');
    if (!link) return null;
    const r = await fetch(link.href);
    return { href: link.href, status: r.status, type: r.headers.get('content-type') };
  });
  assert.ok(icon, 'a <link rel="icon">');
  assert.deepEqual([icon.status, icon.type], [200, 'image/svg+xml'], JSON.stringify(icon));
  const missing = server.requests.filter((r) => r.status === 404);
  assert.deepEqual(missing, [], 'no request of the page got a 404');
  // Emoji and pictographs (🔗 ⬇ ▶ ⚠) need an emoji font: none in the page's text or its buttons' labels
  const pictographs = await page.evaluate(() => {
    const text = [document.body.textContent, ...[...document.querySelectorAll('[title],[aria-label]')].map((e) => `${e.getAttribute('title') ?? ''} ${e.getAttribute('aria-label') ?? ''}`)].join(' ');
    return [...new Set(text.match(/\p{Extended_Pictographic}/gu) ?? [])];
  });
  assert.deepEqual(pictographs, []);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});
