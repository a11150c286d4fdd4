// Regenerates docs/screenshots/ from the built app (run `npx vite build` first):
//
//   node tests/e2e/screenshots.mjs
//
// The page as a lecture shows it, on the wasm backend: the starting experiment
// after it has trained (default*.png, phone.png) and the "Rescue it with
// clipping" preset with its first run diverged beside the clipped one
// (diverged*.png), each on a 1280×720 screen, on the same screen at 150% zoom
// (an 853×480 CSS viewport at device scale 1.5: a projector as a lecturer
// sets it) and on a 390×844 phone. The charts must be on the first screen of
// every one of them (tests/e2e/lecture.test.mjs checks it).
// The network view alone (network*.png): the "Explode a deep ReLU net" preset
// after three single steps, the unit signals growing toward the input.
// `node tests/e2e/screenshots.mjs network` makes only those (the scene names).
// GRADSCOPE_DIST overrides the built app's folder, SHOTS_DIR the output folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, serveDir } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const DIST = process.env.GRADSCOPE_DIST || join(ROOT, 'dist');
const OUT = process.env.SHOTS_DIR || join(ROOT, 'docs', 'screenshots');
const T = 180_000;

export const SCREENS = [
  { suffix: '', viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 },
  { suffix: '-zoom150', viewport: { width: 853, height: 480 }, deviceScaleFactor: 1.5 },
  { suffix: '-phone', viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 },
];

const SCENES = [
  { name: 'default', preset: null },
  { name: 'diverged', preset: 'clip-rescue' },
  { name: 'network', preset: 'explode', steps: 3, element: '[data-testid="network-view"]' },
];

/** Every run stopped by itself: done, or diverged (then the others done or far enough along). */
function finished(page) {
  return page.waitForFunction(
    () => {
      const st = [...document.querySelectorAll('[data-testid="run-status"]')].map((e) => e.textContent);
      return st.length > 0 && st.every((s) => s === 'done' || s === 'diverged');
    },
    null,
    { timeout: T, polling: 250 },
  );
}

async function scene(browser, server, { name, preset, steps, element }, screen) {
  const context = await browser.newContext({ viewport: screen.viewport, deviceScaleFactor: screen.deviceScaleFactor });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}#backend=wasm`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'wasm', null, { timeout: T });
    if (preset) {
      await page.click(`[data-testid="preset-${preset}"]`);
      await page.waitForFunction((id) => document.querySelector('[data-testid="preset-note"]')?.getAttribute('data-preset') === id, preset, { timeout: T });
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="backend"]')].every((e) => e.textContent === 'wasm'), null, { timeout: T });
    }
    if (steps) {
      for (let i = 1; i <= steps; i++) {
        await page.click('[data-testid="step-once"]');
        await page.waitForFunction((n) => document.querySelector('[data-testid="step-count"]')?.textContent === String(n), i, { timeout: T });
      }
      // A chart off screen does not redraw: bring the view into sight first.
      await page.locator(element).scrollIntoViewIfNeeded();
      await page.waitForFunction((n) => document.querySelector(`[data-testid="network-view"] canvas`)?.dataset.step === String(n), steps, { timeout: T });
    } else {
      await page.click('[data-testid="train-toggle"]');
      await finished(page);
    }
    // Back to the first screen; the preset row back to its start; charts that come into view redraw.
    await page.evaluate(() => {
      window.scrollTo(0, 0);
      document.querySelector('.preset-list')?.scrollTo(0, 0);
      document.activeElement?.blur?.();
    });
    await page.mouse.move(0, 0);
    await page.waitForTimeout(800);
    const file = join(OUT, `${name}${screen.suffix}.png`);
    // The phone shot of the default page keeps its old name.
    const path = name === 'default' && screen.suffix === '-phone' ? join(OUT, 'phone.png') : file;
    if (element) {
      // The sticky training bar would cover part of an element taller than the window.
      await page.addStyleTag({ content: '.toolbar { position: static !important; }' });
      await page.locator(element).scrollIntoViewIfNeeded();
      await page.waitForTimeout(500);
      await page.locator(element).screenshot({ path });
    } else await page.screenshot({ path });
    process.stdout.write(`wrote ${path}\n`);
  } finally {
    await context.close();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const server = await serveDir(DIST, { isolate: false });
  const browser = await launchChromium({ webgpu: false });
  try {
    const only = process.argv.slice(2);
    for (const s of SCENES) if (!only.length || only.includes(s.name)) for (const screen of SCREENS) await scene(browser, server, s, screen);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
