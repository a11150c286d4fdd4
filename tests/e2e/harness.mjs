// Helpers shared by the browser tests (plain ESM, Node >= 20).
//
//   launchChromium({ webgpu, extraArgs })  headless system Chromium via playwright-core
//   serveDir(dir, { isolate })              static server on 127.0.0.1:<random port>
//   watchPage(page)                         collects console errors, page errors, worker
//                                           errors, failed requests and non-local requests
//
// Never downloads a browser: the executable is $CHROME_PATH or /usr/bin/chromium.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium';

export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** WebGPU (and WebGL) on the CPU through SwiftShader: works headless without a GPU. */
export const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/**
 * Launches headless Chromium. `webgpu: false` gives a browser with no WebGPU
 * adapter (and, with current Chromium, no software WebGL either), which is how
 * the fallbacks are exercised.
 */
export async function launchChromium({ webgpu = true, extraArgs = [], headless = true } = {}) {
  if (!existsSync(CHROME_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROME_PATH}. Install it (apt-get install -y chromium) or set CHROME_PATH. ` +
        'The tests never download a browser.',
    );
  }
  return chromium.launch({
    executablePath: CHROME_PATH,
    headless,
    args: [...BASE_ARGS, ...(webgpu ? WEBGPU_ARGS : []), ...extraArgs],
    timeout: 60_000,
  });
}

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves `dir` on 127.0.0.1 with a random free port.
 * `isolate` (default true) sends COOP/COEP so the page is crossOriginIsolated
 * (SharedArrayBuffer, hence the multi-threaded wasm build); pass false to test
 * the plain setup a static host without those headers gives.
 * Every request is recorded in `requests` ({ method, path, status }).
 */
export async function serveDir(dir, { isolate = true } = {}) {
  const root = resolve(dir);
  if (!existsSync(root)) throw new Error(`serveDir: ${root} does not exist (did the build run?)`);
  const requests = [];
  const server = createServer(async (req, res) => {
    const entry = { method: req.method, path: req.url, status: 0 };
    requests.push(entry);
    const send = (status, headers, body) => {
      entry.status = status;
      res.writeHead(status, {
        'Cache-Control': 'no-store',
        'Cross-Origin-Resource-Policy': 'same-origin',
        ...(isolate
          ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
          : {}),
        ...headers,
      });
      res.end(body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { 'Content-Type': 'text/plain' }, 'method not allowed');
      let pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      if (pathname.endsWith('/')) pathname += 'index.html';
      const file = normalize(join(root, pathname));
      if (file !== root && !file.startsWith(root + sep)) return send(403, { 'Content-Type': 'text/plain' }, 'forbidden');
      let st;
      try {
        st = await stat(file);
      } catch {
        return send(404, { 'Content-Type': 'text/plain' }, `not found: ${pathname}`);
      }
      if (!st.isFile()) return send(404, { 'Content-Type': 'text/plain' }, `not a file: ${pathname}`);
      const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
      entry.status = 200;
      res.writeHead(200, {
        'Content-Type': type,
        'Content-Length': st.size,
        'Cache-Control': 'no-store',
        'Cross-Origin-Resource-Policy': 'same-origin',
        ...(isolate
          ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
          : {}),
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch (err) {
      if (!res.headersSent) send(500, { 'Content-Type': 'text/plain' }, String(err));
      else res.destroy();
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for URLs that stay on this machine (or never touch the network). */
export function isLocalUrl(url) {
  if (/^(data|blob|about|chrome|chrome-error|devtools):/.test(url)) return true;
  try {
    return LOCAL_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * Attaches listeners to a page (and the dedicated workers it starts) and
 * returns a log: console errors/warnings, uncaught page errors, worker
 * lifecycle, failed requests, and every request that left 127.0.0.1.
 * If `blockExternal` (default true), non-local requests are aborted via
 * context routing so a test can never depend on the internet.
 * Call `log.dump()` in an assertion message to see everything.
 */
export async function watchPage(page, { blockExternal = true, echo = !!process.env.E2E_VERBOSE } = {}) {
  const log = {
    console: [], // { type, text, where }
    errors: [], // uncaught exceptions (page) and worker errors
    workers: [], // worker URLs
    requests: [], // every request URL seen by the page and its workers
    failed: [], // { url, failure }
    external: [], // requests to anything but 127.0.0.1/localhost
    consoleErrors() {
      return this.console.filter((m) => m.type === 'error');
    },
    dump() {
      return JSON.stringify(
        {
          errors: this.errors,
          console: this.console.slice(-40),
          failed: this.failed,
          external: this.external,
          workers: this.workers,
        },
        null,
        2,
      );
    },
  };
  const say = (line) => {
    if (echo) process.stderr.write(`  [browser] ${line}\n`);
  };
  // Chromium reports a dedicated worker's console on the page too, with msg.worker() set.
  page.on('console', (msg) => {
    const worker = msg.worker?.();
    const where = worker ? `worker ${worker.url()}` : 'page';
    const text = msg.text();
    log.console.push({ type: msg.type(), text, where });
    say(`${where} console.${msg.type()}: ${text}`);
  });
  // Uncaught errors of the page and of its workers (a worker's error event that
  // the page does not handle surfaces here too).
  page.on('pageerror', (err) => {
    log.errors.push({ where: 'page', message: String(err?.stack || err?.message || err) });
    say(`page error: ${err}`);
  });
  page.on('crash', () => {
    log.errors.push({ where: 'page', message: 'page crashed' });
    say('page crashed');
  });
  page.on('worker', (worker) => {
    log.workers.push(worker.url());
    say(`worker started: ${worker.url()}`);
    worker.on('close', () => say(`worker closed: ${worker.url()}`));
  });
  const context = page.context();
  const onRequest = (req) => {
    const url = req.url();
    if (!log.requests.includes(url)) log.requests.push(url);
    if (!isLocalUrl(url)) {
      if (!log.external.includes(url)) log.external.push(url);
      say(`EXTERNAL request: ${url}`);
    }
  };
  context.on('request', onRequest);
  context.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'failed';
    log.failed.push({ url: req.url(), failure });
    say(`request failed: ${req.url()} (${failure})`);
  });
  if (blockExternal) {
    await context.route(
      (url) => !isLocalUrl(url.href),
      (route) => {
        const url = route.request().url();
        if (!log.external.includes(url)) log.external.push(url);
        return route.abort('blockedbyclient');
      },
    );
  }
  return log;
}

/**
 * Opens `url` in a fresh context of `browser`, waits until `selector` has a
 * `data-state` attribute (or its text stops being "pending"), and returns
 * { page, context, log, text }.
 */
export async function openAndWait(browser, url, { selector = '[data-testid="probe"]', timeout = 120_000 } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = await watchPage(page);
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  try {
    await page.waitForSelector(`${selector}[data-state]`, { timeout });
  } catch (err) {
    const text = await page.textContent(selector).catch(() => '(unreadable)');
    throw new Error(`timed out waiting for ${selector} (text: ${text})\n${log.dump()}`, { cause: err });
  }
  const text = (await page.textContent(selector)) ?? '';
  return { page, context, log, text };
}

export const E2E_DIR = new URL('.', import.meta.url).pathname;
export const PROBE_DIST = join(E2E_DIR, '.probe-dist');
export const PROBE_CONFIG = join(E2E_DIR, 'vite.probe.config.ts');

/**
 * Builds the probe page with Vite (tests/e2e/vite.probe.config.ts) unless it is
 * already built; `force` rebuilds. Returns the output folder.
 */
export async function buildProbe({ force = false } = {}) {
  if (!force && existsSync(join(PROBE_DIST, 'probe.html'))) return PROBE_DIST;
  const { build } = await import('vite');
  await build({ configFile: PROBE_CONFIG, logLevel: 'warn' });
  return PROBE_DIST;
}

/** Reads the probe's JSON result; throws with the page log if the worker reported an error. */
export function parseProbe(text, log) {
  let result;
  try {
    result = JSON.parse(text);
  } catch {
    throw new Error(`probe output is not JSON: ${text}\n${log?.dump() ?? ''}`);
  }
  if (result.error) throw new Error(`probe failed: ${result.error}\n${log?.dump() ?? ''}`);
  return result;
}

/**
 * Traces the page's main thread for `ms` and returns each task's wall time and
 * the main thread's own CPU time inside it (ms). On a machine whose cores are
 * all taken by training (2 cores here, with SwiftShader running WebGPU on the
 * CPU), a task's wall time mostly measures how long the OS left the thread
 * waiting; its CPU time is what the page's code costs.
 */
export async function traceMainThread(browser, page, ms) {
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
  await page.waitForTimeout(ms);
  const { traceEvents } = JSON.parse((await browser.stopTracing()).toString());
  const main = new Set(
    traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const tasks = traceEvents.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`));
  const cpu = tasks.map((t) => (t.tdur ?? 0) / 1000);
  const sorted = [...cpu].sort((a, b) => a - b);
  return {
    wall: tasks.map((t) => t.dur / 1000),
    cpu,
    /** 95th percentile of the CPU time of one task (ms). */
    p95: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] : 0,
    max: sorted.length ? sorted[sorted.length - 1] : 0,
    /** Fraction of the window the main thread spent computing. */
    busy: cpu.reduce((a, b) => a + b, 0) / ms,
  };
}

/**
 * The page's main-thread budget while training: 95% of tasks within 50 ms of
 * CPU, and the thread busy at most a third of the time. (The few longest
 * tasks' CPU times vary from run to run here: garbage collection and a coarse
 * thread clock on a contended 2-core machine give a few tasks of 100–350 ms.
 * recharts redrawing every chart at every update kept the thread busy most
 * of the time.)
 */
export function mainThreadBudget(t) {
  return {
    ok: t.p95 <= 50 && t.busy <= 0.35,
    text: `${t.cpu.length} tasks, CPU per task p95 ${t.p95.toFixed(1)} ms (max ${t.max.toFixed(1)} ms), main thread busy ${(100 * t.busy).toFixed(0)}%`,
  };
}
