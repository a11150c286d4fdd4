// Your own data in real Chromium (wasm backend): a CSV chosen with the file
// picker trains and travels in the share link; a bad file is refused naming
// the row and column and changes nothing; a file dropped on the drop zone is
// read the same way; the digits preview loads the digits file.
//
//   npx vite build && node --test tests/e2e/data.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

// A regression: y = 2a − b, 40 rows.
const REG = `a,b,y\n${Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 11},${2 * (i % 7) - ((i * 3) % 11) + i / 50}`).join('\n')}\n`;
// Three classes.
const CLS = `x1,x2,label\n${Array.from({ length: 30 }, (_, i) => `${Math.sin(i).toFixed(3)},${Math.cos(i).toFixed(3)},${['red', 'green', 'blue'][i % 3]}`).join('\n')}\n`;
const config = (page) => page.evaluate(() => window.gradscope.store.getState().experiment.runs[0]);

test('CSV by file picker and by drag and drop: checked, previewed, trained, in the link', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  try {
    await page.goto(`${server.url}#backend=wasm`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'wasm', null, { timeout: T });
    await page.selectOption('[data-testid="run0-dataset"]', 'csv');
    await page.waitForSelector('[data-testid="run0-csv-file-input"]', { timeout: T });

    // The file picker: a bad file is refused, naming the row and column; the run keeps its settings.
    const before = await config(page);
    await page.setInputFiles('[data-testid="run0-csv-file-input"]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,y\n1,2,0\n3,oops,1\n') });
    await page.waitForSelector('[data-testid="run0-csv-error"]', { timeout: T });
    assert.equal(await page.textContent('[data-testid="run0-csv-error"]'), 'bad.csv: row 3, column "b": "oops" is not a number');
    assert.deepEqual(await config(page), before);

    // A good one: the preview shows its rows, the run trains a few steps, scored by R².
    await page.setInputFiles('[data-testid="run0-csv-file-input"]', { name: 'reg.csv', mimeType: 'text/csv', buffer: Buffer.from(REG) });
    await page.waitForSelector('[data-testid="run0-data-preview"][data-kind="table"][data-task="regression"]', { timeout: T });
    assert.equal((await config(page)).data.csv.name, 'reg.csv');
    assert.equal(await page.$('[data-testid="run0-csv-error"]'), null, 'the earlier error is gone');
    for (let k = 1; k <= 3; k++) {
      await page.click('[data-testid="step-once"]');
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= n, k, { timeout: T });
    }
    assert.match(await page.textContent('.latest'), /batch R²/);
    // The link carries the file; opening it restores the same run.
    await page.waitForFunction(() => /&csv=/.test(location.hash), null, { timeout: T });
    const url = await page.evaluate(() => location.href);
    const other = await context.newPage();
    await other.goto(url, { waitUntil: 'load' });
    await other.waitForSelector('[data-testid="run0-data-preview"][data-kind="table"]', { timeout: T });
    assert.equal((await config(other)).data.csv.text, REG);
    await other.close();

    // Drag and drop: a classification file replaces it (a new model, so the page asks first).
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'colours.csv', { type: 'text/csv' }));
      const zone = document.querySelector('[data-testid="run0-csv-drop"]');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, CLS);
    await page.waitForSelector('[data-testid="run0-pending"]', { timeout: T });
    await page.click('[data-testid="run0-restart-pending"]');
    await page.waitForSelector('[data-testid="run0-data-preview"][data-kind="table"][data-task="classification"]', { timeout: T });
    assert.equal((await config(page)).data.csv.name, 'colours.csv');

    // The digits: the preview fetches the digits file and shows examples of every class.
    await page.selectOption('[data-testid="run0-dataset"]', 'digits');
    const pending = await page.$('[data-testid="run0-restart-pending"]');
    if (pending) await pending.click();
    await page.waitForSelector('[data-testid="run0-data-preview"][data-kind="images"][data-count="20"]', { timeout: T });
    // ... and the worker fetches it too: the MLP trains a step on 196 inputs.
    await page.click('[data-testid="step-once"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 1, null, { timeout: T });
    assert.equal(await page.evaluate(() => window.gradscope.store.getState().runtime[0].error ?? null), null);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
  }
});
