// Peak browser memory of training, per backend, over a grid of depth × width ×
// batch × optimizer: the numbers the resource estimate (src/engine/estimate.ts)
// is fitted to.
//
//   npx vite build && node --import tsx bench/memoryGrid.mjs [--backends wasm,cpu] [--quick] [--out FILE]
//
// Each cell launches a fresh headless Chromium, opens the built app (dist/) on
// one MLP with the backend forced by the link, builds the run (pressing "Build
// it anyway" where the page refuses it), trains 2 steps with the Step button and
// reads the peak resident memory (VmHWM from /proc) of every process of that
// browser: the renderer (page and its workers: the tensors live there on
// wasm and cpu), the GPU process and the rest. A cell of the same browser
// with the default experiment, never trained, is the baseline. The result is one
// JSON document: per cell the estimate, the measured peaks and the peak above
// the baseline, plus the least-squares fit the estimate uses.
//
// Linux only (/proc). Numbers in MiB.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveDir } from '../tests/e2e/harness.mjs';
import { experimentOrThrow } from '../src/engine/config.ts';
import { experimentToFragment } from '../src/engine/shareLink.ts';
import { estimateRun } from '../src/engine/estimate.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

const backends = String(arg('backends', 'wasm,cpu')).split(',');
const quick = !!arg('quick', false);
const outFile = arg('out', join(ROOT, 'bench/results/memory-grid.json'));
/** A cell whose 2 steps the estimate puts over this many seconds on the slowest backend is skipped. */
const MAX_CELL_S = Number(arg('max-cell-s', 240));
/** Rough throughput for the skip rule only (FLOP/s; the cpu backend is the slowest). */
const FLOPS = { wasm: 4e9, cpu: 0.6e9 };

const SHAPES = quick
  ? [
      [8, 256],
      [16, 1024],
    ]
  : [
      [8, 256],
      [32, 512],
      [16, 1024],
      [64, 1024],
    ];
const BATCHES = quick ? [32] : [32, 256];
const OPTIMIZERS = quick ? ['sgd', 'adam'] : ['sgd', 'adam'];

