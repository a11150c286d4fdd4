/**
 * The typed engine: one training run of a small MLP in plain TypeScript over
 * typed arrays, with no TensorFlow.js in its step. It produces the packed rows
 * (rows.ts) of the tfjs engine (trainer.ts) for the same config and seed: the
 * same initial weights (init.ts, drawn in buildModel's order), data and batch
 * order (makeDataset, BatchStream), optimizer rules and schedules (optimizers.ts),
 * clip modes (stabilizers.ts), decoupled weight decay, L1/L2 penalties,
 * skipNonFinite, evaluation steps and telemetry.
 *
 * Why hand-written: a tiny net's tfjs step is a few hundred kernels, each with a
 * fixed cost of several microseconds whatever its size; plain loops over
 * preallocated typed arrays do the whole step in a fraction of that (see
 * engines.ts for the measurements), and no library computes this telemetry
 * (per-layer norms of gradients, weights, updates and ∂L/∂h in float64) alongside.
 * Every buffer of a step is allocated once, in the constructor; a chunk of k steps
 * allocates only the k rows it returns.
 *
 * Every number is rounded as tfjs rounds it on its cpu backend, op by op: the
 * net's passes (net.ts), the loss, the penalties, the per-layer sums of squares
 * (float64 sums stored as float32, as fused.ts does), the clip factors and the
 * optimizer rules with their float32 constants. Against tfjs's cpu backend the rows
 * and weights come out the same bit for bit in practice (typed/differential.test.ts),
 * NaN and Infinity included, so a run diverges at the same step in both engines.
 *
 * The loss is the tfjs engine's for the data set's task: softmax cross-entropy for a
 * classification (acc: the share correct), mean squared error for a regression (one
 * linear output; acc: the batch's R², and the held-out R² against the test targets'
 * Σ(t − mean t)² in float64, as trainer.ts computes it).
 *
 * This file holds the trainer and its step; the losses and the L1/L2 penalties are in
 * loss.ts, the telemetry sums in sums.ts, the clip modes in clip.ts, the optimizer
 * rules and batch norm's moving statistics in update.ts.
 */
import { rebuildNeeded } from '../fields.ts';
import { withChangesAt, type ConfigChange } from '../changes.ts';
import type { RunConfig } from '../config.ts';
import { BatchStream, gridPoints, makeDataset, sumSquaredDeviations, targetRange, type Dataset } from '../data/datasets.ts';
import { initKernel } from '../init.ts';
import { layerNamesFor } from '../model.ts';
import { OPTIMIZER_RULES, learningRateAt } from '../optimizers.ts';
import type { StepRecord } from '../records.ts';
import { subRng } from '../rng.ts';
import { ROW, STATUS, rowLength } from '../rows.ts';
import { decodeEngineRows, isEvalStep, type RunTrainer } from '../runTrainer.ts';
import { clipGradients, type AdaptiveStats, type ClipBuffers } from './clip.ts';
import { addPenalties, crossEntropyRows, meanSquaredErrorRows, sumSquaredErrors } from './loss.ts';
import { MlpNet, type InferSink } from './net.ts';
import { sumSquares } from './sums.ts';
import { typedEngineSupports } from './supports.ts';
import { applyUpdate, updateMovingStats } from './update.ts';
import { UpdateTracker, type UnitSnapshot } from '../unitSnapshot.ts';
import { typedUnitSnapshot } from './unitSnapshot.ts';

const f = Math.fround;

export interface TypedTrainerOptions {
  run?: number;
}

export class TypedTrainer implements RunTrainer {
  readonly engine = 'typed' as const;
  cfg: RunConfig;
  readonly run: number;
  readonly data: Dataset;
  readonly net: MlpNet;
  readonly layerNames: string[];
  readonly batchSize: number;
  /** Index of the next step (= updates attempted so far). */
  step = 0;

