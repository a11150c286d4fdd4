// Browser tests of src/worker/backend.ts through the probe page
// (tests/e2e/fixtures/probe.html + probe-worker.ts, built by vite.probe.config.ts).
// Run: node --test tests/e2e/probe.test.mjs   (E2E_VERBOSE=1 echoes the browser's console)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProbe, launchChromium, openAndWait, parseProbe, serveDir } from './harness.mjs';

const T = { timeout: 120_000 };

let dist;
before(async () => {
  dist = await buildProbe();
});

function assertTrained(r, log) {
  assert.equal(r.losses.length, 5, `5 losses expected\n${log.dump()}`);
  for (const l of r.losses) assert.ok(Number.isFinite(l), `non-finite loss ${l} in ${r.losses}`);
  assert.ok(r.losses[4] < r.losses[0], `loss should go down in 5 SGD steps: ${r.losses}`);
  assert.equal(r.numTensors, r.numTensorsBefore, 'the probe leaks no tensors');
  assert.equal(r.tfBackend, r.backend, 'tf.getBackend() agrees with selectBackend');
}

function assertClean(log) {
  assert.deepEqual(log.errors, [], `uncaught errors in page/worker\n${log.dump()}`);
  assert.deepEqual(log.consoleErrors(), [], `console errors\n${log.dump()}`);
  assert.deepEqual(log.external, [], `requests left 127.0.0.1\n${log.dump()}`);
}

