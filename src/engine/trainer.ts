/**
 * One training run. A step is synchronous and runs inside tf.tidy:
 *   batch → tf.variableGrads over [model variables, activation probes]
 *   → per-layer norms on the device → clip → optimizer rule
 *   → commit with tf.where(apply, new, old) → one packed row tensor.
 * `runSteps(k)` stacks k rows and reads them back with a single `data()`.
 *
 * The back-propagated signal ‖∂L/∂h_l‖ is measured with zero "probe" variables
 * added to each layer's output: ∂L/∂probe_l = ∂L/∂h_l, so the same
 * variableGrads call gives it.
 *
 * The parts of a step that keep no state are in trainerStep.ts; createTrainer and
 * trainRun (a whole run) are in train.ts.
 */
import { gridPoints } from './data/datasets.ts';
import * as tf from './tf.ts';
import type { RunConfig } from './config.ts';
import { rebuildNeeded } from './fields.ts';
import { withChangesAt, type ConfigChange } from './changes.ts';
import { BatchStream, makeDataset, sumSquaredDeviations, targetRange, type Dataset } from './data/datasets.ts';
import { buildModel, disposeModel, forward, type Model } from './model.ts';
import { OPTIMIZER_RULES, learningRateAt } from './optimizers.ts';
import type { StepRecord } from './records.ts';
import { STATUS, rowLength } from './rows.ts';
import { decodeEngineRows, isEvalStep, type RunTrainer } from './runTrainer.ts';
import { clipGradients, createAdaptiveState, disposeAdaptiveState, layerMatrixOf, type AdaptiveState } from './stabilizers.ts';
import { selectAll, sgdSelectAll, sgdSelectAvailable, slotMaskOf, sumSquaresBySlot } from './fused.ts';
import { evaluate, gradients, nextValues } from './trainerStep.ts';
import { UpdateTracker, type UnitSnapshot } from './unitSnapshot.ts';
import { tfUnitSnapshot } from './unitSnapshotTf.ts';

/**
 * The parts of a step, in order: the batch gathered (and held-out metrics on
 * evaluation steps), forward and backward pass, per-layer norms, clipping, the
 * optimizer's new values, the commit and ‖ΔW‖², the row packed.
 */
export type StepPhase = 'batch' | 'gradients' | 'telemetry' | 'clip' | 'update' | 'commit' | 'row';
export const STEP_PHASES: readonly StepPhase[] = ['batch', 'gradients', 'telemetry', 'clip', 'update', 'commit', 'row'];

export interface TrainerOptions {
  run?: number;
  /**
   * Called as a step enters each of its phases (synchronously, inside the
   * step): a profiler attributes the kernels and time in between to it.
   */
  onPhase?: (phase: StepPhase) => void;
}

export class Trainer implements RunTrainer {
  readonly engine = 'tfjs' as const;
  cfg: RunConfig;
  readonly run: number;
  readonly data: Dataset;
  readonly model: Model;
  readonly layerNames: string[];
  readonly batchSize: number;
  /** Index of the next step (= updates attempted so far). */
  step = 0;

