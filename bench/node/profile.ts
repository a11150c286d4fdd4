/**
 * Where the time of gradscope's step goes, in Node (cpu or wasm backend).
 * For each model: kernels per step by phase and by name, wall time per phase
 * (kernels and the JS between them), the same for the bare tfjs step, the
 * readback, the per-kernel dispatch floor of the backend, and kernel counts of
 * the engine's telemetry building blocks measured in isolation.
 * Prints one JSON document on stdout.
 *
 *   node --import tsx bench/node/profile.ts --backend cpu|wasm [--quick]
 */
import * as tf from '../../src/engine/tf.ts';
import { setNodeBackend, type NodeBackend } from '../../src/node/tf-node.ts';
import { OPTIMIZER_RULES } from '../../src/engine/optimizers.ts';
import { clipGradients, createAdaptiveState, disposeAdaptiveState, layerMatrixOf, layerSquares } from '../../src/engine/stabilizers.ts';
import { selectAll, sumSquaresBySlot } from '../../src/engine/fused.ts';
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

/** Kernel count and median wall time of one call of `fn` (inside tidy). */
function block(fn: () => unknown, reps: number): { kernels: number; ms: number; uploads: number } {
  const ms: number[] = [];
  let kernels = 0;
  let uploads = 0;
  const start = performance.now();
  for (let i = 0; i < reps && (i < 2 || performance.now() - start < 1000); i++) {
    const r = rec.record(() => tf.tidy(() => void fn()));
    kernels = r.events.length;
    uploads = r.uploads;
    ms.push(r.ms);
  }
  return { kernels, ms: median(ms), uploads };
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
  const gs = new GradscopeLoop(cfg);
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

    // The telemetry building blocks of the engine, alone, on this model's shapes.
    const vars = tr.model.trainable;
    const nL = tr.nLayers;
    const layerMatrix = layerMatrixOf(tr.model.varLayer, nL);
    const varLayer = tf.tensor1d(tr.model.varLayer, 'int32');
    const probeShapes = tr.model.layers.map((l) => [tr.batchSize, ...l.outShape]);
    const probeGrads = probeShapes.map((s) => tf.randomNormal(s));
    const grads = vars.map((v) => tf.randomNormal(v.shape));
    const adaptive = createAdaptiveState();
    const reps = quick ? 3 : 7;
    const blocks = {
      actGradNorms: block(() => tf.stack(probeGrads.map((g) => tf.norm(g))), reps),
      layerSquaresOnce: block(() => layerSquares(grads, tr.model.varLayer, layerMatrix), reps),
      clipGlobalNorm: block(() => {
        const layerSq = layerSquares(grads, tr.model.varLayer, layerMatrix);
        const globalNorm = tf.sqrt(tf.sum(layerSq)) as tf.Scalar;
        return clipGradients({ grads, weights: vars, layers: tr.model.varLayer, varLayer, layerMatrix, layerSq, globalNorm, adaptive }, tr.cfg.stabilizers.clip);
      }, reps),
      layerSquaresForClip: block(() => {
        const layerSq = layerSquares(grads, tr.model.varLayer, layerMatrix);
        return tf.sqrt(tf.sum(layerSq));
      }, reps),
      sgdUpdateAll: block(() => {
        const lr = tf.scalar(0.01);
        const t = tf.scalar(1);
        return vars.map((v, i) => OPTIMIZER_RULES.sgd.update({ w: v, g: grads[i], slots: [], lr, t, cfg: tr.cfg.optimizer }).w);
      }, reps),
      sgdUpdateCommitDiff: block(() => {
        const apply = tf.scalar(true, 'bool');
        const applied = selectAll(
          apply,
          vars.map((v, i) => tf.sub(v, tf.mul(0.01, grads[i]))),
          vars,
        );
        return [...applied, sumSquaresBySlot(applied, tr.model.varLayer, nL, layerMatrix, vars)];
      }, reps),
    };
    tf.dispose([layerMatrix, varLayer, ...probeGrads, ...grads]);
    disposeAdaptiveState(adaptive);

    models.push({
      model: m.id,
      label: m.label,
      layers: nL,
      variables: vars.length,
      params: tr.model.paramCount,
      batch: tr.batchSize,
      gradscope: gsStep,
      bare: bareStep,
      readbackMs,
      readbackRows,
      perStep: { gradscope: gsRate, bare: bareRate },
      blocks,
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