describe('Chromium with WebGPU on SwiftShader', () => {
  let browser;
  let server;
  before(async () => {
    [browser, server] = await Promise.all([launchChromium({ webgpu: true }), serveDir(dist)]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('auto: picks webgpu first and trains with finite losses', T, async () => {
    const { context, log, text } = await openAndWait(browser, `${server.url}probe.html`);
    try {
      const r = parseProbe(text, log);
      assert.equal(r.backend, 'webgpu', `attempts: ${JSON.stringify(r.attempts)}`);
      assert.equal(r.attempts.length, 1);
      assert.equal(r.attempts[0].ok, true);
      assertTrained(r, log);
      assertClean(log);
    } finally {
      await context.close();
    }
  });

  test('webgpu: the fused telemetry kernels (sums of squares, masked select, SGD with the masked commit) give the tfjs-ops results', T, async (t) => {
    const { context, log, text } = await openAndWait(browser, `${server.url}probe.html?force=webgpu&fused=1`);
    try {
      const r = parseProbe(text, log);
      assert.equal(r.backend, 'webgpu', `attempts: ${JSON.stringify(r.attempts)}`);
      assert.equal(r.fused, true, 'the fused kernels are on for webgpu');
      t.diagnostic(`largest relative differences, fused ÷ ops: ${JSON.stringify(r.diffs)}`);
      assert.ok(r.cases.sumSquares[0].every((x) => x > 0 || x === 0) && r.cases.sumSquares[0].some((x) => x > 1), 'the sums are not all zero');
      const bad = Object.entries(r.diffs).flatMap(([name, d]) => {
        // float32 sums in another order: a few ulps; selects and Infinity exactly.
        // SGD: w − lr·g rounded as tfjs rounds it, unless the shader compiler fuses a multiply-add (1 ulp).
        const tol = name.startsWith('select') ? 0 : name.startsWith('sgd') ? 1e-6 : name === 'training' ? 1e-4 : 1e-5;
        const head = (xs) => JSON.stringify(xs.slice(0, 12));
        return d <= tol ? [] : [`${name}: largest relative difference ${d} > ${tol}\n  fused ${head(r.cases[name][0])}…\n  ops   ${head(r.cases[name][1])}…`];
      });
      assert.deepEqual(bad, []);
      assert.equal(r.numTensors, r.numTensorsBefore, 'no tensors left behind');
      assertClean(log);
    } finally {
      await context.close();
    }
  });

  test('disable=webgpu: falls back to webgl or wasm, says why', T, async () => {
    const { context, log, text } = await openAndWait(browser, `${server.url}probe.html?disable=webgpu`);
    try {
      const r = parseProbe(text, log);
      assert.match(r.backend, /^(webgl|wasm)$/);
      assert.deepEqual(
        { backend: r.attempts[0].backend, ok: r.attempts[0].ok, reason: r.attempts[0].reason },
        { backend: 'webgpu', ok: false, reason: 'disabled by request' },
      );
      assert.equal(r.attempts.at(-1).backend, r.backend);
      assert.equal(r.attempts.at(-1).ok, true);
      assertTrained(r, log);
      assertClean(log);
    } finally {
      await context.close();
    }
  });

  test('force=wasm: runs on wasm with the .wasm served by our own server (COOP/COEP on)', T, async () => {
    const { context, log, text } = await openAndWait(browser, `${server.url}probe.html?force=wasm`);
    try {
      const r = parseProbe(text, log);
      assert.equal(r.backend, 'wasm', `attempts: ${JSON.stringify(r.attempts)}`);
      assert.equal(r.attempts.length, 1, 'a forced backend that works is the only one tried');
      assert.equal(r.crossOriginIsolated, true);
      assert.match(r.attempts[0].info, /threads=false/, 'threaded wasm stays off (breaks under bundling)');
      assertTrained(r, log);
      assertClean(log);
      const wasmServed = server.requests.filter((q) => /\.wasm(\?|$)/.test(q.path));
      assert.ok(wasmServed.length >= 1, `our server served no .wasm: ${JSON.stringify(server.requests)}`);
      assert.ok(wasmServed.every((q) => q.status === 200), JSON.stringify(wasmServed));
      const wasmSeen = log.requests.filter((u) => /\.wasm(\?|$)/.test(u));
      assert.ok(wasmSeen.length >= 1, 'the browser reported the worker fetching the .wasm');
      assert.ok(wasmSeen.every((u) => u.startsWith(server.url)), `wasm from elsewhere: ${wasmSeen}`);
    } finally {
      await context.close();
    }
  });

  test('force=wasm without COOP/COEP (plain static host) also works', T, async () => {
    const plain = await serveDir(dist, { isolate: false });
    const { context, log, text } = await openAndWait(browser, `${plain.url}probe.html?force=wasm`);
    try {
      const r = parseProbe(text, log);
      assert.equal(r.backend, 'wasm');
      assert.equal(r.crossOriginIsolated, false);
      assertTrained(r, log);
      assertClean(log);
      assert.ok(plain.requests.some((q) => /\.wasm$/.test(q.path) && q.status === 200));
    } finally {
      await context.close();
      await plain.close();
    }
  });

  test('harness: a worker request to another host is seen and blocked', T, async () => {
    const ext = 'http://gradscope-e2e.invalid/ping';
    const url = `${server.url}probe.html?disable=webgpu,webgl,wasm&fetchFirst=${encodeURIComponent(ext)}`;
    const { context, log, text } = await openAndWait(browser, url);
    try {
      const r = parseProbe(text, log);
      assert.equal(r.backend, 'cpu');
      assert.match(r.fetchFirst, /^failed/, 'the external fetch must not succeed');
      assert.deepEqual(log.external, [ext]);
    } finally {
      await context.close();
    }
  });
});

describe('Chromium without WebGPU flags', () => {
  let browser;
  let server;
  before(async () => {
    [browser, server] = await Promise.all([launchChromium({ webgpu: false }), serveDir(dist)]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('auto: reports why webgpu is unusable and trains on webgl or wasm', T, async () => {
    const { context, log, text } = await openAndWait(browser, `${server.url}probe.html`);
    try {
      const r = parseProbe(text, log);
      assert.match(r.backend, /^(webgl|wasm)$/, `attempts: ${JSON.stringify(r.attempts)}`);
      const gpu = r.attempts[0];
      assert.equal(gpu.backend, 'webgpu');
      assert.equal(gpu.ok, false);
      assert.match(gpu.reason, /^WebGPU: /);
      for (const a of r.attempts.slice(0, -1)) assert.ok(a.reason, `failed attempt without a reason: ${JSON.stringify(a)}`);
      assertTrained(r, log);
      assertClean(log);
    } finally {
      await context.close();
    }
  });
});
