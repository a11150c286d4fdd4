/**
 * `gradscope theory <config> [--backend B]`: the theory line of every run, one
 * JSON object per run. For each layer (input → output, the layer order of the
 * step records): `factor`, the predicted ‖∂L/∂h_{l-1}‖²/‖∂L/∂h_l‖² over the
 * first batch, and `actGradNorm`, the predicted ‖∂L/∂h_l‖ at initialization,
 * for the batch of step 0. The line is the page's (engine/theory.ts
 * `predictedProfile` on `netSpecOf(cfg)`), anchored at the same number, the
 * measured ‖∂L/∂logits‖ of step 0; the CLI also has the network, so it splits
 * that norm over the examples as measured (see `predictedProfile` on why that
 * is the exact anchor) where the page can only use the shares theory expects.
 */
import type { RunConfig } from '../engine/config.ts';
import { loadRunData, resolveRunData } from './data.ts';
import { toJsonLine } from '../engine/format.ts';
import { firstBatch, netSpecOf, predictedProfile, theoryNote, type Profile } from '../engine/theory.ts';
import { UsageError, backendFor, backendOption, loadConfigArg, parseCommand, printOut, stdoutOut, validated } from './io.ts';

export const THEORY_HELP = `gradscope theory <config> [options]

Prints the mean-field theory line at initialization for every run of the
experiment: one JSON object per run,
  {"run":0,"label":"A","layers":[{"name":"dense1","factor":…,"actGradNorm":…},…]}
with the layers in the order of the step records (input → output), and a
"note" after them where one net's step 0 is known to sit off the line (a
residual ReLU net; a deep sigmoid net with σ_w ≥ 2 or two classes), the note
the page shows under its chart.

  actGradNorm  the predicted ‖∂L/∂h‖ of the layer's output over the first batch
               (the batch of step 0), anchored at the measured ‖∂L/∂logits‖ of
               step 0 like the page's dashed line; compare it with the
               actGradNorm of the step-0 record of \`gradscope run\`
  factor       the predicted ‖∂L/∂h_in‖² / ‖∂L/∂h_out‖² of the layer over that
               batch (dense1's input is the data; the output layer's is σ_w²)

Each example of the batch follows its own variance recursion from ‖x‖²; the
batch's norm is the root of the sum over its examples. In a residual ReLU net
the part of ∂L/∂h along the all-positive stream grows faster than the rest;
its size at the top comes from each example's ∂L/∂logits · logits. The command builds each
network and runs its step 0 (learning rate 0) to measure the anchor.
Plain MLPs only (model.arch "mlp", model.norm "none").

Options:
  --backend B        auto (default), cpu or wasm
  -h, --help         this help

Example:
  gradscope theory '{"model":{"hidden":[128,128,128,128],"activation":"tanh","init":"normal","initGain":3},"train":{"batchSize":256}}'
`;

export interface TheoryLine {
  run: number;
  label: string;
  layers: { name: string; factor: number; actGradNorm: number }[];
  /** Only where the run is in a regime the line leaves out (engine/theory.ts `theoryNote`). */
  note?: string;
}

/** Why the theory does not apply to a run, or null. */
export function notPlainMlp(cfg: RunConfig): string | null {
  if (cfg.model.arch !== 'mlp') return 'is a CNN';
  if (cfg.model.norm !== 'none') return `uses ${cfg.model.norm} normalization`;
  return null;
}

/**
 * The theory line of one run, from its step 0 on the current tfjs backend:
 * the anchor is that step's measured ‖∂L/∂logits‖ (the record's output-layer
 * actGradNorm), split over the examples of the batch by their own ‖∂L/∂logits^(i)‖²,
 * computed from the initial network's logits on that batch.
 */
export interface TheoryRun extends TheoryLine {
  profile: Profile;
  /** The measured ‖∂L/∂logits‖ of step 0. */
  anchor: number;
  /** Each example's measured ‖∂L/∂logits^(i)‖², times B², in batch order. */
  exampleSquares: Float64Array;
  /** Each example's (∂L/∂logits^(i) · logits^(i))², times B², in batch order. */
  streamSquares: Float64Array;
  /** The step-0 record's measured actGradNorm of every layer. */
  measured: number[];
}