  private readonly batches: BatchStream;
  private readonly xTrain: tf.Tensor;
  private readonly yTrain: tf.Tensor; // one-hot, or [n, 1] targets of a regression
  private readonly labelsTrain: tf.Tensor1D;
  private readonly xTest: tf.Tensor | null;
  private readonly yTest: tf.Tensor | null;
  private readonly labelsTest: tf.Tensor1D | null;
  /** A regression's Σ(t − mean t)² over the test targets (float64), for R². */
  private readonly testSst: number | undefined;
  private readonly probes: tf.Variable[];
  private slots: tf.Variable[][];
  private readonly iteration: tf.Variable<tf.Rank.R0>;
  private readonly adaptive: AdaptiveState;
  private readonly varLayer: tf.Tensor1D;
  private readonly layerMatrix: tf.Tensor2D;
  /**
   * Slots of [gradients, weights, probe gradients, kernel gradients, kernels] →
   * [‖g‖², ‖W‖², ‖∂L/∂h‖², ‖g_kernel‖², ‖kernel‖²] per layer, and their bool mask (tfjs-ops path).
   */
  private readonly telemetrySlots: number[];
  private readonly telemetryMatrix: tf.Tensor2D;
  /** Slots of [weights, kernels] → [‖ΔW‖², ‖Δkernel‖²] per layer, and their mask. */
  private readonly updateSlots: number[];
  private readonly updateMatrix: tf.Tensor2D;
  /** Index of each layer's kernel among the trainable variables. */
  private readonly kernelAt: number[];
  private optimizerName: RunConfig['optimizer']['name'];
  /** The config's mid-run changes (changes.ts), applied as their steps come. */
  private readonly replay: readonly ConfigChange[];
  private disposed = false;
  private readonly unitTracker = new UpdateTracker();
  private readonly unitKernels = new Map<number, { step: number; kernel: tf.Tensor }>();
  private readonly onPhase: (phase: StepPhase) => void;

  constructor(cfg: RunConfig, opts: TrainerOptions = {}) {
    this.cfg = cfg;
    this.run = opts.run ?? 0;
    this.onPhase = opts.onPhase ?? (() => {});
    this.data = makeDataset(cfg);
    const d = this.data;
    this.batchSize = Math.min(cfg.train.batchSize, d.nTrain);
    this.batches = new BatchStream(d.nTrain, cfg.seed);
    this.optimizerName = cfg.optimizer.name;

    const reg = d.task === 'regression';
    this.xTrain = tf.tensor(d.xTrain, [d.nTrain, ...d.inputShape], 'float32');
    this.labelsTrain = tf.tensor1d(d.yTrain, 'int32');
    this.yTrain = reg ? tf.tensor2d(d.tTrain, [d.nTrain, 1]) : tf.tidy(() => tf.cast(tf.oneHot(this.labelsTrain, d.nClasses), 'float32'));
    if (d.nTest > 0) {
      this.xTest = tf.tensor(d.xTest, [d.nTest, ...d.inputShape], 'float32');
      this.labelsTest = tf.tensor1d(d.yTest, 'int32');
      this.yTest = reg ? tf.tensor2d(d.tTest, [d.nTest, 1]) : tf.tidy(() => tf.cast(tf.oneHot(this.labelsTest!, d.nClasses), 'float32'));
      this.testSst = reg ? sumSquaredDeviations(d.tTest) : undefined;
    } else {
      this.xTest = this.yTest = this.labelsTest = null;
    }

    this.model = buildModel(cfg, d.inputShape, d.nClasses);
    this.layerNames = this.model.layers.map((l) => l.name);
    this.varLayer = tf.tensor1d(this.model.varLayer, 'int32');
    this.layerMatrix = layerMatrixOf(this.model.varLayer, this.nLayers);
    const L = this.nLayers;
    const layerIds = this.model.layers.map((_, l) => l);
    this.kernelAt = this.model.layers.map((layer) => this.model.trainable.indexOf(layer.kernel));
    this.telemetrySlots = [
      ...this.model.varLayer,
      ...this.model.varLayer.map((l) => L + l),
      ...layerIds.map((l) => 2 * L + l),
      ...layerIds.map((l) => 3 * L + l),
      ...layerIds.map((l) => 4 * L + l),
    ];
    this.telemetryMatrix = slotMaskOf(this.telemetrySlots, 5 * L);
    this.updateSlots = [...this.model.varLayer, ...layerIds.map((l) => L + l)];
    this.updateMatrix = slotMaskOf(this.updateSlots, 2 * L);
    // tf.variable(init) keeps `init` alive as a tensor of its own: create the initial
    // values inside tidy so that only the variables remain.
    this.probes = this.model.layers.map((l, i) =>
      tf.tidy(() => tf.variable(tf.zeros([this.batchSize, ...l.outShape]), true, `${this.model.trainable[0].name.split('/')[0]}/probe${i}`)),
    );
    this.slots = this.freshSlots(cfg.optimizer.name);
    this.iteration = tf.tidy(() => tf.variable(tf.scalar(0), false));
    this.adaptive = createAdaptiveState();
    this.replay = cfg.changes ?? [];
  }

