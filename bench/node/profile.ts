/**
 * Where the time of gradscope's step goes, in Node (cpu or wasm backend).
 * For each model: kernels per step by phase and by name, wall time per phase
 * (kernels and the JS between them), the same for the bare tfjs step, the
 * readback, the per-kernel dispatch floor of the backend, and kernels and time
 * per phase of the step as the trainer itself reports them (its onPhase hook).
 * Prints one JSON document on stdout.
 *
 *   node --import tsx bench/node/profile.ts --backend cpu|wasm [--quick]
 */
import * as tf from '../../src/engine/tf.ts';
import { setNodeBackend, type NodeBackend } from '../../src/node/tf-node.ts';
import { configFor, modelsFor, type ModelId } from '../lib/cells.ts';
import { BareLoop, GradscopeLoop, median } from '../lib/ab.ts';
import { KernelRecorder, summarize, PHASES, type StepSummary } from '../lib/kernels.ts';
import { cpuNowMs, parseArgs } from './args.ts';

const args = parseArgs(process.argv.slice(2));
const backend = String(args.backend ?? 'cpu') as NodeBackend;
const quick = !!args.quick;
await setNodeBackend(backend);
const only = typeof args.models === 'string' ? args.models.split(',') : null;
const REPS = quick ? 3 : 7;

const rec = new KernelRecorder();

/** Records up to `reps` single steps (fewer for slow steps); returns the last step's counts with median times. */
function profileSteps(run: () => tf.Tensor, reps: number, budgetMs = quick ? 2000 : 5000): StepSummary {
  const sums: StepSummary[] = [];
  const start = performance.now();
  for (let i = 0; i < reps && (i < 2 || performance.now() - start < budgetMs); i++) {
    const t0 = performance.now();
    const r = rec.record(() => tf.tidy(run));
    r.result.dispose();
    sums.push(summarize(r.events, r.uploads, t0, r.ms));
  }
  const last = sums[sums.length - 1];
  return {
    ...last,
    ms: median(sums.map((s) => s.ms)),
    kernelMs: median(sums.map((s) => s.kernelMs)),
    phases: PHASES.map((p, i) => ({
      phase: p,
      kernels: last.phases[i].kernels,
      kernelMs: median(sums.map((s) => s.phases[i].kernelMs)),
      spanMs: median(sums.map((s) => s.phases[i].spanMs)),
    })),
    byName: last.byName.map((n) => ({
      ...n,
      ms: median(sums.map((s) => s.byName.find((m) => m.name === n.name)?.ms ?? 0)),
    })),
  };
}

/** Per-step wall and CPU ms of a loop over whole chunks of k steps (no recording). */
async function throughput(chunk: (k: number) => Promise<void>, k: number, ms: number): Promise<{ wallMs: number; cpuMs: number; k: number }> {
  const w: number[] = [];
  const c: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < ms || w.length < 2) {
    const a = performance.now();
    const ca = cpuNowMs();
    await chunk(k);
    w.push((performance.now() - a) / k);
    c.push((cpuNowMs() - ca) / k);
  }
  return { wallMs: median(w), cpuMs: median(c), k };
}

// Dispatch floor: a tiny elementwise kernel, and a scalar made from a JS number.
function floor(): { usPerKernel: number; usPerScalar: number } {
  const a = tf.ones([8]);
  const N = 2000;
  const runs: number[] = [];
  const scal: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    let t0 = performance.now();
    tf.tidy(() => {
      let x: tf.Tensor = a;
      for (let i = 0; i < N; i++) x = tf.add(x, a);
      return x;
    }).dispose();
    runs.push(((performance.now() - t0) / N) * 1000);
    t0 = performance.now();
    tf.tidy(() => {
      for (let i = 0; i < N; i++) tf.scalar(i);
    });
    scal.push(((performance.now() - t0) / N) * 1000);
  }
  a.dispose();
  return { usPerKernel: median(runs.slice(1)), usPerScalar: median(scal.slice(1)) };
}

const dispatch = floor();
const models = [];
for (const m of modelsFor(backend).filter((x) => !only || only.includes(x.id))) {
  const cfg = configFor(m.id as ModelId);
  const gs = new GradscopeLoop(cfg, { onPhase: (p) => (rec.stepPhase = p) });
  const bare = new BareLoop(cfg);
  const tr = gs.trainer;
  try {
    for (let i = 0; i < 3; i++) {
      await gs.chunk(4);
      await bare.chunk(4);
    }
    const gsStep = profileSteps(() => tr.runStepsTensor(1), REPS);
    const bareStep = profileSteps(() => bare.step(), REPS);

    // Readback of a 16-row chunk (the rows of 16 steps), and steady throughput without the recorder.
    const readbackRows = gsStep.ms > 50 ? 1 : 16;
    const packed = tr.runStepsTensor(readbackRows);
    const r0 = performance.now();
    await packed.data();
    const readbackMs = performance.now() - r0;
    packed.dispose();
    // Chunks of about 100 ms (at most 16 steps), like the trainer's readback cadence.
    const k = Math.max(1, Math.min(16, Math.round(100 / Math.max(gsStep.ms, 0.1))));
    const gsRate = await throughput((n) => gs.chunk(n), k, quick ? 400 : 1000);
    const bareRate = await throughput((n) => bare.chunk(n), k, quick ? 400 : 1000);

    models.push({
      model: m.id,
      label: m.label,
      layers: tr.nLayers,
      variables: tr.model.trainable.length,
      params: tr.paramCount,
      batch: tr.batchSize,
      gradscope: gsStep,
      bare: bareStep,
      readbackMs,
      readbackRows,
      perStep: { gradscope: gsRate, bare: bareRate },
    });
    process.stderr.write(
      `  profile ${backend}/${m.id}: ${gsStep.kernels} kernels/step (bare ${bareStep.kernels}); ` +
        `${gsRate.cpuMs.toFixed(2)} vs ${bareRate.cpuMs.toFixed(2)} CPU ms/step\n`,
    );
  } finally {
    gs.dispose();
    bare.dispose();
  }
}
rec.uninstall();
process.stdout.write(JSON.stringify({ backend, dispatch, models }) + '\n');