  private readonly batches: BatchStream;
  private readonly idx: Int32Array;
  private readonly labels: Int32Array;
  /** A regression's batch targets. */
  private readonly targets: Float32Array;
  /** The data set is a regression (mean squared error, R²), else a classification. */
  private readonly regression: boolean;
  /** A regression's Σ(t − mean t)² over the test targets (float64), for the held-out R². */
  private readonly testSst: number;
  private optimizerName: RunConfig['optimizer']['name'];
  /** Optimizer slots: one array of the parameters' size per slot of the rule (optimizers.ts). */
  private slots: Float32Array[];
  /** The config's mid-run changes (changes.ts), applied as their steps come. */
  private readonly replay: readonly ConfigChange[];
  /** Applied updates so far (Adam's bias correction counts these). */
  private iteration = 0;
  private readonly adaptive: AdaptiveStats = { mu: 0, nu: 0, count: 0 };
  /** Per layer: Σ g², Σ g² after clipping, Σ W², Σ ΔW², Σ (∂L/∂h)² (float64 sums, then float32 values). */
  private readonly gSq: Float64Array;
  private readonly cSq: Float64Array;
  private readonly wSq: Float64Array;
  private readonly uSq: Float64Array;
  private readonly hSq: Float64Array;
  /** Per layer, over the kernel alone: Σ g², Σ W², Σ ΔW². */
  private readonly kgSq: Float64Array;
  private readonly kwSq: Float64Array;
  private readonly kuSq: Float64Array;
  /** addPenalties' result: [loss with the penalty, the penalty]. */
  private readonly penalties = new Float64Array(2);
  /** What the clip mode reads and writes: gSq, cSq, the adaptive statistics and scratch. */
  private readonly clipBuffers: ClipBuffers;
  /** The loss function's result: [mean loss, correct count] (classification) or [mean loss, R²] (regression). */
  private readonly ce = new Float64Array(2);
  private readonly evalSink: InferSink & { lossSum: number; correct: number };
  private disposed = false;
  private readonly unitTracker = new UpdateTracker();

  constructor(cfg: RunConfig, opts: TypedTrainerOptions = {}) {
    const why = typedEngineSupports(cfg);
    if (why) throw new Error(`typed engine: ${why}`);
    this.cfg = cfg;
    this.run = opts.run ?? 0;
    this.data = makeDataset(cfg);
    const d = this.data;
    this.batchSize = Math.min(cfg.train.batchSize, d.nTrain);
    this.batches = new BatchStream(d.nTrain, cfg.seed);
    this.optimizerName = cfg.optimizer.name;
    const { hidden, activation, norm, residual, init, initGain } = cfg.model;
    this.net = new MlpNet({ inputSize: d.inputSize, hidden, nClasses: d.nClasses, activation, norm, residual }, this.batchSize);
    const net = this.net;
    this.layerNames = layerNamesFor(cfg.model);
    // The initial kernels: the same draws, in the same order, as buildModel (model.ts).
    const rng = subRng(cfg.seed, 'init');
    for (const layer of net.layers) layer.kernel.set(initKernel(init, layer.fanIn, layer.units, initGain, rng));
    this.idx = new Int32Array(this.batchSize);
    this.labels = new Int32Array(this.batchSize);
    this.regression = d.task === 'regression';
    this.targets = new Float32Array(this.regression ? this.batchSize : 0);
    this.testSst = this.regression ? sumSquaredDeviations(d.tTest) : 0;
    this.slots = this.freshSlots(cfg.optimizer.name);
    this.replay = cfg.changes ?? [];
    const L = net.nLayers;
    this.gSq = new Float64Array(L);
    this.cSq = new Float64Array(L);
    this.wSq = new Float64Array(L);
    this.uSq = new Float64Array(L);
    this.hSq = new Float64Array(L);
    this.kgSq = new Float64Array(L);
    this.kwSq = new Float64Array(L);
    this.kuSq = new Float64Array(L);
    this.clipBuffers = {
      gSq: this.gSq,
      cSq: this.cSq,
      layerScale: new Float64Array(L),
      unitW: new Float64Array(net.maxWidth),
      unitG: new Float64Array(net.maxWidth),
      adaptive: this.adaptive,
    };
    const ce = this.ce;
    const C = d.nClasses;
    const yTest = d.yTest;
    const tTest = d.tTest;
    this.evalSink = this.regression
      ? {
          lossSum: 0,
          correct: 0,
          take(pred, start, count) {
            // the tfjs engine: Σ over chunks of the chunk's Σ(p − t)²
            this.lossSum = f(this.lossSum + sumSquaredErrors(pred, tTest, start, count, f));
          },
        }
      : {
          lossSum: 0,
          correct: 0,
          take(logits, start, count) {
            crossEntropyRows(logits, yTest, start, count, C, null, f, ce);
            // the tfjs engine: Σ over chunks of (chunk mean loss)·(chunk size)
            this.lossSum = f(this.lossSum + f(ce[0] * count));
            this.correct += ce[1];
          },
        };
  }

  get paramCount(): number {
    return this.net.params.length;
  }

  get nLayers(): number {
    return this.net.nLayers;
  }

  get rowLength(): number {
    return rowLength(this.nLayers);
  }

  /** Optimizer state of an update rule at its start. */
  private freshSlots(name: RunConfig['optimizer']['name']): Float32Array[] {
    const P = this.net.params.length;
    return OPTIMIZER_RULES[name].slots.map((s) => new Float32Array(P).fill(s.init));
  }