  /** Optimizer state of an update rule at its start (one set of slot variables per trainable variable). */
  private freshSlots(name: RunConfig['optimizer']['name']): tf.Variable[][] {
    const rule = OPTIMIZER_RULES[name];
    return this.model.trainable.map((v) => rule.slots.map((s) => tf.tidy(() => tf.variable(tf.fill(v.shape, s.init), false))));
  }

  get paramCount(): number {
    return this.model.paramCount;
  }

  get nLayers(): number {
    return this.model.layers.length;
  }

  get rowLength(): number {
    return rowLength(this.nLayers);
  }

  /**
   * Applies changes that need no new model (the field table's live fields) from
   * the next step on; a new optimizer starts with fresh state (its slots and its
   * step count at 0). Returns false when the change needs a rebuild.
   */
  updateConfig(cfg: RunConfig): boolean {
    if (rebuildNeeded(this.cfg, cfg)) return false;
    if (cfg.optimizer.name !== this.optimizerName) {
      for (const s of this.slots) for (const v of s) v.dispose();
      this.slots = this.freshSlots(cfg.optimizer.name);
      this.optimizerName = cfg.optimizer.name;
      tf.tidy(() => this.iteration.assign(tf.scalar(0)));
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

  /** One step; returns the packed row [rowLength]. Synchronous, call inside tf.tidy. */
  private stepRow(step: number): tf.Tensor1D {
    const cfg = this.cfg;
    const model = this.model;
    const B = this.batchSize;
    this.onPhase('batch');
    const idx = tf.tensor1d(this.batches.next(B), 'int32');
    const xb = tf.gather(this.xTrain, idx);
    const yb = tf.gather(this.yTrain, idx);
    const labels = tf.gather(this.labelsTrain, idx);

    // Evaluate before the update, on the weights this record describes.
    const evalDue = this.isEvalStep(step);
    const [testLoss, testAcc] = evalDue ? evaluate(model, this.xTest!, this.yTest!, this.labelsTest!, this.data.nTest, this.testSst) : [tf.scalar(0), tf.scalar(0)];

    const { l1, l2 } = cfg.stabilizers;
    this.onPhase('gradients');
    const { result, dataLoss, penalty, acc, batchStats, kept } = gradients(model, this.probes, xb, yb, labels, l1, l2, this.data.task);
    // Kept tensors now belong to this (outer) tidy scope's caller: track them for disposal.
    try {
      const { value: loss, grads } = result;
      const L = this.nLayers;
      const weights = model.trainable as tf.Tensor[];
      const gs = model.trainable.map((v) => grads[v.name] ?? tf.zerosLike(v));
      const probeGrads = this.probes.map((p) => grads[p.name] ?? tf.zerosLike(p));
      this.onPhase('telemetry');
      // ‖g‖², ‖W‖², ‖∂L/∂h‖², ‖g_kernel‖² and ‖kernel‖² of every layer in one reduction: [5L].
      const kernelGs = this.kernelAt.map((k) => gs[k]);
      const kernels = this.kernelAt.map((k) => weights[k]);
      const sq = sumSquaresBySlot([...gs, ...weights, ...probeGrads, ...kernelGs, ...kernels], this.telemetrySlots, 5 * L, this.telemetryMatrix);
      const layerSq = tf.slice(sq, 0, L) as tf.Tensor1D;
      const gNorm = tf.sqrt(tf.sum(layerSq)) as tf.Scalar;
      const finite = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gNorm)) as tf.Scalar;

      this.onPhase('clip');
      const clip = clipGradients(
        {
          grads: gs,
          weights,
          layers: model.varLayer,
          varLayer: this.varLayer,
          layerMatrix: this.layerMatrix,
          layerSq,
          globalNorm: gNorm,
          adaptive: this.adaptive,
        },
        cfg.stabilizers.clip,
      );
      const gNormClipped = tf.sqrt(tf.sum(clip.layerSq));

      this.onPhase('update');
      const lr = tf.scalar(this.lrAt(step));
      const t = tf.add(this.iteration, 1) as tf.Scalar;
      // Every variable's new value, then one select: new values where the step is
      // applied, the old ones where skipNonFinite withdraws it.
      // Plain SGD on webgpu: update and select in one kernel per weight (fused.ts sgdSelectAll).
      const sgdFused = this.optimizerName === 'sgd' && cfg.optimizer.weightDecay === 0 && cfg.stabilizers.skipNonFinite && batchStats.size === 0 && sgdSelectAvailable();
      let targets: tf.Variable[];
      let committed: tf.Tensor[];
      let weightAt: number[];
      if (sgdFused) {
        targets = [...model.trainable, this.iteration];
        this.onPhase('commit');
        committed = [...sgdSelectAll(finite, lr, model.trainable, clip.grads), ...selectAll(finite, [t], [this.iteration])];
        weightAt = model.trainable.map((_, i) => i);
      } else {
        const next = nextValues(model, this.optimizerName, clip.grads, this.slots, lr, t, cfg.optimizer, batchStats);
        ({ targets, weightAt } = next);
        const nexts = next.nexts;
        targets.push(this.iteration);
        nexts.push(t);
        this.onPhase('commit');
        committed = cfg.stabilizers.skipNonFinite ? selectAll(finite, nexts, targets) : nexts;
      }
      const commits: [tf.Variable, tf.Tensor][] = targets.map((v, k) => [v, committed[k]]);
      if (clip.adaptiveNext) {
        const { mu, nu, count } = this.adaptive;
        const next = clip.adaptiveNext;
        const [m2, n2, c2] = selectAll(finite, [next.mu, next.nu, next.count], [mu, nu, count]);
        commits.push([mu, m2], [nu, n2], [count, c2]);
      }
      // ‖ΔW‖² and ‖Δkernel‖² per layer: committed weights minus the current ones.
      const newWeights = weightAt.map((k) => committed[k]);
      const updateSq = sumSquaresBySlot(
        [...newWeights, ...this.kernelAt.map((k) => newWeights[k])],
        this.updateSlots,
        2 * L,
        this.updateMatrix,
        [...weights, ...kernels],
      );

      this.onPhase('row');
      const status = tf.where(
        finite,
        tf.where(clip.changed, tf.scalar(STATUS.clipped), tf.scalar(STATUS.ok)),
        tf.scalar(STATUS.diverged),
      );
      // The head, in the order of rows.ts ROW.
      const head = tf.stack([
        tf.scalar(step),
        lr,
        loss,
        dataLoss,
        penalty,
        acc,
        gNorm,
        gNormClipped,
        status,
        tf.scalar(evalDue ? 1 : 0),
        testLoss,
        testAcc,
      ]);
      // Per layer, in rows.ts LAYER_FIELDS order: ‖g‖, ‖g‖ after clipping, ‖W‖, ‖ΔW‖, ‖∂L/∂h‖,
      // then the kernel's ‖g‖, ‖W‖, ‖ΔW‖ ([L, 8] row-major).
      const perLayer = tf.transpose(
        tf.reshape(
          tf.sqrt(
            tf.concat([layerSq, clip.layerSq, tf.slice(sq, L, L), tf.slice(updateSq, 0, L), tf.slice(sq, 2 * L, L), tf.slice(sq, 3 * L, 2 * L), tf.slice(updateSq, L, L)]),
          ),
          [8, L],
        ),
      );
      const row = tf.concat([head, tf.reshape(perLayer, [-1])]) as tf.Tensor1D;
      // Commit last: everything above read the old values.
      for (const [v, val] of commits) v.assign(val);
      return row;
    } finally {
      for (const t of kept) t.dispose();
    }
  }