/** pid → { ppid, name, cmd, hwm (KiB), rss (KiB) } for every process. */
function processes() {
  const out = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const field = (k) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.set(Number(d), { ppid: field('PPid'), cmd, hwm: field('VmHWM'), rss: field('VmRSS') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The processes of the browser launched with `tag` on its command line, by kind. */
function browserMemory(tag) {
  const ps = processes();
  const root = [...ps.entries()].find(([, p]) => p.cmd.includes(tag) && !p.cmd.includes('--type='));
  if (!root) return null;
  const tree = new Set([root[0]]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of ps) {
      if (!tree.has(pid) && tree.has(p.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const kinds = { renderer: 0, gpu: 0, other: 0 };
  for (const pid of tree) {
    const p = ps.get(pid);
    const kind = p.cmd.includes('--type=renderer') ? 'renderer' : p.cmd.includes('--type=gpu-process') ? 'gpu' : 'other';
    kinds[kind] += p.hwm;
  }
  const total = kinds.renderer + kinds.gpu + kinds.other;
  return { rendererMiB: kinds.renderer / 1024, gpuMiB: kinds.gpu / 1024, totalMiB: total / 1024 };
}

function config(depth, width, batch, optimizer) {
  return experimentOrThrow({
    v: 1,
    runs: [
      {
        label: `${depth}×${width} b${batch} ${optimizer}`,
        model: { hidden: Array(depth).fill(width), activation: 'relu', init: 'he_normal' },
        data: { name: 'spiral', samples: 512 },
        optimizer: { name: optimizer, lr: 1e-4 },
        train: { batchSize: batch, steps: 2 },
      },
    ],
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function cell(server, exp, backend, { train = true, timeoutMs = 600_000 } = {}) {
  const tag = `--gradscope-memory-cell=${process.pid}-${Math.random().toString(36).slice(2)}`;
  const browser = await launchChromium({ webgpu: false, extraArgs: [tag] });
  const t0 = Date.now();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}index.html#${experimentToFragment(exp, { backend })}`, { waitUntil: 'load' });
    await page.waitForFunction(() => !!window.gradscope?.store, null, { timeout: 60_000 });
    const state = () =>
      page.evaluate(() => {
        const r = window.gradscope.store.getState().runtime[0];
        return { backend: r.backend, step: r.step, status: r.status, error: r.error?.message, kind: r.error?.kind };
      });
    const deadline = t0 + timeoutMs;
    let s = await state();
    while (!s.backend && !s.error && Date.now() < deadline) {
      await sleep(200);
      s = await state();
    }
    if (s.kind === 'resources') {
      await page.evaluate(() => document.querySelector('[data-testid="restart-run"]').click());
      await sleep(300);
      s = await state();
      while (!s.backend && !s.error && Date.now() < deadline) {
      await sleep(200);
      s = await state();
    }
    }
    let steps = 0;
    if (train && !s.error) {
      for (let k = 1; k <= 2 && !s.error; k++) {
        await page.evaluate(() => document.querySelector('[data-testid="step-once"]').click());
        while (s.step < k && !s.error && s.status !== 'error' && Date.now() < deadline) {
          await sleep(250);
          s = await state();
        }
        steps = s.step;
      }
    }
    await sleep(500);
    const mem = browserMemory(tag);
    return { backend: s.backend, steps, error: s.error ?? (Date.now() >= deadline ? 'timed out' : undefined), seconds: (Date.now() - t0) / 1000, ...mem };
  } finally {
    await browser.close();
  }
}

/** Least squares through the origin for y ≈ a·x1 + b·x2 (2×2 normal equations). */
function fit2(rows) {
  let s11 = 0, s12 = 0, s22 = 0, t1 = 0, t2 = 0;
  for (const { x1, x2, y } of rows) {
    s11 += x1 * x1;
    s12 += x1 * x2;
    s22 += x2 * x2;
    t1 += x1 * y;
    t2 += x2 * y;
  }
  const det = s11 * s22 - s12 * s12;
  return { a: (t1 * s22 - t2 * s12) / det, b: (s11 * t2 - s12 * t1) / det };
}

const server = await serveDir(join(ROOT, 'dist'), { isolate: false });
const result = { date: new Date().toISOString(), backends: {}, note: 'MiB; peak resident memory (VmHWM) summed over the browser processes' };
try {
  for (const backend of backends) {
    const base = await cell(server, experimentOrThrow({ v: 1, runs: [{}] }), backend, { train: false });
    console.error(`[memory] ${backend} baseline: renderer ${base.rendererMiB?.toFixed(0)} MiB, total ${base.totalMiB?.toFixed(0)} MiB`);
    const cells = [];
    for (const [depth, width] of SHAPES)
      for (const batch of BATCHES)
        for (const optimizer of OPTIMIZERS) {
          const exp = config(depth, width, batch, optimizer);
          const est = estimateRun(exp.runs[0]);
          const label = exp.runs[0].label;
          const secs = (2 * est.flopsPerStep) / FLOPS[backend];
          if (secs > MAX_CELL_S) {
            cells.push({ label, depth, width, batch, optimizer, skipped: `2 steps ≈ ${secs.toFixed(0)} s on ${backend}` });
            continue;
          }
          const m = await cell(server, exp, backend);
          const row = {
            label,
            depth,
            width,
            batch,
            optimizer,
            params: est.params,
            activationsPerStep: est.activationsPerStep,
            estimateMiB: est.bytes / MiB,
            ...m,
            aboveBaselineMiB: m.totalMiB - base.totalMiB,
          };
          cells.push(row);
          result.backends[backend] = { baseline: base, cells };
          writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
          console.error(`[memory] ${backend} ${label}: est ${row.estimateMiB.toFixed(0)} MiB, peak +${row.aboveBaselineMiB.toFixed(0)} MiB (renderer ${m.rendererMiB.toFixed(0)}), ${m.steps} steps${m.error ? `, error: ${m.error}` : ''}, ${m.seconds.toFixed(0)} s`);
        }
    // Fit: peak above baseline ≈ a·(parameter floats × (2 + slots)) + b·(activation floats), in bytes.
    const ok = cells.filter((c) => !c.skipped && !c.error && c.steps >= 2);
    const rows = ok.map((c) => {
      const slots = c.optimizer === 'adam' ? 2 : 0;
      return { x1: c.params * (2 + slots) * 4, x2: c.activationsPerStep * 4, y: c.aboveBaselineMiB * MiB };
    });
    const f = rows.length >= 2 ? fit2(rows) : null;
    result.backends[backend] = { baseline: base, cells, fit: f };
    if (f) console.error(`[memory] ${backend} fit: peak ≈ ${f.a.toFixed(2)} × parameter state + ${f.b.toFixed(2)} × activations`);
  }
} finally {
  await server.close();
}
writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