  /**
   * Applies changes that need no new model (the field table's live fields);
   * a new optimizer starts with fresh state, as in the tfjs engine. Returns
   * false when the change needs a rebuild.
   */
  updateConfig(cfg: RunConfig): boolean {
    if (rebuildNeeded(this.cfg, cfg)) return false;
    if (cfg.optimizer.name !== this.optimizerName) {
      this.slots = this.freshSlots(cfg.optimizer.name);
      this.optimizerName = cfg.optimizer.name;
      this.iteration = 0;
    }
    this.cfg = cfg;
    return true;
  }

  /** The config's mid-run changes due at `step`, applied before it runs. */
  private applyChangesAt(step: number): void {
    const cfg = withChangesAt(this.cfg, this.replay, step);
    if (cfg !== this.cfg) this.updateConfig(cfg);
  }

  lrAt(step: number): number {
    return learningRateAt(this.cfg.optimizer, this.cfg.train.steps, step);
  }

  private isEvalStep(step: number): boolean {
    return isEvalStep(this.cfg, step, this.data.nTest);
  }

  /** One step: writes its packed row at `rows[off…]`. */
  private stepRow(step: number, rows: Float32Array, off: number): void {
    const cfg = this.cfg;
    const net = this.net;
    const d = this.data;
    const B = this.batchSize;
    const D = d.inputSize;
    const C = d.nClasses;
    const layers = net.layers;
    const L = layers.length;

    // The batch.
    const idx = this.batches.next(B, this.idx);
    const x = net.x;
    for (let b = 0; b < B; b++) {
      const src = idx[b] * D;
      for (let k = 0; k < D; k++) x[b * D + k] = d.xTrain[src + k];
      this.labels[b] = d.yTrain[idx[b]];
    }
    const reg = this.regression;
    if (reg) for (let b = 0; b < B; b++) this.targets[b] = d.tTrain[idx[b]];

    // Held-out metrics on the weights this record describes (before the update).
    const evalDue = this.isEvalStep(step);
    let testLoss = 0;
    let testAcc = 0;
    if (evalDue) {
      const sink = this.evalSink;
      sink.lossSum = 0;
      sink.correct = 0;
      net.infer(d.xTest, d.nTest, sink);
      testLoss = f(sink.lossSum / d.nTest);
      // a regression: R² = 1 − SSE/testSst (0 when the test targets are all equal), as trainerStep.ts evaluate
      if (reg) testAcc = this.testSst > 0 ? f(1 - f(sink.lossSum / f(this.testSst))) : 0;
      else testAcc = f(sink.correct / d.nTest);
    }

    // Forward, loss, backward.
    net.forwardTrain();
    const out = layers[L - 1];
    if (reg) meanSquaredErrorRows(net.logits, this.targets, 0, B, out.dh, f, this.ce);
    else crossEntropyRows(net.logits, this.labels, 0, B, C, out.dh, f, this.ce);
    let loss = this.ce[0];
    const dataLoss = loss;
    let penalty = 0;
    // the batch's R², or its share of correct predictions
    const acc = reg ? this.ce[1] : f(this.ce[1] / B);
    net.backward();

    // L1/L2 penalties on every kernel, in the loss and in the gradient (loss.ts).
    const { l1, l2, skipNonFinite } = cfg.stabilizers;
    if (l1 > 0 || l2 > 0) {
      addPenalties(layers, l1, l2, loss, this.penalties);
      loss = this.penalties[0];
      penalty = this.penalties[1];
    }

    // Telemetry: per-layer Σ g², Σ W², Σ (∂L/∂h)², in float64, stored as float32.
    const gSq = this.gSq;
    const wSq = this.wSq;
    const hSq = this.hSq;
    const gNorm = sumSquares(net, gSq, wSq, hSq, this.kgSq, this.kwSq);
    const finite = Number.isFinite(loss) && Number.isFinite(gNorm);

    // Clipping (stabilizers.ts): scales `grads` in place, fills cSq.
    const changed = clipGradients(cfg.stabilizers.clip, net, this.clipBuffers, gNorm, finite);
    let cTotal = 0;
    for (let l = 0; l < L; l++) cTotal += this.cSq[l];
    const gNormClipped = f(Math.sqrt(f(cTotal)));

    // The update, committed unless skipNonFinite withdraws it.
    const lr = f(this.lrAt(step));
    const uSq = this.uSq;
    uSq.fill(0);
    this.kuSq.fill(0);
    if (finite || !skipNonFinite) {
      applyUpdate(this.optimizerName, cfg.optimizer, net, this.slots, this.iteration, lr, uSq, this.kuSq);
      updateMovingStats(layers);
      this.iteration++;
    }

    // The row, in rows.ts order.
    rows[off + ROW.step] = step;
    rows[off + ROW.lr] = lr;
    rows[off + ROW.loss] = loss;
    rows[off + ROW.dataLoss] = dataLoss;
    rows[off + ROW.penalty] = penalty;
    rows[off + ROW.acc] = acc;
    rows[off + ROW.gradNorm] = gNorm;
    rows[off + ROW.gradNormClipped] = gNormClipped;
    rows[off + ROW.status] = finite ? (changed ? STATUS.clipped : STATUS.ok) : STATUS.diverged;
    rows[off + ROW.evaluated] = evalDue ? 1 : 0;
    rows[off + ROW.testLoss] = testLoss;
    rows[off + ROW.testAcc] = testAcc;
    for (let l = 0; l < L; l++) {
      const o = off + ROW.HEAD + l * ROW.PER_LAYER;
      rows[o] = Math.sqrt(gSq[l]);
      rows[o + 1] = Math.sqrt(this.cSq[l]);
      rows[o + 2] = Math.sqrt(wSq[l]);
      rows[o + 3] = Math.sqrt(f(uSq[l]));
      rows[o + 4] = Math.sqrt(hSq[l]);
      rows[o + 5] = Math.sqrt(this.kgSq[l]);
      rows[o + 6] = Math.sqrt(this.kwSq[l]);
      rows[o + 7] = Math.sqrt(f(this.kuSq[l]));
    }
  }
  /** Runs k steps and returns their k packed rows (rows.ts). */
  async runStepsPacked(k: number): Promise<Float32Array> {
    if (this.disposed) throw new Error('trainer is disposed');
    const rl = this.rowLength;
    const rows = new Float32Array(k * rl);
    for (let i = 0; i < k; i++) {
      if (this.replay.length) this.applyChangesAt(this.step);
      this.stepRow(this.step, rows, i * rl);
      this.step++;
    }
    return rows;
  }

