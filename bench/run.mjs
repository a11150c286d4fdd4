// gradscope benchmark: `npm run bench` (node --import tsx bench/run.mjs).
//
//   npm run bench                         full run (about 30 minutes on 2 cores)
//   npm run bench -- --quick              smaller, about 2–3 minutes (cpu/wasm only)
//   npm run bench -- --chrome-flags="--foo --bar=1"   extra Chromium flags
//   npm run bench -- --only=node,profile  sections: node typed profile memory page fastest pace dispatch app ui size
//   npm run bench -- --only=pace          TensorFlow Playground pace alone (Node, a worker, the app page; a few minutes)
//   npm run bench -- --only=dispatch      WebGPU compute dispatches per step (software GPU is fine)
//   npm run bench -- --skip=ui            …or leave some out
//   npm run bench -- --no-build           reuse dist/ and the built bench page
//
// Writes bench/results/<date>[-<sections>][-quick].md and .json (the raw results: git-ignored,
// kept locally); a full run also rewrites bench/results/PROFILE.md.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_DIST, BENCH_PAGE_OUT, appPace, appSession, appUi, buildBenchPage, dispatchesInPage, fastestInPage, netviewSession, openBrowser, overheadInPage, paceInWorker, playgroundInWorker, tfjsInitInPage, withServer } from './browser.mjs';
import { measureSize } from './size.mjs';
import { paceRatios, partialMarkdown, profileMarkdown, resultsMarkdown, summaryMarkdown } from './report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['node', 'typed', 'profile', 'memory', 'page', 'fastest', 'pace', 'dispatch', 'app', 'netview', 'ui', 'size'];

