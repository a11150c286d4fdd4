// Reliability in the page: four runs with two diverging, a hidden tab, labels
// from a link rendered as text, a config too large for a tab. Runs on wasm
// (fast and deterministic here); WebGPU and the fallbacks are covered in
// app.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';
import { launchChromium, serveDir, watchPage } from './harness.mjs';

register();
const { estimateExperiment, resourceVerdict } = await import('../../src/engine/estimate.ts');
const { experimentOrThrow } = await import('../../src/engine/config.ts');

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

const cli = (args) => execFileSync(process.execPath, [join(ROOT, 'bin', 'gradscope.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });

async function openExperiment(exp, { waitBackend = true, backend = 'wasm' } = {}) {
  const url = cli(['url', JSON.stringify(exp), '--base', server.url]).trim();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(`${server.url}${url.slice(url.indexOf('#'))}&backend=${backend}`, { waitUntil: 'load' });
  if (waitBackend) await page.waitForFunction((b) => document.querySelector('[data-testid="backend"]')?.textContent === b, backend, { timeout: 120_000 });
  return { page, log, context };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url, ms) {
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() - t0 > ms) throw new Error(`no server at ${url} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const texts = (page, id) => page.locator(`[data-testid="${id}"]`).allTextContents();
const steps = async (page) => (await texts(page, 'step-count')).map(Number);

test('four runs, two diverging: those two stop at their step with a banner, the other two keep training', async () => {
  const explode = { model: { hidden: [32, 32, 32, 32, 32, 32], init: 'normal', initGain: 3 }, optimizer: { lr: 2 }, train: { steps: 100000 } };
  const runs = [
    { ...explode, label: 'boom 1', seed: 1 },
    { label: 'calm 1', seed: 1, train: { steps: 100000 } },
    { ...explode, label: 'boom 2', seed: 2 },
    { ...explode, label: 'clipped', seed: 1, stabilizers: { clip: { mode: 'global_norm', threshold: 1 } } },
  ];
  const { page, log, context } = await openExperiment({ v: 1, runs });
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('[data-testid="run-status"]')].map((e) => e.textContent);
    return s[0] === 'diverged' && s[2] === 'diverged';
  }, null, { timeout: 120_000, polling: 250 });
  const at = await steps(page);
  const banners = await texts(page, 'diverged-banner');
  assert.equal(banners.length, 2);
  for (const b of banners) assert.match(b, /Diverged at step \d+: /);
  await page.waitForFunction((n) => {
    const c = [...document.querySelectorAll('[data-testid="step-count"]')].map((e) => Number(e.textContent));
    return c[1] > n[1] + 20 && c[3] > n[3] + 20;
  }, at, { timeout: 120_000, polling: 250 });
  const now = await steps(page);
  assert.equal(now[0], at[0], 'a diverged run does not step on');
  assert.equal(now[2], at[2]);
  const status = await texts(page, 'run-status');
  assert.deepEqual([status[1], status[3]], ['training', 'training']);
  // the workers of the diverged runs are healthy: a reset trains them again
  const tensors = await page.evaluate(() => Promise.all([0, 2].map((i) => window.gradscope.runClient.memory(i).then((m) => m.numTensors))));
  assert.ok(tensors.every((n) => n > 0 && n < 1000), `diverged workers hold a bounded set of tensors: ${tensors}`);
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a hidden tab trains slowly and catches up on nothing; shown again, it trains at full speed', async () => {
  const { page, log, context } = await openExperiment({ v: 1, runs: [{ label: 'A', train: { steps: 1000000 } }] });
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) > 30, null, { timeout: 60_000 });
  const rate = async (ms) => {
    const a = (await steps(page))[0];
    await page.waitForTimeout(ms);
    return ((await steps(page))[0] - a) / (ms / 1000);
  };
  const visible = await rate(3000);
  const setHidden = (hidden) =>
    page.evaluate((h) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  await page.waitForTimeout(1000);
  const hidden = await rate(4000);
  // count record batches delivered in the first second after the tab is shown again
  await page.evaluate(() => {
    window.__batches = 0;
    const rc = window.gradscope.runClient;
    const w = rc.handles.get(0).worker;
    w.addEventListener('message', (e) => e.data.type === 'records' && window.__batches++);
  });
  await setHidden(false);
  await page.waitForTimeout(1000);
  const batches = await page.evaluate(() => window.__batches);
  const shown = await rate(3000);
  process.stdout.write(`# hidden tab: ${visible.toFixed(1)} steps/s visible, ${hidden.toFixed(1)} hidden, ${shown.toFixed(1)} shown again; ${batches} record batches in the first second back\n`);
  // a tenth of the time while hidden (the bounds leave room for a busy machine)
  assert.ok(hidden < visible / 2.5, `hidden tab throttles (${hidden} vs ${visible} steps/s)`);
  assert.ok(shown > hidden * 2, `shown again, it speeds up (${shown} vs ${hidden})`);
  assert.ok(batches <= 40, `no burst of queued messages (${batches} batches in a second)`);
  assert.equal((await texts(page, 'run-status'))[0], 'training');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('labels from a link render as text, never as HTML', async () => {
  const label = '<img src=x onerror="window.__pwned=1">';
  const { page, log, context } = await openExperiment({ v: 1, runs: [{ label }] });
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  const shown = await page.evaluate(() => document.body.textContent.includes('<img src=x onerror="window.__pwned=1">'));
  assert.ok(shown, 'the label is shown as its text');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('a config too large for a tab is not built; the user can build it anyway', async () => {
  const huge = { label: 'huge', data: { samples: 512 }, model: { hidden: Array(64).fill(1024) }, optimizer: { name: 'adam' }, train: { batchSize: 4096 } };
  const { page, log, context } = await openExperiment({ v: 1, runs: [huge] }, { waitBackend: false });
  await page.waitForSelector('[data-testid="run-error"]');
  const msg = await page.textContent('[data-testid="run-error"]');
  assert.match(msg, /Not built: about [\d.]+ [GM]iB of memory at a step's peak/);
  assert.notEqual(await page.getAttribute('[data-testid="run0-resources"]', 'data-level'), 'ok', 'the resource note warns');
  await page.click('[data-testid="train-toggle"]');
  await page.waitForTimeout(500);
  assert.equal((await steps(page))[0], 0, 'nothing trains');
  const restart = page.locator('[data-testid="restart-run"]');
  assert.equal(await restart.textContent(), 'Build it anyway');
  assert.deepEqual(log.errors, [], log.dump());
  await context.close();
});

test('the largest MLP of 1024-wide layers the estimate calls "ok" trains 3 steps without error on wasm and on cpu', async () => {
  const mlp = (depth) => experimentOrThrow({ v: 1, runs: [{ label: `${depth}×1024`, data: { samples: 512 }, model: { hidden: Array(depth).fill(1024) }, train: { batchSize: 32 } }] });
  let depth = 1;
  while (resourceVerdict(estimateExperiment(mlp(depth + 1))).level === 'ok') depth++;
  const est = estimateExperiment(mlp(depth));
  assert.notEqual(resourceVerdict(estimateExperiment(mlp(depth + 1))).level, 'ok');
  for (const backend of ['wasm', 'cpu']) {
    const { page, log, context } = await openExperiment(mlp(depth), { backend });
    assert.equal(await page.getAttribute('[data-testid="run0-resources"]', 'data-level'), 'ok');
    const t0 = Date.now();
    for (let k = 1; k <= 3; k++) {
      await page.evaluate(() => document.querySelector('[data-testid="step-once"]').click());
      await page.waitForFunction(
        (k) => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= k || !!document.querySelector('[data-testid="run-error"]'),
        k,
        { timeout: 240_000, polling: 250 },
      );
    }
    assert.equal(await page.locator('[data-testid="run-error"]').count(), 0, await page.locator('[data-testid="run-error"]').first().textContent().catch(() => ''));
    assert.equal((await steps(page))[0], 3);
    process.stdout.write(`# largest "ok" MLP: ${depth} × 1024, batch 32, sgd (estimated peak ${(est.peakBy[backend] / 2 ** 20).toFixed(0)} MiB on ${backend}): 3 steps in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    assert.deepEqual(log.errors, [], log.dump());
    await context.close();
  }
});

test('a strict Content-Security-Policy: training on wasm runs under it; inline scripts and eval are blocked', async () => {
  const { page, log, context } = await openExperiment({ v: 1, runs: [{ label: 'A', train: { steps: 40 } }] });
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.match(csp, /worker-src 'self'/);
  assert.doesNotMatch(csp, /'unsafe-eval'|script-src[^;]*unsafe-inline/);
  await page.evaluate(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.click('[data-testid="train-toggle"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'done', null, { timeout: 60_000 });
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'the app itself needs nothing the policy forbids');
  assert.deepEqual(log.errors, [], log.dump());
  assert.deepEqual(log.external, [], 'no third-party requests');
  const blocked = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.head.appendChild(s);
    // eval from a task of the page's own (code run directly by the test harness is exempt)
    const evalResult = await new Promise((r) =>
      setTimeout(() => {
        try {
          r(String((0, eval)('1 + 1')));
        } catch (e) {
          r(e.name);
        }
      }, 0),
    );
    await new Promise((r) => setTimeout(r, 100));
    return { inline: window.__inline ?? null, evalResult, violations: window.__violations.length };
  });
  assert.equal(blocked.inline, null, 'an injected inline script does not run');
  assert.equal(blocked.evalResult, 'EvalError', 'eval is refused');
  assert.ok(blocked.violations >= 1);
  await context.close();
});

test('without WebGPU and without WebGL the app falls back to wasm and cpu, says why, trains on the faster', async () => {
  const bare = await launchChromium({ webgpu: false, extraArgs: ['--disable-gpu', '--disable-software-rasterizer'] });
  try {
    const context = await bare.newContext();
    const page = await context.newPage();
    const log = await watchPage(page);
    await page.goto(`${server.url}#backend=fastest`, { waitUntil: 'load' });
    await page.waitForFunction(() => ['wasm', 'cpu'].includes(document.querySelector('[data-testid="backend"]')?.textContent), null, { timeout: 120_000 });
    const attempts = await page.evaluate(() => window.gradscope.store.getState().runtime[0].attempts.map((a) => `${a.backend}: ${a.ok ? 'ok' : a.reason}`));
    assert.match(attempts.join(' | '), /^webgpu: .+ \| webgl: .+ \| wasm: ok \| cpu: ok$/, attempts.join(' | '));
    // "fastest" timed both CPU backends and trains on the faster one.
    const speeds = await page.evaluate(() => window.gradscope.store.getState().runtime[0].speeds);
    assert.deepEqual(speeds.map((s) => s.backend).sort(), ['cpu', 'wasm']);
    assert.equal(await page.textContent('[data-testid="backend"]'), speeds[0].backend);
    assert.match(await page.textContent('[data-testid="backend-reason"]'), /WebGPU.*; .*WebGL/, 'both reasons are shown');
    await page.click('[data-testid="train-toggle"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 5, null, { timeout: 60_000 });
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await bare.close();
  }
});

/** Loads the app from `base`, waits for the service worker's precache, goes offline, reloads and trains. */
async function offlineCheck(base) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const log = await watchPage(page);
    await page.goto(`${base}#backend=wasm`, { waitUntil: 'load' });
    const cached = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      // ready resolves once a worker is active, which may still be 'activating'
      // (clearing old caches, claiming clients): wait for 'activated'.
      const sw = reg.active;
      if (sw && sw.state !== 'activated') {
        await new Promise((resolve) => {
          const done = () => sw.state === 'activated' && resolve();
          sw.addEventListener('statechange', done);
          done();
        });
      }
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('gradscope-')));
      return { active: reg.active?.state, entries: (await cache.keys()).length };
    });
    assert.equal(cached.active, 'activated');
    assert.ok(cached.entries > 10, `the build is precached (${cached.entries} files)`);
    await context.setOffline(true);
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'wasm', null, { timeout: 120_000 });
    await page.click('[data-testid="train-toggle"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= 5, null, { timeout: 60_000 });
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await context.close();
  }
}

test('after the first load the app works offline (service worker precache)', async () => {
  await offlineCheck(server.url);
});

test('offline also behind the project\'s own preview server (npm run preview, which sends Vary: Origin)', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const base = `http://127.0.0.1:${port}/`;
    await waitForServer(base, 60_000);
    const vary = (await fetch(base)).headers.get('vary');
    process.stdout.write(`# preview server: Vary ${vary}\n`);
    await offlineCheck(base);
  } finally {
    child.kill();
  }
});