  /** Runs k steps on the device and returns their packed rows [k, rowLength] (not read back). */
  runStepsTensor(k: number): tf.Tensor2D {
    if (this.disposed) throw new Error('trainer is disposed');
    if (this.replay.length === 0) {
      return tf.tidy(() => {
        const rows: tf.Tensor1D[] = [];
        for (let i = 0; i < k; i++) rows.push(this.stepRow(this.step + i));
        return tf.stack(rows) as tf.Tensor2D;
      });
    }
    // Mid-run changes are applied between steps, outside the steps' tidy scopes
    // (a new optimizer's slot variables outlive them).
    const rows: tf.Tensor1D[] = [];
    try {
      for (let i = 0; i < k; i++) {
        this.applyChangesAt(this.step + i);
        rows.push(tf.tidy(() => this.stepRow(this.step + i)));
      }
      return tf.stack(rows) as tf.Tensor2D;
    } finally {
      for (const r of rows) r.dispose();
    }
  }

  /**
   * Runs k steps and reads all their numbers back with ONE data() call:
   * k packed rows (see rows.ts), k·rowLength floats.
   */
  async runStepsPacked(k: number): Promise<Float32Array> {
    const packed = this.runStepsTensor(k);
    this.step += k;
    try {
      return (await packed.data()) as Float32Array;
    } finally {
      packed.dispose();
    }
  }