function parseArgs(argv) {
  const out = { quick: false, chromeFlags: [], only: null, skip: [], build: 'auto', outDir: join(ROOT, 'bench/results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--quick') out.quick = true;
    else if (a.startsWith('--chrome-flags')) out.chromeFlags.push(...val().split(/\s+/).filter(Boolean));
    else if (a.startsWith('--only')) out.only = val().split(',');
    else if (a.startsWith('--skip')) out.skip.push(...val().split(','));
    else if (a === '--no-build') out.build = 'never';
    else if (a === '--build') out.build = 'always';
    else if (a.startsWith('--out')) out.outDir = val();
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else {
      console.error(`bench: unknown option ${a} (see --help)`);
      process.exit(2);
    }
  }
  for (const s of [...(out.only ?? []), ...out.skip]) {
    if (!ALL.includes(s)) {
      console.error(`bench: unknown section "${s}"; sections: ${ALL.join(' ')}`);
      process.exit(2);
    }
  }
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const quick = opts.quick;
const want = (s) => (opts.only ? opts.only.includes(s) : true) && !opts.skip.includes(s);
const T0 = Date.now();
const say = (line) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const load = () => os.loadavg()[0];

function sh(cmd, args) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Runs a TypeScript bench script in a child process; parses the last stdout line as JSON. */
async function child(script, args, { timeoutMs = 600_000, nodeArgs = [] } = {}) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      process.stderr.write(d);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(last));
      } catch {
        resolve({ error: `${script} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
      }
    });
  });
}

function newestMtime(paths) {
  let t = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else t = Math.max(t, st.mtimeMs);
  };
  for (const p of paths) walk(join(ROOT, p));
  return t;
}

function stale(outFile, inputs) {
  if (!existsSync(outFile)) return true;
  return newestMtime(inputs) > statSync(outFile).mtimeMs;
}

// ---------------------------------------------------------------------------

const date = new Date().toISOString().slice(0, 10);
const git = async (...a) => (await sh('git', a)).out.trim();
/**
 * How often this machine stalls: a plain JavaScript allocation loop, timed in
 * chunks of ~2 ms. On a VM whose memory is reclaimed by the host, chunks take
 * hundreds of ms now and then whatever runs; absolute rates then mean little.
 */
function stallProbe(ms = 3000) {
  let worst = 0;
  let over = 0;
  let chunks = 0;
  let keep = [];
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const a = performance.now();
    for (let i = 0; i < 2000; i++) {
      keep.push(new Float32Array(64));
      if (keep.length > 5000) keep = [];
    }
    const d = performance.now() - a;
    chunks++;
    worst = Math.max(worst, d);
    if (d > 50) over++;
  }
  return { seconds: ms / 1000, chunks, worstMs: Math.round(worst), over50: over };
}

const results = {
  date,
  quick,
  commit: await git('rev-parse', '--short', 'HEAD'),
  dirty: (await git('status', '--porcelain', '--', 'src')).length > 0,
  chromeFlags: opts.chromeFlags,
  machine: {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    memGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  },
  load: { start: load() },
  stalls: stallProbe(),
  sections: {},
  overhead: [],
  profile: {},
  app: [],
  fastest: null,
  uiSeconds: quick ? 5 : 20,
};

/** The spiral run of the app measurements: TensorFlow Playground's spiral net and defaults. */
const SPIRAL_APP = {
  label: 'A',
  seed: 1,
  data: { name: 'spiral', samples: 500, noise: 0.1, testFraction: 0.5 },
  model: { arch: 'mlp', hidden: [8, 8, 8, 8, 8, 8], activation: 'tanh', init: 'glorot_normal' },
  optimizer: { name: 'sgd', lr: 0.03 },
  train: { batchSize: 10, steps: 1_000_000, evalEvery: 50 },
};
results.appConfig = SPIRAL_APP;

async function section(name, fn) {
  // 'build' is no section of its own: it runs whenever a section that needs dist/ does.
  if (name !== 'build' && !want(name)) return;
  const t = Date.now();
  const l = load();
  say(`${name}: start (load ${l.toFixed(1)})`);
  try {
    await fn();
  } catch (e) {
    say(`${name}: FAILED: ${e?.stack ?? e}`);
    results.sections[name] = { error: String(e?.message ?? e) };
  }
  results.sections[name] = { ...(results.sections[name] ?? {}), seconds: (Date.now() - t) / 1000, loadStart: l, loadEnd: load() };
  say(`${name}: done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

await section('node', async () => {
  const models = quick ? ['--models', 'spiral,mlp5x64'] : [];
  for (const backend of ['cpu', 'wasm']) {
    const r = await child('bench/node/overhead.ts', ['--backend', backend, ...(quick ? ['--quick'] : []), ...models]);
    if (r.error) results.overhead.push({ env: 'node', backend, model: 'spiral', label: 'all', error: r.error });
    else results.overhead.push(...r.cells);
  }
});

// The typed engine against the tfjs engine (cpu, wasm) and a plain-JavaScript
// reimplementation of TensorFlow Playground's training loop (bench/playground.ts).
await section('typed', async () => {
  results.typed = await child('bench/node/typed.ts', quick ? ['--quick'] : [], { timeoutMs: 900_000 });
});

await section('profile', async () => {
  for (const backend of ['cpu', 'wasm']) {
    if (quick && backend === 'cpu') continue;
    const r = await child('bench/node/profile.ts', ['--backend', backend, ...(quick ? ['--quick', '--models', 'spiral'] : [])]);
    results.profile[backend] = r.error ? { backend, error: r.error } : r;
  }
});

await section('memory', async () => {
  results.nodeMemory = await child(
    'bench/node/memory.ts',
    ['--backend', 'wasm', '--steps', quick ? '300' : '10000', '--budget-s', quick ? '20' : '150', ...(quick ? ['--cases', '1'] : ['--steps2', '1000'])],
    { nodeArgs: ['--expose-gc'], timeoutMs: 300_000 },
  );
});

if (['app', 'netview', 'ui', 'size', 'pace'].some(want)) {
  await section('build', async () => {
    const appInputs = ['src', 'index.html', 'vite.config.ts', 'public', 'package.json'];
    if (opts.build === 'always' || (opts.build === 'auto' && (!quick || stale(join(APP_DIST, 'index.html'), appInputs)))) {
      say('build: npx vite build');
      const r = await sh('npx', ['vite', 'build', '--logLevel', 'warn']);
      if (r.code !== 0) throw new Error(`vite build failed: ${r.err.slice(-1000)}`);
    } else say('build: reusing dist/');
  });
}

async function ensureBenchPage(name) {
  const pageInputs = ['src', 'bench/page', 'bench/lib', 'bench/playground.ts'];
  if (opts.build === 'always' || (opts.build === 'auto' && stale(join(BENCH_PAGE_OUT, 'index.html'), pageInputs))) {
    say(`${name}: building the bench page`);
    await buildBenchPage();
  }
}

let browser = null;
if (['page', 'fastest', 'pace', 'dispatch', 'app', 'netview', 'ui'].some(want)) {
  browser = await openBrowser({ chromeFlags: ['--enable-precise-memory-info', ...opts.chromeFlags] });
  results.machine.chromium = `Chromium ${browser.version()}`;
}

try {
  await section('page', async () => {
    const pageInputs = ['src', 'bench/page', 'bench/lib'];
    if (opts.build === 'always' || (opts.build === 'auto' && stale(join(BENCH_PAGE_OUT, 'index.html'), pageInputs))) {
      say('page: building the bench page');
      await buildBenchPage();
    }
    const plan = quick
      ? [
          { backend: 'wasm', budgetMs: 12_000, models: ['spiral', 'mlp5x64'] },
        ]
      : [
          { backend: 'webgpu', budgetMs: 120_000 },
          { backend: 'webgl', budgetMs: 90_000 },
          { backend: 'wasm', budgetMs: 45_000 },
          { backend: 'cpu', budgetMs: 60_000 },
        ];
    results.tfjsInit = [];
    await withServer(BENCH_PAGE_OUT, async (server) => {
      for (const p of plan) {
        say(`page: tfjs init, ${p.backend}`);
        results.tfjsInit.push(await tfjsInitInPage(browser, server, p.backend, { reps: quick ? 1 : 3 }));
        say(`page: overhead A/B, ${p.backend}`);
        const r = await overheadInPage(browser, server, p.backend, { quick, models: p.models ?? [], budgetMs: p.budgetMs });
        if (r.unavailable) results.overhead.push({ env: 'chromium', backend: p.backend, model: 'spiral', label: 'all', error: `unavailable: ${r.unavailable}` });
        else {
          results.overhead.push(...(r.cells ?? []));
          if (r.error) {
            say(`page: ${p.backend}: ${r.error}`);
            const done = new Set((r.cells ?? []).map((c) => c.model));
            results.overhead.push({ env: 'chromium', backend: p.backend, model: [...['spiral', 'mlp5x64', 'mlp16x128', 'cnn']].find((m) => !done.has(m)) ?? 'spiral', label: '', error: r.error });
          }
        }
        results.pageProgress = [...(results.pageProgress ?? []), ...(r.progress ?? [])];
      }
    });
  });

  await section('fastest', async () => {
    const pageInputs = ['src', 'bench/page', 'bench/lib'];
    if (opts.build === 'always' || (opts.build === 'auto' && stale(join(BENCH_PAGE_OUT, 'index.html'), pageInputs))) {
      say('fastest: building the bench page');
      await buildBenchPage();
    }
    await withServer(BENCH_PAGE_OUT, async (server) => {
      const r = await fastestInPage(browser, server, { models: quick ? ['spiral', 'mlp5x64'] : [] });
      results.fastest = r;
      for (const m of r.models ?? []) say(`fastest: ${m.model}: chose ${m.choice}, best ${m.best}, ratio ${m.ratio?.toFixed(2)}`);
      if (r.error) say(`fastest: ${r.error}`);
    });
  });

  // TensorFlow Playground pace on its spiral net (2→6×8 tanh, batch 10, lr 0.03):
  // the typed engine ÷ the Playground loop (bench/playground.ts) in Node, in a
  // Chromium worker, and in the app page with every chart drawn; plus the typed
  // engine ÷ the tfjs engine in that page (link option engine=tfjs).
  await section('pace', async () => {
    await ensureBenchPage('pace');
    const pace = { node: null, worker: null, page: { rounds: [] } };
    results.pace = pace;
    say('pace: Node (typed.ts --only spiral)');
    const nodeRun = await child('bench/node/typed.ts', ['--only', 'spiral', ...(quick ? ['--quick'] : [])]);
    pace.node = nodeRun.error ? { error: nodeRun.error } : nodeRun.cells;
    await withServer(BENCH_PAGE_OUT, async (bench) => {
      say('pace: typed engine vs Playground loop in a Chromium worker');
      pace.worker = await paceInWorker(browser, bench, { budgetMs: quick ? 4000 : 8000 });
      if (pace.worker.error) say(`pace: worker: ${pace.worker.error}`);
      else say(`pace: worker: typed ÷ Playground ${pace.worker.ratio?.toFixed(2)} (blocks ${pace.worker.ratioMin?.toFixed(2)}–${pace.worker.ratioMax?.toFixed(2)}), ${pace.worker.aRate?.toFixed(0)} vs ${pace.worker.bRate?.toFixed(0)} steps/s`);
      await withServer(APP_DIST, async (app) => {
        const exp = { v: 1, runs: [SPIRAL_APP] };
        const seconds = quick ? 4 : 6;
        const rounds = quick ? 2 : 3;
        for (let i = 0; i < rounds; i++) {
          // One round: the app on the typed engine, the Playground loop in a worker,
          // the app on the tfjs engine (wasm, its fastest backend for this net here),
          // the Playground loop with its per-epoch loss over every point (as its
          // oneStep()), the app on the typed engine in a small window; the order
          // turns each round so that no loop always comes first.
          const jobs = [
            ['typed', () => appPace(browser, app, exp, { engine: 'typed', seconds })],
            ['playground', () => playgroundInWorker(browser, bench, { ms: seconds * 1000 })],
            ['tfjs', () => appPace(browser, app, exp, { engine: 'tfjs', backend: 'wasm', seconds })],
            ['playgroundLoss', () => playgroundInWorker(browser, bench, { ms: seconds * 1000, epochLoss: true })],
            // What drawing costs: the same app in a small window, most charts off screen.
            ['typedFewCharts', () => appPace(browser, app, exp, { engine: 'typed', seconds, allCharts: false })],
          ];
          const order = [...jobs.slice(i % jobs.length), ...jobs.slice(0, i % jobs.length)];
          const round = {};
          for (const [name, job] of order) {
            try {
              round[name] = await job();
            } catch (e) {
              round[name] = { error: String(e?.message ?? e).slice(0, 500) };
            }
          }
          const t = round.typed?.stepsPerSec;
          const p = round.playground?.stepsPerSec;
          const f = round.tfjs?.stepsPerSec;
          round.typedOverPlayground = t && p ? t / p : null;
          const pl = round.playgroundLoss?.stepsPerSec;
          round.typedOverPlaygroundLoss = t && pl ? t / pl : null;
          round.typedOverTfjs = t && f ? t / f : null;
          const tf = round.typedFewCharts?.stepsPerSec;
          round.fewChartsOverPlayground = tf && p ? tf / p : null;
          pace.page.rounds.push(round);
          say(`pace: page round ${i + 1}: typed ${t?.toFixed(0)} (${round.typed?.engine}), Playground ${p?.toFixed(0)} (${pl?.toFixed(0)} with its per-epoch loss), tfjs ${f?.toFixed(1)} (${round.tfjs?.engine}/${round.tfjs?.backend}), typed with few charts on screen ${tf?.toFixed(0)} steps/s`);
        }
      });
    });
  });

  await section('dispatch', async () => {
    // WebGPU only: --quick is cpu/wasm, unless the section is asked for by name.
    if (quick && !opts.only?.includes('dispatch')) {
      say('dispatch: skipped in --quick (WebGPU); --only=dispatch runs it');
      return;
    }
    await ensureBenchPage('dispatch');
    await withServer(BENCH_PAGE_OUT, async (server) => {
      results.dispatch = await dispatchesInPage(browser, server, { models: quick ? ['spiral'] : [] });
      for (const c of results.dispatch.counts ?? []) say(`dispatch: ${c.model} ${c.loop}: ${c.perStep} per step`);
      if (results.dispatch.error || results.dispatch.unavailable) say(`dispatch: ${results.dispatch.error ?? results.dispatch.unavailable}`);
    });
  });

  await section('app', async () => {
    const exp = { v: 1, runs: [SPIRAL_APP] };
    const plan = quick
      ? [{ backend: 'wasm', warmMs: 1500, measureMs: 3000, memorySteps: 300, timeoutMs: 30_000 }]
      : [
          { backend: 'webgpu', warmMs: 3000, measureMs: 8000 },
          { backend: 'webgl', warmMs: 3000, measureMs: 8000 },
          { backend: 'wasm', warmMs: 3000, measureMs: 8000, memorySteps: 10_000, timeoutMs: 300_000 },
          { backend: 'cpu', warmMs: 3000, measureMs: 8000 },
        ];
    await withServer(APP_DIST, async (server) => {
      for (const p of plan) {
        say(`app: ${p.backend}${p.memorySteps ? ` (then to ${p.memorySteps} steps for memory)` : ''}`);
        try {
          results.app.push({ kind: 'session', ...(await appSession(browser, server, exp, p.backend, p)) });
        } catch (e) {
          results.app.push({ kind: 'session', requested: p.backend, error: String(e?.message ?? e).slice(0, 500) });
        }
      }
    });
  });

  await section('netview', async () => {
    // The network view open vs folded: the bench's spiral net on the tfjs engine (wasm forced) and the typed engine (auto),
    // and a CNN on shapes (tfjs, cpu: wasm cannot train conv nets).
    const mlp = { ...SPIRAL_APP, label: 'A', train: { ...SPIRAL_APP.train, steps: 1_000_000 } };
    const cnn = { label: 'A', data: { name: 'shapes', samples: 512 }, model: { arch: 'cnn', hidden: [8, 16] }, optimizer: { name: 'adam', lr: 0.001 }, train: { batchSize: 32, steps: 1_000_000 } };
    const plan = quick
      ? [{ exp: mlp, backend: 'wasm', rounds: 2, windowMs: 3000 }]
      : [
          { exp: mlp, backend: 'wasm', rounds: 3, windowMs: 5000 },
          { exp: mlp, backend: 'auto', rounds: 3, windowMs: 5000 },
          { exp: cnn, backend: 'cpu', rounds: 3, windowMs: 6000 },
        ];
    results.netview = [];
    await withServer(APP_DIST, async (server) => {
      for (const p of plan) {
        say(`netview: ${p.exp.model?.arch ?? 'mlp'} on ${p.backend}, ${p.rounds} × (open, folded) windows of ${p.windowMs / 1000} s`);
        try {
          results.netview.push(await netviewSession(browser, server, { v: 1, runs: [p.exp] }, p.backend, p));
        } catch (e) {
          results.netview.push({ requested: p.backend, error: String(e?.message ?? e).slice(0, 500) });
        }
      }
    });
  });

  await section('ui', async () => {
    const exp = { v: 1, runs: [SPIRAL_APP, { ...SPIRAL_APP, label: 'B', stabilizers: { clip: { mode: 'global_norm', threshold: 1 } } }] };
    const backends = quick ? ['wasm'] : ['auto', 'wasm'];
    await withServer(APP_DIST, async (server) => {
      for (const b of backends) {
        say(`ui: ${b}, ${results.uiSeconds} s training + ${results.uiSeconds} s paused`);
        try {
          results.app.push({ kind: 'ui', requested: b, ...(await appUi(browser, server, exp, b, { seconds: results.uiSeconds })) });
        } catch (e) {
          results.app.push({ kind: 'ui', requested: b, error: String(e?.message ?? e).slice(0, 500) });
        }
      }
    });
  });
} finally {
  await browser?.close();
}

await section('size', async () => {
  results.size = measureSize(APP_DIST);
});

results.load.end = load();
results.durationSec = (Date.now() - T0) / 1000;

mkdirSync(opts.outDir, { recursive: true });
// A run of some sections only is named after them (<date>-pace-dispatch.md), so that it is not taken for a full run.
const partial = opts.only ? partialMarkdown(results, opts.only) : null;
const base = join(opts.outDir, `${date}${opts.only ? `-${opts.only.join('-')}` : ''}${quick ? '-quick' : ''}`);
writeFileSync(`${base}.json`, JSON.stringify(results, null, 1) + '\n');
writeFileSync(`${base}.md`, partial ?? resultsMarkdown(results));
if (!quick && want('profile')) writeFileSync(join(opts.outDir, 'PROFILE.md'), profileMarkdown(results));
const pr = paceRatios(results);
const paceLine = pr.typedOverPlayground
  ? `Playground pace in the page: typed ÷ Playground ${pr.typedOverPlayground.median.toFixed(2)}× (${pr.typedOverPlayground.min.toFixed(2)}–${pr.typedOverPlayground.max.toFixed(2)}), ÷ Playground with its per-epoch loss ${pr.typedOverPlaygroundLoss?.median.toFixed(2)}× (${pr.typedOverPlaygroundLoss?.min.toFixed(2)}–${pr.typedOverPlaygroundLoss?.max.toFixed(2)}), typed ÷ tfjs ${pr.typedOverTfjs?.median.toFixed(1)}× (${pr.typedOverTfjs?.min.toFixed(1)}–${pr.typedOverTfjs?.max.toFixed(1)}).\n`
  : '';
process.stdout.write(`\n${partial ? '' : summaryMarkdown(results)}${paceLine}\nWrote ${base}.md and .json in ${results.durationSec.toFixed(0)} s.\n`);
