// Markdown for the benchmark results (bench/results/<date>.md) and the profile
// (bench/results/PROFILE.md). Pure functions of the results JSON.

export const GOAL = 0.9;
/** TensorFlow Playground runs one epoch per animation frame (d3.timer → oneStep over all training points). */
export const PLAYGROUND_EPOCHS_PER_SEC = 60;

const f = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const f1 = (x) => f(x, 1);
const f0 = (x) => f(x, 0);
const kb = (b) => (b === null || b === undefined ? '–' : `${(b / 1024).toFixed(1)} KiB`);
const mb = (b) => (b === null || b === undefined ? '–' : `${(b / 2 ** 20).toFixed(1)} MB`);

export const COLUMNS = [
  { env: 'node', backend: 'cpu', title: 'Node cpu' },
  { env: 'node', backend: 'wasm', title: 'Node wasm' },
  { env: 'chromium', backend: 'webgpu', title: 'Chromium webgpu' },
  { env: 'chromium', backend: 'webgl', title: 'Chromium webgl' },
  { env: 'chromium', backend: 'wasm', title: 'Chromium wasm' },
  { env: 'chromium', backend: 'cpu', title: 'Chromium cpu' },
];

function overheadCell(c) {
  if (!c) return 'not run';
  if (c.skipped) return 'skipped (budget)';
  if (c.error) return `error`;
  const mark = c.ratio >= GOAL ? '✓' : '✗';
  return `**${f(c.ratio)}×** ${mark}<br>${f1(c.aRate)} / ${f1(c.bRate)}`;
}