export async function theoryLine(cfg: RunConfig, run: number): Promise<TheoryRun> {
  const spec = netSpecOf(cfg);
  if (!spec) throw new UsageError(`theory: run ${run} ${notPlainMlp(cfg)}: the theory line is for plain MLPs`);
  const tf = await import('../engine/tf.ts');
  const { Trainer } = await import('../engine/trainer.ts');
  const { forward } = await import('../engine/model.ts');
  // Step 0 changes nothing with lr 0 (and the logits below are taken before it anyway).
  const probe: RunConfig = structuredClone(cfg);
  probe.optimizer.lr = 0;
  probe.train.steps = 1;
  probe.train.evalEvery = 0;
  const trainer = new Trainer(probe, { run });
  try {
    const { data, idx } = firstBatch(cfg);
    const B = idx.length;
    const d = data.inputSize;
    const x = new Float32Array(B * d);
    idx.forEach((src, i) => x.set(data.xTrain.subarray(src * d, src * d + d), i * d));
    const logitsT = tf.tidy(() => forward(trainer.model, tf.tensor(x, [B, ...data.inputShape], 'float32'), { training: false }));
    const logits = await logitsT.data();
    logitsT.dispose();
    // ∂(mean cross-entropy)/∂logits^(i) = (softmax(z_i) − e_{y_i})/B; the common 1/B² does not matter.
    // With them, (∂L/∂logits^(i) · logits^(i))²: a residual ReLU net's stream part (theory.ts predictedProfile).
    const C = data.nClasses;
    const squares = new Float64Array(B);
    const streamSquares = new Float64Array(B);
    for (let i = 0; i < B && data.task === 'regression'; i++) {
      // Mean squared error: ∂L/∂p_i = 2(p_i − t_i)/B; again the common factor does not matter.
      const d = logits[i] - data.tTrain[idx[i]];
      squares[i] = d * d;
      streamSquares[i] = (d * logits[i]) ** 2;
    }
    for (let i = 0; i < B && data.task !== 'regression'; i++) {
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, logits[i * C + c]);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(logits[i * C + c] - max);
      let dot = 0;
      for (let c = 0; c < C; c++) {
        const d = Math.exp(logits[i * C + c] - max) / sum - (data.yTrain[idx[i]] === c ? 1 : 0);
        squares[i] += d * d;
        dot += d * logits[i * C + c];
      }
      streamSquares[i] = dot * dot;
    }
    const [record] = await trainer.runSteps(1);
    const anchor = record.layers[record.layers.length - 1].actGradNorm;
    const profile = predictedProfile(spec, anchor, squares, streamSquares);
    const note = theoryNote(spec);
    return {
      run,
      label: cfg.label,
      layers: trainer.layerNames.map((name, l) => ({ name, factor: profile.factor[l], actGradNorm: profile.actGradNorm[l] })),
      ...(note ? { note: note.text } : {}),
      profile,
      anchor,
      exampleSquares: squares,
      streamSquares,
      measured: record.layers.map((l) => l.actGradNorm),
    };
  } finally {
    trainer.dispose();
  }
}

export async function cmdTheory(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    await printOut(THEORY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('theory: expects exactly one <config> (see gradscope theory --help)');
  const backend = backendOption(values.backend);
  const exp = validated(loadConfigArg(positionals[0]));
  exp.runs.forEach((r, i) => {
    const why = notPlainMlp(r);
    if (why) throw new UsageError(`theory: run ${i} (${JSON.stringify(r.label)}) ${why}: the theory line is for plain MLPs (model.arch "mlp", model.norm "none")`);
  });
  resolveRunData(exp, undefined);
  await loadRunData(exp);
  const backends = exp.runs.map((r) => backendFor(backend, r.model.arch));
  const out = stdoutOut();
  // Load TensorFlow.js only now: a bad config or --help answers at once.
  const { setNodeBackend } = await import('../node/tf-node.ts');
  for (let i = 0; i < exp.runs.length; i++) {
    await setNodeBackend(backends[i]);
    const { run, label, layers, note } = await theoryLine(exp.runs[i], i);
    await out.write(toJsonLine({ run, label, layers, ...(note ? { note } : {}) }) + '\n');
  }
  await out.close();
  return 0;
}