  decode(rows: Float32Array, count = rows.length / this.rowLength): StepRecord[] {
    return decodeEngineRows(rows, count, { run: this.run, label: this.cfg.label, layerNames: this.layerNames }, this.engine);
  }

  async runSteps(k: number): Promise<StepRecord[]> {
    return this.decode(await this.runStepsPacked(k));
  }

  /**
   * Class-1 probability on an n×n grid over [lo, hi]² (inference mode), row-major
   * from (lo, lo). A regression gives its prediction mapped to 0..1 over the
   * training targets' range, clipped, as the tfjs engine computes it.
   */
  async predictGrid(n: number, lo = -1.5, hi = 1.5): Promise<Float32Array> {
    if (this.data.inputSize !== 2) throw new Error('predictGrid needs a 2-D data set');
    const pts = gridPoints(n, lo, hi);
    const probs = new Float32Array(n * n);
    const C = this.data.nClasses;
    if (this.regression) {
      // (p − tMin)/(tMax − tMin), then clipByValue to [0, 1] (NaN stays NaN)
      const [tMin, tMax] = targetRange(this.data.tTrain);
      const min = f(tMin);
      const span = f(tMax - tMin || 1);
      this.net.infer(pts, n * n, {
        take(pred, start, count) {
          for (let b = 0; b < count; b++) {
            const v = f(f(pred[b] - min) / span);
            probs[start + b] = v > 1 ? 1 : v < 0 ? 0 : v;
          }
        },
      });
      return probs;
    }
    this.net.infer(pts, n * n, {
      take(logits, start, count) {
        for (let b = 0; b < count; b++) {
          const o = b * C;
          let max = logits[o];
          for (let c = 1; c < C; c++) if (Number.isNaN(logits[o + c]) || logits[o + c] > max) max = logits[o + c];
          let sum = 0;
          for (let c = 0; c < C; c++) sum += f(Math.exp(f(logits[o + c] - max)));
          probs[start + b] = f(Math.exp(f(logits[o + 1] - max))) / f(sum);
        }
      },
    });
    return probs;
  }

  /** Per-unit snapshot at the current weights for the network view (../unitSnapshot.ts). */
  async unitSnapshot(): Promise<UnitSnapshot> {
    if (this.disposed) throw new Error('trainer is disposed');
    return typedUnitSnapshot(this.net, this.data, this.cfg, this.step, this.layerNames, this.unitTracker);
  }

  /** Copies of every trainable variable, in the tfjs engine's order (kernel, bias[, gamma, beta] per layer). */
  async snapshot(): Promise<Float32Array[]> {
    const p = this.net.params;
    return this.net.vars.map((v) => Float32Array.from(p.subarray(v.offset, v.offset + v.size)));
  }

  dispose(): void {
    this.disposed = true;
  }
}