export function overheadTable(r) {
  const cells = r.overhead ?? [];
  const models = [];
  for (const c of cells) if (!models.find((m) => m.id === c.model)) models.push({ id: c.model, label: c.label });
  const cols = COLUMNS.filter((col) => cells.some((c) => c.env === col.env && c.backend === col.backend));
  if (!cols.length) return '_not measured_\n';
  const lines = [
    `| model | ${cols.map((c) => c.title).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
  ];
  for (const m of models) {
    lines.push(
      `| ${m.label} | ${cols.map((col) => overheadCell(cells.find((c) => c.model === m.id && c.env === col.env && c.backend === col.backend))).join(' | ')} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function overheadDetails(r) {
  const rows = (r.overhead ?? []).filter((c) => !c.skipped);
  if (!rows.length) return '';
  const lines = [
    '| where | model | ratio | blocks min–max | all pairs (with stalls) | median of single pairs | CPU-time ratio | pairs kept / run | steps per readback | first step gradscope / bare (ms) | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of rows) {
    if (c.error) {
      lines.push(`| ${c.env} ${c.backend} | ${c.model} | – | – | – | – | – | – | – | – | ${String(c.error).split('\n')[0].slice(0, 120)} |`);
      continue;
    }
    lines.push(
      `| ${c.env} ${c.backend} | ${c.model} | ${f(c.ratio)} | ${f(c.ratioMin)}–${f(c.ratioMax)} | ${f(c.pooledRatio)} | ${f(c.pairMedianRatio)} | ${f(c.cpuRatio)} | ${c.cleanPairs} / ${c.pairs} | ${c.chunk} | ${f0(c.firstStepMs?.a)} / ${f0(c.firstStepMs?.b)} | ${c.tensorsLeft ? `${c.tensorsLeft} tensors left` : ''} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function kernelsTable(r) {
  const lines = ['| backend | model | kernels/step gradscope | bare | × | uploads/step gradscope | bare | CPU ms/step gradscope | bare |', '|---|---|---|---|---|---|---|---|---|'];
  for (const p of Object.values(r.profile ?? {})) {
    if (!p?.models) continue;
    for (const m of p.models) {
      lines.push(
        `| ${p.backend} | ${m.model} | ${m.gradscope.kernels} | ${m.bare.kernels} | ${f1(m.gradscope.kernels / m.bare.kernels)} | ${m.gradscope.uploads} | ${m.bare.uploads} | ${f(m.perStep.gradscope.cpuMs)} | ${f(m.perStep.bare.cpuMs)} |`,
      );
    }
  }
  return lines.length > 2 ? lines.join('\n') + '\n' : '_not measured_\n';
}

function paceTable(r, batch, nTrain) {
  const rows = (r.app ?? []).filter((s) => s.kind === 'session');
  if (!rows.length) return '_not measured_\n';
  const lines = [
    '| backend | steps/s | epochs/s | × Playground (≤ 60 epochs/s) | time to first chart point | tfjs init of the backend (bench page) | ratio |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of rows) {
    const init = (r.tfjsInit ?? []).find((i) => i.backend === s.requested);
    if (s.error) {
      lines.push(`| ${s.requested} | error: ${String(s.error).slice(0, 100)} | | | | ${init?.medianMs ? `${f0(init.medianMs)} ms` : '–'} | |`);
      continue;
    }
    const eps = s.pace ? (s.pace.stepsPerSec * batch) / nTrain : NaN;
    lines.push(
      `| ${s.backend} | ${f1(s.pace?.stepsPerSec)} | ${f(eps)} | ${f(eps / PLAYGROUND_EPOCHS_PER_SEC, 3)} | ${s.firstPointMs ? `${f0(s.firstPointMs)} ms` : '–'} | ${init?.medianMs ? `${f0(init.medianMs)} ms` : init?.error ? 'error' : '–'} | ${init?.medianMs && s.firstPointMs ? `${f1(s.firstPointMs / init.medianMs)}×` : '–'} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** bench/node/typed.ts: steps/s of the typed engine ÷ the other loop, interleaved, with the spread over blocks. */
function typedSection(r) {
  const x = r.typed;
  if (!x) return '_not run_\n';
  if (x.error) return `_failed: ${x.error}_\n`;
  const lines = [
    'steps/s of the typed engine (plain TypeScript over typed arrays) ÷ steps/s of the other loop, measured in',
    'alternating windows in one Node process (`node --import tsx bench/node/typed.ts`); "Playground" is a',
    'dependency-free reimplementation of TensorFlow Playground\'s `nn.ts` training loop (bench/playground.ts:',
    'spiral 2→6×8 tanh→1, square loss, batch 10, lr 0.03, one update per batch).',
    '',
    '| model | multiply-adds / step | against | ratio (blocks min–max) | typed / other steps/s |',
    '|---|---|---|---|---|',
  ];
  for (const c of x.cells ?? []) {
    lines.push(`| ${c.model} | ${Math.round(c.macsPerStep).toLocaleString('en')} | ${c.against} | **${f(c.ratio)}×** (${f(c.ratioMin)}–${f(c.ratioMax)}) | ${f1(c.typedStepsPerSec)} / ${f1(c.otherStepsPerSec)} |`);
  }
  return lines.join('\n') + '\n';
}

const spread = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return { median: v[v.length >> 1] * (v.length % 2 ? 1 : 0.5) + (v.length % 2 ? 0 : v[(v.length >> 1) - 1] * 0.5), min: v[0], max: v[v.length - 1], n: v.length };
};

/** The page rounds of the pace section: median and range of each ratio over rounds. */
export function paceRatios(r) {
  const rounds = r.pace?.page?.rounds ?? [];
  return {
    typedOverPlayground: spread(rounds.map((x) => x.typedOverPlayground)),
    typedOverPlaygroundLoss: spread(rounds.map((x) => x.typedOverPlaygroundLoss)),
    typedOverTfjs: spread(rounds.map((x) => x.typedOverTfjs)),
    fewChartsOverPlayground: spread(rounds.map((x) => x.fewChartsOverPlayground)),
  };
}

/** `npm run bench -- --only=pace`: the typed engine ÷ the Playground loop in Node, a worker and the page; ÷ the tfjs engine in the page. */
function playgroundPaceSection(r) {
  const p = r.pace;
  if (!p) return '_not run_\n';
  if (p.error) return `_failed: ${p.error}_\n`;
  const rs = (s) => (s ? `**${f(s.median)}×** (${f(s.min)}–${f(s.max)}, ${s.n} round${s.n === 1 ? '' : 's'})` : '–');
  const lines = [
    "TensorFlow Playground's spiral net (2 → 6×8 tanh, batch 10, lr 0.03). The reference is bench/playground.ts, a",
    "plain-JavaScript reimplementation of Playground's `nn.ts` loop (one tanh output, square loss), measured without any drawing.",
    '',
    '| where | typed engine ÷ | ratio (spread) | steps/s |',
    '|---|---|---|---|',
  ];
  const node = Array.isArray(p.node) ? p.node : [];
  for (const c of node) {
    lines.push(`| Node, one process, interleaved (bench/node/typed.ts) | ${c.against} | **${f(c.ratio)}×** (blocks ${f(c.ratioMin)}–${f(c.ratioMax)}) | ${f0(c.typedStepsPerSec)} / ${f1(c.otherStepsPerSec)} |`);
  }
  if (p.node?.error) lines.push(`| Node | – | failed: ${p.node.error.slice(0, 200)} | – |`);
  const w = p.worker;
  if (w && !w.error) lines.push(`| Chromium, one Web Worker, interleaved chunks | playground | **${f(w.ratio)}×** (blocks ${f(w.ratioMin)}–${f(w.ratioMax)}) | ${f0(w.aRate)} / ${f0(w.bRate)} |`);
  else if (w?.error) lines.push(`| Chromium worker | playground | failed: ${w.error.slice(0, 200)} | – |`);
  const pr = paceRatios(r);
  const rounds = p.page?.rounds ?? [];
  const med = (k) => spread(rounds.map((x) => x[k]?.stepsPerSec))?.median;
  if (rounds.length) {
    lines.push(`| the app page, every chart drawn, ÷ the loop alone in a worker of the same browser | playground | ${rs(pr.typedOverPlayground)} | ${f0(med('typed'))} / ${f0(med('playground'))} (medians) |`);
    if (pr.typedOverPlaygroundLoss) lines.push(`| the app page, every chart drawn, ÷ the loop with Playground's per-epoch loss over all 500 points, alone in a worker | playground+loss | ${rs(pr.typedOverPlaygroundLoss)} | ${f0(med('typed'))} / ${f0(med('playgroundLoss'))} (medians) |`);
    if (pr.fewChartsOverPlayground) lines.push(`| the app in an 800×500 window (most charts off screen, not redrawn) ÷ the loop alone in a worker | playground | ${rs(pr.fewChartsOverPlayground)} | ${f0(med('typedFewCharts'))} / ${f0(med('playground'))} (medians) |`);
    lines.push(`| the app page, every chart drawn, link option \`engine=tfjs\` (wasm) | tfjs | ${rs(pr.typedOverTfjs)} | ${f0(med('typed'))} / ${f1(med('tfjs'))} (medians) |`);
  }
  lines.push('');
  if (rounds.length) {
    lines.push(
      'Page rounds: the app (`dist/`, columns layout, viewport 1600×2400, every chart on screen, test metrics every 50 steps) on the typed engine,',
      'the Playground loop alone in a worker of the bench page, the app on the tfjs engine (wasm), the Playground loop with the loss over',
      'every training and test point after each epoch (Playground\'s `oneStep()` does this; the plain loop does not), the app on the typed',
      'engine in an 800×500 window (default layout: most charts off screen, and the page redraws only charts on screen); the order turns each round.',
      'steps/s from the worker\'s step counter over each window. Goals: typed ÷ Playground ≥ 2×, typed ÷ tfjs ≥ 10× (both in the page).',
      '',
      '| round | typed (engine, fps) | Playground loop | with per-epoch loss | tfjs (engine/backend) | typed, small window | typed ÷ Playground | ÷ Playground with loss | typed ÷ tfjs |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    rounds.forEach((x, i) => {
      const t = x.typed ?? {};
      const pl = x.playground ?? {};
      const tf = x.tfjs ?? {};
      const pll = x.playgroundLoss ?? {};
      lines.push(
        `| ${i + 1} | ${t.error ? `error: ${t.error.slice(0, 80)}` : `${f0(t.stepsPerSec)} (${t.engine}, ${f1(t.fps)} fps)`} | ${pl.error ? 'error' : f0(pl.stepsPerSec)} | ${pll.error ? 'error' : f0(pll.stepsPerSec)} | ${tf.error ? `error: ${tf.error.slice(0, 80)}` : `${f1(tf.stepsPerSec)} (${tf.engine}/${tf.backend})`} | ${x.typedFewCharts ? (x.typedFewCharts.error ? 'error' : f0(x.typedFewCharts.stepsPerSec)) : '–'} | ${f(x.typedOverPlayground)}× | ${f(x.typedOverPlaygroundLoss)}× | ${f1(x.typedOverTfjs)}× |`,
      );
    });
  }
  return lines.join('\n') + '\n';
}

/** `npm run bench -- --only=dispatch`: compute dispatches per step on webgpu. */
function dispatchSection(r) {
  const d = r.dispatch;
  if (!d) return '_not run_\n';
  if (d.error || d.unavailable) return `_${d.error ? 'failed' : 'unavailable'}: ${d.error ?? d.unavailable}_\n`;
  const models = [...new Set((d.counts ?? []).map((c) => c.model))];
  const at = (m, loop) => (d.counts ?? []).find((c) => c.model === m && c.loop === loop);
  const lines = [
    `Every \`GPUComputePassEncoder.dispatchWorkgroups\` call counted in the bench page's worker (adapter: ${d.info ?? 'unknown'}),`,
    'per training step (from chunks of two sizes; the chunk\'s readback apart). Fused: the telemetry sums of squares, the',
    'masked commit and (plain SGD) the update with it as WebGPU shaders (src/engine/fusedWebgpu.ts); off: the same results from tfjs ops.',
    '',
    '| model | gradscope, fused off | gradscope, fused on | bare tfjs (`optimizer.minimize`) |',
    '|---|---|---|---|',
  ];
  for (const m of models) {
    const c = (loop) => at(m, loop)?.perStep;
    lines.push(`| ${m} | ${f1(c('gradscope, fused off'))} | **${f1(c('gradscope, fused on'))}** | ${f1(c('bare tfjs'))} |`);
  }
  return lines.join('\n') + '\n';
}

function uiTable(r) {
  const rows = (r.app ?? []).filter((s) => s.kind === 'ui');
  if (!rows.length) return '_not measured_\n';
  const lines = [
    '| backend | phase | seconds | frames/s | long tasks | longest (ms) | long-task ms per s | records/s to the page | steps/s per run |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const u of rows) {
    if (u.error) {
      lines.push(`| ${u.requested} | error: ${String(u.error).slice(0, 100)} | | | | | | | |`);
      continue;
    }
    for (const ph of ['idle', 'training', 'paused']) {
      const w = u[ph];
      if (!w) continue;
      lines.push(
        `| ${u.backend} | ${ph === 'idle' ? 'before start' : ph} | ${f1(w.seconds)} | ${f1(w.fps)} | ${w.longTasks} | ${f0(w.longestTaskMs)} | ${f0(w.longTaskMsPerSec)} | ${f0(w.recordsPerSec)} | ${w.stepsPerSec.map(f1).join(', ')} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function memorySection(r) {
  const out = [];
  const n = r.nodeMemory;
  if (n?.results) {
    out.push(`Node (${n.backend} backend), tf.memory().numTensors:\n`);
    out.push('| case | steps | before | trainer built | end of training | after dispose | JS heap start → end |');
    out.push('|---|---|---|---|---|---|---|');
    for (const c of n.results) {
      out.push(
        `| ${c.case} | ${c.steps}${c.stoppedEarly ? ` of ${c.target} (time budget)` : ''} | ${c.numTensors.before} | ${c.numTensors.built} | ${c.numTensors.end} | ${c.numTensors.afterDispose} | ${f1(c.heapUsedMB.start)} → ${f1(c.heapUsedMB.end)} MB |`,
      );
    }
    out.push('');
  } else if (n?.error) out.push(`Node: error: ${n.error}\n`);
  const s = (r.app ?? []).find((x) => x.kind === 'session' && x.memory);
  if (s) {
    const m = s.memory;
    out.push(
      `Page (${s.backend} backend, real app): ${m.steps} of ${m.target} steps in ${f0(m.seconds)} s; worker numTensors ${m.workerTensors.start} → ${m.workerTensors.end} ` +
        `(${kb(m.workerBytes.start)} → ${kb(m.workerBytes.end)}); main-thread usedJSHeapSize ${mb(m.mainHeapBytes.start)} → ${mb(m.mainHeapBytes.end)} (after a forced GC)${m.note ? `; ${m.note}` : ''}.\n`,
    );
  }
  return out.length ? out.join('\n') + '\n' : '_not measured_\n';
}

function sizeSection(r) {
  const s = r.size;
  if (!s) return '_not measured_\n';
  if (s.error) return `error: ${s.error}\n`;
  return (
    `| what | files | bytes | gzip -9 |\n|---|---|---|---|\n` +
    `| main-thread JS (what index.html loads, static imports followed) | ${s.mainThreadJs.files.length} | ${kb(s.mainThreadJs.bytes)} | **${kb(s.mainThreadJs.gzip)}** |\n` +
    `| all JS (incl. worker and lazily loaded backend chunks) | ${s.allJs.count} | ${kb(s.allJs.bytes)} | ${kb(s.allJs.gzip)} |\n` +
    `| whole build (JS, CSS, HTML, wasm binaries) | ${s.whole.count} | ${kb(s.whole.bytes)} | **${kb(s.whole.gzip)}** |\n`
  );
}

export function machineLine(r) {
  const m = r.machine;
  return `${m.cores} cores (${m.cpuModel}), ${f0(m.memGiB)} GiB RAM, no GPU; Node ${m.node}; ${m.chromium ?? 'Chromium not run'}; software WebGPU/WebGL via SwiftShader`;
}

/** The headline table only (also pasted into README.md). */
export function summaryMarkdown(r) {
  const ov = overheadTable(r);
  return (
    `Measured ${r.date} on ${machineLine(r)}; commit ${r.commit}${r.dirty ? ' (+ uncommitted changes)' : ''}; ` +
    `${r.quick ? 'quick mode; ' : ''}load average ${f1(r.load.start)} at start, ${f1(r.load.end)} at end (the machine is shared).\n\n` +
    `Telemetry overhead, gradscope steps/s ÷ bare tfjs steps/s (median of interleaved A/B rounds; goal ≥ ${GOAL}×; ` +
    `below each ratio: gradscope / bare steps/s). Measured on software WebGPU (SwiftShader).\n\n` +
    ov
  );
}

export function resultsMarkdown(r) {
  const spiral = r.appConfig;
  const batch = spiral?.train?.batchSize ?? 10;
  const nTrain = spiral ? Math.round(spiral.data.samples * (1 - spiral.data.testFraction)) : 250;
  return `# gradscope benchmark, ${r.date}${r.quick ? ' (quick)' : ''}

${machineLine(r)}. Commit ${r.commit}${r.dirty ? ' with uncommitted changes in the working tree' : ''}.
Run: \`npm run bench${r.quick ? ' -- --quick' : ''}${r.chromeFlags.length ? ` -- --chrome-flags="${r.chromeFlags.join(' ')}"` : ''}\`, ${f0(r.durationSec)} s.
Load average (1 min) at start ${f1(r.load.start)}, at end ${f1(r.load.end)}: other work shared the 2 cores, so
absolute rates are noisy; the ratios come from loops measured side by side (alternating windows), which is what to read.
${r.stalls ? `Machine stalls: a plain JavaScript allocation loop, timed in ~2 ms chunks for ${r.stalls.seconds} s before the run, had ${r.stalls.over50} chunks over 50 ms (worst ${r.stalls.worstMs} ms)${r.stalls.over50 > 0 ? ': the VM pauses now and then whatever runs, which lowers every absolute rate below (not the ratios of interleaved loops as much)' : ''}.\n` : ''}
## 1. Telemetry overhead

${summaryMarkdown(r).split('\n\n').slice(1).join('\n\n')}
gradscope: the app's Trainer, one tf.tidy step (tf.variableGrads over the weights and the
activation probes, per-layer norms on the device, global-norm clipping at 1, SGD as a pure
function, masked commit), k steps read back with one data(). Bare: \`optimizer.minimize\` with
tf.train.sgd on the same model (the engine's forward, without probes), same data, batch and
chunk size k; the k losses are stacked and read back with one data(). No held-out evaluation on
either side. Node runs one process per backend; Chromium one page and module worker per backend.

${overheadDetails(r)}
## 2. Where the time goes

Kernels per training step (counted by wrapping the tfjs engine) and CPU time per step in Node;
details, phases and suggestions in [PROFILE.md](PROFILE.md).

${kernelsTable(r)}
## 2b. The "fastest" backend choice

${fastestSection(r)}
## 3. Pace against TensorFlow Playground

Real app (\`dist/\`), share URL with \`&backend=…\`, spiral, 500 points with half for training
(${nTrain}), 2 → 6×8 tanh → 2, batch ${batch}, SGD lr 0.03, no clipping, test metrics every 50 steps
(Playground computes them every epoch). steps/s from \`window.gradscope.store.getState().runtime[0].step\`;
epochs/s = steps/s × ${batch} / ${nTrain}. TensorFlow Playground trains one epoch per animation frame
(its \`Player\` runs \`oneStep()\`, one pass over all training points, from \`d3.timer\`), so at most
${PLAYGROUND_EPOCHS_PER_SEC} epochs/s on a 60 Hz display (${PLAYGROUND_EPOCHS_PER_SEC * nTrain / batch} steps/s at batch ${batch}).
Time to first chart point: click on start → first animation frame with a point in the
gradient-norm chart (the worker had already picked its backend); compared with what tfjs alone
needs to initialise the same backend in a fresh worker of the bench page (load the backend
package, setBackend, ready, one small op read back).

${paceTable(r, batch, nTrain)}
### The typed engine in Node

${typedSection(r)}
### Playground pace: the typed engine in Node, in a worker, in the page

${playgroundPaceSection(r)}
## 3b. WebGPU dispatches per step

${dispatchSection(r)}
## 4. UI with two runs training

Real app, two spiral runs (one with global-norm clipping), columns layout so that every chart
of both runs is on screen (viewport 1600×2400), ${r.uiSeconds} s training, then ${r.uiSeconds} s paused
(and a few seconds before the first start). Long tasks from PerformanceObserver('longtask'),
frames from a requestAnimationFrame counter, records = step rows delivered to the page's metrics store.
Headless Chromium composites with SwiftShader here, so frames cost CPU that training also needs.

${uiTable(r)}
## 4b. Training with the network view open

${netviewSection(r)}
## 5. Memory

${memorySection(r)}
## 6. Size

${sizeSection(r)}
`;
}

/**
 * A run of some sections only (`--only=pace,dispatch`): the header and those
 * sections, or null when one of them has no section of its own here (then the
 * whole report is written).
 */
export function partialMarkdown(r, only) {
  const parts = {
    pace: ['Playground pace: the typed engine in Node, in a worker, in the page', playgroundPaceSection],
    dispatch: ['WebGPU dispatches per step', dispatchSection],
    typed: ['The typed engine in Node', typedSection],
    fastest: ['The "fastest" backend choice', fastestSection],
  };
  if (!only.every((s) => parts[s])) return null;
  return `# gradscope benchmark, ${r.date}: ${only.join(', ')}${r.quick ? ' (quick)' : ''}

${machineLine(r)}. Commit ${r.commit}${r.dirty ? ' with uncommitted changes in the working tree' : ''}.
Run: \`npm run bench -- --only=${only.join(',')}${r.quick ? ' --quick' : ''}\`, ${f0(r.durationSec)} s.
Load average (1 min) at start ${f1(r.load.start)}, at end ${f1(r.load.end)}: other work shared the cores, so absolute
rates are noisy; read the ratios of loops measured side by side.

${only.map((s) => `## ${parts[s][0]}\n\n${parts[s][1](r)}`).join('\n')}`;
}

function netviewSection(r) {
  const rows = r.netview ?? [];
  if (!rows.length) return '_not measured_\n';
  const lines = [
    'Real app, run 0 training while its network view is opened and folded in alternating windows (the worker takes per-unit',
    'snapshots only while the view is open; the page draws them with the view on screen). Ratio: median steps/s open ÷ median',
    'steps/s folded; goal ≥ 0.8×.',
    '',
    '| model | backend (engine) | steps/s open | steps/s folded | open ÷ folded | pictures per window |',
    '|---|---|---|---|---|---|',
  ];
  for (const x of rows) {
    const model = x.model ? `${x.model.arch ?? 'mlp'} ${(x.model.hidden ?? []).join('-')}` : '?';
    if (x.error) {
      lines.push(`| ${model} | ${x.requested} | – | – | failed: ${x.error.replace(/\|/g, '/').slice(0, 120)} | – |`);
      continue;
    }
    const list = (v) => v.map((n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1))).join(', ');
    lines.push(`| ${model} | ${x.backend} (${x.engine}) | ${list(x.stepsPerSec.open)} | ${list(x.stepsPerSec.folded)} | **${x.ratio.toFixed(2)}×** | ${x.snapshotsPerWindow} in ${x.windowMs / 1000} s |`);
  }
  return lines.join('\n') + '\n';
}

function fastestSection(r) {
  const x = r.fastest;
  if (!x) return '_not measured_\n';
  if (x.error) return `_failed: ${x.error}_\n`;
  const rate = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(2));
  const lines = [
    `In the bench page's worker, as the app's training worker runs it (\`&backend=fastest\`): a few steps of each model on every`,
    `backend that started (${x.usable.join(', ')}), fastest first; then each backend measured again for longer (2.5 s, 5 s on`,
    'GPU backends, after a warm-up) as the reference. Goal: the choice within 10% of the best reference.',
    '',
    '| model | choice (time to choose) | quick measurement, steps/s | reference steps/s | best | choice ÷ best |',
    '|---|---|---|---|---|---|',
  ];
  for (const m of x.models) {
    const quickM = m.speeds.map((s) => `${s.backend} ${s.steps === 0 && s.stepsPerSec > 0 ? '≤ ' : ''}${rate(s.stepsPerSec)}`).join(', ');
    const ref = m.long.map((s) => `${s.backend} ${rate(s.stepsPerSec)}`).join(', ');
    const ok = m.ratio !== null && m.ratio >= 0.9;
    lines.push(`| ${m.label} | ${m.choice} (${(m.chooseMs / 1000).toFixed(1)} s) | ${quickM} | ${ref} | ${m.best} | **${m.ratio === null ? '–' : m.ratio.toFixed(2)}** ${ok ? '✓' : '✗'} |`);
  }
  return lines.join('\n') + '\n';
}

function phaseRow(name, s) {
  const ph = Object.fromEntries(s.phases.map((p) => [p.phase, p]));
  const cell = (p) => (p ? `${p.kernels} / ${f(p.spanMs)}` : '–');
  return `| ${name} | ${s.kernels} | ${s.uploads} | ${f(s.ms)} | ${f(s.kernelMs)} | ${cell(ph.pre)} | ${cell(ph.forward)} | ${cell(ph.backward)} | ${cell(ph.post)} |`;
}

export function profileMarkdown(r) {
  const out = [
    `# Where gradscope's training step spends its time`,
    '',
    `Generated by \`npm run bench\` on ${r.date}: ${machineLine(r)}; commit ${r.commit}${r.dirty ? ' (+ uncommitted changes)' : ''}.`,
    `Numbers from \`bench/node/profile.ts\` (Node, tfjs cpu and wasm backends, the models of the benchmark).`,
    'Kernels are counted by wrapping the tfjs engine\'s `runKernelFunc` (every op, forward or gradient) and',
    'tagged with the phase of the step from the engine state: *pre* (batch gather), *forward* (inside',
    'variableGrads), *backward* (gradient kernels), *post* (norms, clipping, optimizer, commit, row packing,',
    'and disposing the step\'s tensors). Uploads are tensors made from JS values (`tf.scalar`, `tf.tensor1d`).',
    'Wall times are medians of single recorded steps (recording adds a little per kernel); the CPU ms/step',
    'columns are unrecorded chunks of up to 16 steps. The machine is shared: compare rows side by side.',
    '',
  ];
  for (const p of Object.values(r.profile ?? {})) {
    if (!p?.models) {
      if (p?.error) out.push(`${p.backend}: error ${p.error}`, '');
      continue;
    }
    out.push(`## ${p.backend} backend`, '');
    out.push(`Dispatch floor: ${f1(p.dispatch.usPerKernel)} µs per tiny kernel (tf.add of 8 floats), ${f1(p.dispatch.usPerScalar)} µs per tf.scalar.`, '');
    out.push('| step | kernels | uploads | wall ms | Σ kernel ms | pre: kernels / ms | forward | backward | post |', '|---|---|---|---|---|---|---|---|---|');
    for (const m of p.models) {
      out.push(phaseRow(`${m.model} gradscope`, m.gradscope));
      out.push(phaseRow(`${m.model} bare`, m.bare));
    }
    out.push('');
    out.push('Unrecorded throughput (median ms per step over chunks of up to 16 steps) and the readback of one chunk\'s rows:', '');
    out.push('| model | layers | variables | params | gradscope wall / CPU ms | bare wall / CPU ms | readback (rows: ms) |', '|---|---|---|---|---|---|---|');
    for (const m of p.models) {
      out.push(
        `| ${m.model} | ${m.layers} | ${m.variables} | ${m.params} | ${f(m.perStep.gradscope.wallMs)} / ${f(m.perStep.gradscope.cpuMs)} | ${f(m.perStep.bare.wallMs)} / ${f(m.perStep.bare.cpuMs)} | ${m.readbackRows}: ${f(m.readbackMs)} |`,
      );
    }
    out.push('');
    out.push('Kernels of the post phase by name (gradscope), and kernels / Σ kernel ms per phase of the step as the trainer reports them (`onPhase`):', '');
    const stepPhases = [...new Set(p.models.flatMap((m) => (m.gradscope.byStepPhase ?? []).map((x) => x.phase)))];
    out.push(`| model | post-phase kernels by name | ${stepPhases.join(' | ')} |`, `|---|---|${stepPhases.map(() => '---|').join('')}`);
    for (const m of p.models) {
      const post = Object.entries(m.gradscope.byPhase.post)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const cells = stepPhases.map((ph) => {
        const x = (m.gradscope.byStepPhase ?? []).find((y) => y.phase === ph);
        return x ? `${x.kernels} / ${f(x.kernelMs)}` : '–';
      });
      out.push(`| ${m.model} | ${post} | ${cells.join(' | ')} |`);
    }
    out.push('');
    out.push('Forward and backward kernels by name, gradscope vs bare:', '');
    out.push('| model | forward gradscope | forward bare | backward gradscope | backward bare |', '|---|---|---|---|---|');
    const names = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    for (const m of p.models) {
      out.push(`| ${m.model} | ${names(m.gradscope.byPhase.forward)} | ${names(m.bare.byPhase.forward)} | ${names(m.gradscope.byPhase.backward)} | ${names(m.bare.byPhase.backward)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
