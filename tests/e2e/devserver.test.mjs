// The app as the README starts it: `npm start` (Vite's dev server, which
// serves the modules unbundled and pre-bundles the dependencies itself), from
// a fresh dependency cache, as after `npm ci`. The page trains on wasm, cpu and
// WebGPU (SwiftShader), a sweep runs in its worker, dependencies are bundled in
// one pass while the page loads (no re-optimization, no reload), and a second
// start reuses that cache. Every other browser test runs the production build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { launchChromium, watchPage } from './harness.mjs';

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
/** Vite's dependency cache (vite.config.ts keeps the default cacheDir). */
const VITE_CACHE = join(ROOT, 'node_modules', '.vite');

async function freePort() {
  const srv = createServer();
  await new Promise((ok, fail) => {
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', ok);
  });
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

/**
 * `npm start` in its own process group (npm, the shell and Vite all in it, so
 * stop() ends every one of them). Resolves once the page is served.
 */
async function npmStart() {
  const port = await freePort();
  // As from a shell: run.mjs's probe build set NODE_ENV=production in this
  // process tree, which would make the dev server build a production page.
  const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
  delete env.NODE_ENV;
  const child = spawn('npm', ['start', '--', '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const server = { child, url: `http://127.0.0.1:${port}/`, output: '', exited: null };
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (text) => {
      server.output += text;
      if (process.env.E2E_VERBOSE) process.stderr.write(text.replace(/^/gm, '  [npm start] '));
    });
  }
  server.done = new Promise((ok) =>
    child.on('exit', (code, signal) => {
      server.exited = signal ?? code;
      ok();
    }),
  );
  const t0 = Date.now();
  for (;;) {
    if (server.exited !== null) {
      await stop(server);
      throw new Error(`npm start exited (${server.exited}) before serving the page:\n${server.output}`);
    }
    const ok = await fetch(server.url).then((r) => r.ok, () => false);
    if (ok) return server;
    if (Date.now() - t0 > 60_000) {
      await stop(server);
      throw new Error(`npm start did not serve ${server.url} within 60 s:\n${server.output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Ends the server's whole process group: SIGTERM, then SIGKILL after 5 s. */
async function stop(server) {
  if (!server) return;
  const kill = (signal) => {
    try {
      process.kill(-server.child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  if (server.exited === null) {
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5_000);
    await server.done;
    clearTimeout(timer);
  }
  kill('SIGKILL'); // anything in the group that outlived npm
}

/** Lines of the server's log that say it re-bundled dependencies or reloaded the page after the first pass. */
const reoptimized = (output) => output.split('\n').filter((l) => /new dependencies|dependencies optimized|dependencies changed|reload/i.test(l));
const bundlingPasses = (output) => output.split('\n').filter((l) => /bundling dependencies/.test(l)).length;

let server;
let browser;
// Whatever happens, no dev server outlives the test run.
const killOnExit = () => {
  try {
    if (server) process.kill(-server.child.pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
};
process.on('exit', killOnExit);

before(async () => {
  rmSync(VITE_CACHE, { recursive: true, force: true });
  server = await npmStart();
  browser = await launchChromium({ webgpu: true });
});
after(async () => {
  await browser?.close();
  await stop(server);
  process.off('exit', killOnExit);
});

/**
 * When the worker failed, the page only says "the training worker failed":
 * import the worker's module in a throwaway module worker to get the error.
 */
async function workerLoadError(page, log) {
  const url = log.workers[0];
  if (!url) return '(no worker started)';
  return page
    .evaluate(
      (url) =>
        new Promise((ok) => {
          const src = `import(${JSON.stringify(url)}).then(() => postMessage('the module loads'), (e) => postMessage(String(e && e.stack || e)));`;
          const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
          w.onmessage = (e) => ok(String(e.data));
          w.onerror = (e) => ok(`error event: ${e.message}`);
          setTimeout(() => ok('no answer in 20 s'), 20_000);
        }),
      url,
    )
    .catch((e) => `(could not check: ${e.message})`);
}

async function failure(page, log, what) {
  const status = await page.locator('[data-testid="run-status"]').allTextContents().catch(() => []);
  const step = await page.locator('[data-testid="step-count"]').allTextContents().catch(() => []);
  const backend = await page.textContent('[data-testid="backend"]').catch(() => '?');
  return (
    `${what}: backend "${backend}", status ${JSON.stringify(status)}, step ${JSON.stringify(step)}\n` +
    `worker module: ${await workerLoadError(page, log)}\n${log.dump()}\nnpm start output:\n${server.output}`
  );
}

/** Opens the page with `backend` forced, presses Train, waits for steps and chart points. */
async function trainOn(backend, minSteps) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const log = await watchPage(page);
    await page.goto(`${server.url}#backend=${backend}`, { waitUntil: 'load' });
    const wait = async (fn, arg, timeout, what) => {
      try {
        await page.waitForFunction(fn, arg, { timeout, polling: 250 });
      } catch (e) {
        throw new Error(await failure(page, log, `timed out waiting for ${what}`), { cause: e });
      }
    };
    // The worker reports its backend once it has started one (or the run fails).
    await wait(
      () => {
        const t = document.querySelector('[data-testid="backend"]')?.textContent;
        return (t && t !== '…') || document.querySelector('[data-testid="run-status"]')?.textContent === 'error';
      },
      null,
      120_000,
      'the worker to start a backend',
    );
    const shown = await page.textContent('[data-testid="backend"]');
    if (shown !== backend) assert.fail(await failure(page, log, `asked for ${backend}`));

    const t0 = Date.now();
    await page.click('[data-testid="train-toggle"]');
    await wait(
      ([n]) =>
        Number(document.querySelector('[data-testid="step-count"]')?.textContent) >= n &&
        Number(document.querySelector('[data-testid="grad-norm-chart"]')?.getAttribute('data-points')) > 0,
      [minSteps],
      180_000,
      `${minSteps} steps charted on ${backend}`,
    );
    const seconds = (Date.now() - t0) / 1000;
    const status = await page.textContent('[data-testid="run-status"]');
    if (status !== 'training' && status !== 'done') assert.fail(await failure(page, log, `status "${status}"`));
    assert.equal(await page.textContent('[data-testid="backend"]'), backend, 'the backend stays the one asked for');
    const problems = { errors: log.errors, consoleErrors: log.consoleErrors(), failedRequests: log.failed };
    assert.deepEqual(problems, { errors: [], consoleErrors: [], failedRequests: [] }, log.dump());
    process.stdout.write(`# npm start, ${backend}: ${minSteps}+ steps charted ${seconds.toFixed(1)} s after Train\n`);
  } finally {
    await context.close();
  }
}

test('npm start with a fresh cache: trains on wasm', () => trainOn('wasm', 5));
test('npm start with a fresh cache: trains on cpu', () => trainOn('cpu', 5));
test('npm start with a fresh cache: trains on webgpu (SwiftShader)', () => trainOn('webgpu', 3));

test('npm start with a fresh cache: a sweep runs its trials in the sweep worker', async () => {
  const sweep = {
    v: 1,
    base: { seed: 1, data: { name: 'moons', samples: 64 }, model: { hidden: [8, 8] }, train: { batchSize: 16, evalEvery: 0 } },
    params: [{ path: 'optimizer.lr', scale: 'list', values: [0.01, 0.1] }],
    method: 'grid',
    stepsPerTrial: 5,
    objective: 'final_loss',
  };
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  try {
    const page = await context.newPage();
    const log = await watchPage(page);
    await page.goto(`${server.url}#sweep=${encodeURIComponent(JSON.stringify(sweep))}`, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="sweep-start"]', { timeout: 60_000 });
    await page.click('[data-testid="sweep-start"]');
    try {
      await page.waitForFunction(() => document.querySelector('[data-testid="sweep-status"]')?.getAttribute('data-status') === 'done', null, {
        timeout: 120_000,
        polling: 250,
      });
    } catch (e) {
      const status = await page.textContent('[data-testid="sweep-status"]').catch(() => '?');
      throw new Error(`the sweep did not finish (${status})\n${log.dump()}\nnpm start output:\n${server.output}`, { cause: e });
    }
    const cells = await page.locator('[data-testid="sweep-cell"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    assert.deepEqual(cells, ['ok', 'ok'], log.dump());
    assert.deepEqual(log.errors, [], log.dump());
  } finally {
    await context.close();
  }
});

test('npm start with a fresh cache: dependencies bundled once, nothing re-optimized or reloaded', () => {
  assert.equal(bundlingPasses(server.output), 1, server.output);
  assert.deepEqual(reoptimized(server.output), [], server.output);
});

test('npm start again: the cache is reused and the page trains', async () => {
  await stop(server);
  server = await npmStart();
  await trainOn('wasm', 5);
  assert.equal(bundlingPasses(server.output), 0, server.output);
  assert.deepEqual(reoptimized(server.output), [], server.output);
});