  /** Contract records of packed rows from this trainer. */
  decode(rows: Float32Array, count = rows.length / this.rowLength): StepRecord[] {
    return decodeEngineRows(rows, count, { run: this.run, label: this.cfg.label, layerNames: this.layerNames }, this.engine);
  }

  async runSteps(k: number): Promise<StepRecord[]> {
    return this.decode(await this.runStepsPacked(k));
  }

  /**
   * Class-1 probability on an n×n grid over [lo, hi]² (2-D data sets only),
   * row-major from (lo, lo); for the decision-boundary view. A regression gives
   * its prediction mapped to 0..1 over the training targets' range.
   */
  async predictGrid(n: number, lo = -1.5, hi = 1.5): Promise<Float32Array> {
    if (this.data.inputSize !== 2) throw new Error('predictGrid needs a 2-D data set');
    const pts = gridPoints(n, lo, hi);
    const probs = tf.tidy(() => {
      const logits = forward(this.model, tf.tensor2d(pts, [n * n, 2]), { training: false });
      if (this.data.task === 'regression') {
        const [lo, hi] = targetRange(this.data.tTrain);
        return tf.reshape(tf.clipByValue(tf.div(tf.sub(logits, lo), hi - lo || 1), 0, 1), [-1]);
      }
      return tf.reshape(tf.slice(tf.softmax(logits), [0, 1], [-1, 1]), [-1]);
    });
    try {
      return (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
  }

  /** Per-unit snapshot at the current weights for the network view (unitSnapshot.ts); one readback. */
  async unitSnapshot(): Promise<UnitSnapshot> {
    if (this.disposed) throw new Error('trainer is disposed');
    return tfUnitSnapshot({
      model: this.model,
      probes: this.probes,
      xTrain: this.xTrain,
      yTrain: this.yTrain,
      labelsTrain: this.labelsTrain,
      batch: this.batchSize,
      task: this.data.task,
      cfg: this.cfg,
      step: this.step,
      names: this.layerNames,
      tracker: this.unitTracker,
      prevKernels: this.unitKernels,
    });
  }

  /** Current values of every trainable variable (for tests). */
  async snapshot(): Promise<Float32Array[]> {
    return Promise.all(this.model.trainable.map(async (v) => (await v.data()) as Float32Array));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeModel(this.model);
    for (const t of [this.xTrain, this.yTrain, this.labelsTrain, this.xTest, this.yTest, this.labelsTest, this.varLayer, this.layerMatrix, this.telemetryMatrix, this.updateMatrix, this.iteration]) t?.dispose();
    for (const p of this.probes) p.dispose();
    for (const k of this.unitKernels.values()) k.kernel.dispose();
    for (const s of this.slots) for (const v of s) v.dispose();
    disposeAdaptiveState(this.adaptive);
  }
}
