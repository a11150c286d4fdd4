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
 */
import { rebuildNeeded } from '../fields.ts';
import { withValue, type ConfigChange } from '../changes.ts';
import type { RunConfig } from '../config.ts';
import { BatchStream, makeDataset, type Dataset } from '../data/datasets.ts';
import { initKernel } from '../init.ts';
import { BN_MOMENTUM, layerNamesFor } from '../model.ts';
import { OPTIMIZER_RULES, learningRateAt } from '../optimizers.ts';
import type { StepRecord } from '../records.ts';
import { subRng } from '../rng.ts';
import { ROW, STATUS, rowLength } from '../rows.ts';
import { decodeEngineRows, type RunTrainer } from '../runTrainer.ts';
import { ADAPTIVE_MIN_ALPHA, AGC_EPS, CLIP_EPS } from '../stabilizers.ts';
import { MlpNet, type Arr, type InferSink } from './net.ts';
import { typedEngineSupports } from './supports.ts';

const f = Math.fround;

export interface TypedTrainerOptions {
  run?: number;
}

/** Running statistics of the `adaptive` clip mode (float32 values, as the tfjs engine's variables). */
interface AdaptiveStats {
  mu: number;
  nu: number;
  count: number;
}

/**
 * Mean softmax cross-entropy of n rows of C logits against integer labels, as
 * model.ts crossEntropy computes it in tfjs: −mean(Σ_c onehot·logSoftmax(logits)),
 * every op rounded to float32 (so NaN and Infinity come out where tfjs's do:
 * 0·(−Infinity) is NaN). With `dlogits`, also writes ∂L/∂logits as tfjs's
 * logSoftmax gradient computes it: dy − Σ_c dy·exp(logSoftmax), dy = −onehot/n.
 * `out` receives [the mean loss, the correct count] (argMax = the first largest).
 */
export function crossEntropyRows(
  logits: Arr,
  labels: ArrayLike<number>,
  labelStart: number,
  n: number,
  C: number,
  dlogits: Arr | null,
  r: (x: number) => number,
  out: Float64Array,
): void {
  let meanSum = 0;
  let correct = 0;
  const dyLabel = r(-1 / n);
  for (let b = 0; b < n; b++) {
    const o = b * C;
    const label = labels[labelStart + b];
    let max = logits[o];
    let arg = 0;
    for (let c = 1; c < C; c++) {
      const v = logits[o + c];
      if (Number.isNaN(v) || v > max) max = v; // tfjs's max propagates NaN
      if (v > logits[o + arg]) arg = c;
    }
    if (arg === label) correct++;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += r(Math.exp(r(logits[o + c] - max)));
    const logSum = r(Math.log(r(sum)));
    let row = 0;
    for (let c = 0; c < C; c++) {
      const ls = r(r(logits[o + c] - max) - logSum);
      row += r((c === label ? 1 : 0) * ls);
      if (dlogits) dlogits[o + c] = ls; // logSoftmax, for the gradient below
    }
    meanSum += r(r(row) / n);
    if (dlogits) {
      // dy_c = onehot_c·(−1/n); Σ_c dy_c = −1/n
      for (let c = 0; c < C; c++) {
        const dy = c === label ? dyLabel : -0;
        dlogits[o + c] = r(dy - r(dyLabel * r(Math.exp(dlogits[o + c]))));
      }
    }
  }
  out[0] = -r(meanSum);
  out[1] = correct;
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
  private readonly layerScale: Float64Array;
  /** AGC: per-unit sums of a variable's weights and gradients. */
  private readonly unitW: Float64Array;
  private readonly unitG: Float64Array;
  private readonly ce = new Float64Array(2);
  private readonly evalSink: InferSink & { lossSum: number; correct: number };
  private disposed = false;

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
    this.slots = this.freshSlots(cfg.optimizer.name);
    this.replay = cfg.changes ?? [];
    const L = net.nLayers;
    this.gSq = new Float64Array(L);
    this.cSq = new Float64Array(L);
    this.wSq = new Float64Array(L);
    this.uSq = new Float64Array(L);
    this.hSq = new Float64Array(L);
    this.layerScale = new Float64Array(L);
    this.unitW = new Float64Array(net.maxWidth);
    this.unitG = new Float64Array(net.maxWidth);
    const ce = this.ce;
    const C = d.nClasses;
    const yTest = d.yTest;
    this.evalSink = {
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
    let cfg = this.cfg;
    for (const c of this.replay) if (c.step === step) cfg = withValue(cfg, c.path, c.value);
    if (cfg !== this.cfg) this.updateConfig(cfg);
  }

  lrAt(step: number): number {
    return learningRateAt(this.cfg.optimizer, this.cfg.train.steps, step);
  }

  private isEvalStep(step: number): boolean {
    if (this.data.nTest === 0) return false;
    const every = this.cfg.train.evalEvery;
    return (every > 0 && step % every === 0) || step === this.cfg.train.steps - 1;
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
      testAcc = f(sink.correct / d.nTest);
    }

    // Forward, loss, backward.
    net.forwardTrain();
    const out = layers[L - 1];
    crossEntropyRows(net.logits, this.labels, 0, B, C, out.dh, f, this.ce);
    let loss = this.ce[0];
    const correct = this.ce[1];
    net.backward();

    // L1/L2 penalties on every kernel, in the loss and in the gradient. tfjs's tape
    // adds a kernel's gradients in reverse order of use: (L2 term + L1 term) + product's.
    const { l1, l2, skipNonFinite } = cfg.stabilizers;
    if (l1 > 0 || l2 > 0) {
      const l1f = f(l1);
      const l2f = f(l2);
      for (const layer of layers) {
        const K = layer.kernel;
        const gK = layer.gKernel;
        let sAbs = 0;
        let sSq = 0;
        for (let k = 0; k < K.length; k++) {
          const w = K[k];
          let pen: number;
          if (l1 > 0) {
            sAbs += Math.abs(w);
            pen = l1f * (w > 0 ? 1 : w <= 0 ? -1 : NaN); // dy·step(x, −1)
            if (l2 > 0) {
              sSq += f(w * w);
              pen = f(f(l2f * f(w * 2)) + pen);
            }
          } else {
            sSq += f(w * w);
            pen = f(l2f * f(w * 2));
          }
          gK[k] = pen + gK[k];
        }
        if (l1 > 0) loss = f(loss + f(l1f * f(sAbs)));
        if (l2 > 0) loss = f(loss + f(l2f * f(sSq)));
      }
    }

    // Telemetry: per-layer Σ g², Σ W², Σ (∂L/∂h)², in float64, stored as float32.
    const params = net.params;
    const grads = net.grads;
    const vars = net.vars;
    const gSq = this.gSq;
    const wSq = this.wSq;
    const hSq = this.hSq;
    gSq.fill(0);
    wSq.fill(0);
    for (const v of vars) {
      let sg = 0;
      let sw = 0;
      for (let k = v.offset, end = v.offset + v.size; k < end; k++) {
        const g = grads[k];
        const w = params[k];
        sg += g * g;
        sw += w * w;
      }
      gSq[v.layer] += sg;
      wSq[v.layer] += sw;
    }
    let gTotal = 0;
    for (let l = 0; l < L; l++) {
      const dh = layers[l].dh;
      let s = 0;
      for (let k = 0; k < dh.length; k++) s += dh[k] * dh[k];
      hSq[l] = f(s);
      gSq[l] = f(gSq[l]);
      wSq[l] = f(wSq[l]);
      gTotal += gSq[l];
    }
    const gNorm = f(Math.sqrt(f(gTotal)));
    const finite = Number.isFinite(loss) && Number.isFinite(gNorm);

    // Clipping (stabilizers.ts): scales `grads` in place, fills cSq.
    const changed = this.clip(gNorm, finite);
    let cTotal = 0;
    for (let l = 0; l < L; l++) cTotal += this.cSq[l];
    const gNormClipped = f(Math.sqrt(f(cTotal)));

    // The update, committed unless skipNonFinite withdraws it.
    const lr = f(this.lrAt(step));
    const uSq = this.uSq;
    uSq.fill(0);
    if (finite || !skipNonFinite) {
      this.update(lr);
      for (const layer of layers) {
        const mm = layer.movingMean;
        if (!mm) continue;
        const mv = layer.movingVar!;
        const bm = layer.statMean!;
        const bv = layer.statVar!;
        const keep = f(BN_MOMENTUM);
        const take = f(1 - BN_MOMENTUM);
        for (let j = 0; j < mm.length; j++) {
          mm[j] = f(mm[j] * keep) + f(bm[j] * take);
          mv[j] = f(mv[j] * keep) + f(bv[j] * take);
        }
      }
      this.iteration++;
    }

    // The row, in rows.ts order.
    rows[off + ROW.step] = step;
    rows[off + ROW.lr] = lr;
    rows[off + ROW.loss] = loss;
    rows[off + ROW.acc] = f(correct / B);
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
    }
  }

  /**
   * Applies the clip mode to `grads` in place and fills cSq with the per-layer Σ g²
   * after clipping (float32 values). Returns whether the clip changed the gradient.
   * Feeds the adaptive rule's statistics on finite steps.
   */
  private clip(gNorm: number, finite: boolean): boolean {
    const { mode, threshold, z, warmup } = this.cfg.stabilizers.clip;
    const net = this.net;
    const grads = net.grads;
    const vars = net.vars;
    const L = net.nLayers;
    const gSq = this.gSq;
    const cSq = this.cSq;
    const tau = f(threshold);
    const eps = f(CLIP_EPS);
    switch (mode) {
      case 'none':
        cSq.set(gSq);
        return false;
      case 'global_norm':
      case 'adaptive': {
        let s = 1;
        let fed = gNorm;
        if (mode === 'global_norm') {
          s = Math.min(1, f(tau / f(gNorm + eps)));
        } else {
          const st = this.adaptive;
          const sigma = f(Math.sqrt(Math.max(0, f(st.nu - f(st.mu * st.mu)))));
          const bound = f(Math.exp(f(st.mu + f(sigma * f(z)))));
          if (st.count >= warmup && gNorm > bound) {
            s = f(bound / f(gNorm + eps));
            fed = bound;
          }
          if (finite) {
            // The running statistics of ln‖g‖ (the clipped norm when clipped).
            const lx = f(Math.log(Math.max(fed, f(1e-30))));
            const alpha = Math.max(f(1 / f(st.count + 1)), f(ADAPTIVE_MIN_ALPHA));
            st.mu = f(st.mu + f(alpha * f(lx - st.mu)));
            st.nu = f(st.nu + f(alpha * f(f(lx * lx) - st.nu)));
            st.count = st.count + 1;
          }
        }
        if (s !== 1) for (let k = 0; k < grads.length; k++) grads[k] *= s;
        const s2 = f(s * s);
        for (let l = 0; l < L; l++) cSq[l] = f(gSq[l] * s2);
        return s < 1;
      }
      case 'layer_norm': {
        let changed = false;
        for (let l = 0; l < L; l++) {
          const s = Math.min(1, f(tau / f(f(Math.sqrt(gSq[l])) + eps)));
          this.layerScale[l] = s;
          cSq[l] = f(gSq[l] * f(s * s));
          if (s < 1) changed = true;
        }
        for (const v of vars) {
          const s = this.layerScale[v.layer];
          if (s !== 1) for (let k = v.offset, end = v.offset + v.size; k < end; k++) grads[k] *= s;
        }
        return changed;
      }
      case 'value': {
        let maxAbs = 0;
        for (let k = 0; k < grads.length; k++) {
          const g = grads[k];
          const a = Math.abs(g);
          if (a > maxAbs) maxAbs = a;
          grads[k] = g > tau ? tau : g < -tau ? -tau : g;
        }
        this.sumClipped();
        return maxAbs > tau;
      }
      case 'agc': {
        const params = net.params;
        const uw = this.unitW;
        const ug = this.unitG;
        const agcEps = f(AGC_EPS);
        let changed = false;
        for (const v of vars) {
          // units: the columns of a kernel; a whole vector otherwise
          const cols = v.kind === 'kernel' ? v.cols : 1;
          const rows = v.kind === 'kernel' ? v.rows : v.size;
          uw.fill(0, 0, cols);
          ug.fill(0, 0, cols);
          for (let r = 0; r < rows; r++) {
            const o = v.offset + r * cols;
            for (let c = 0; c < cols; c++) {
              const w = params[o + c];
              const g = grads[o + c];
              uw[c] += f(w * w);
              ug[c] += f(g * g);
            }
          }
          for (let c = 0; c < cols; c++) {
            const wn = Math.max(f(Math.sqrt(f(uw[c]))), agcEps);
            const gn = f(Math.sqrt(f(ug[c])));
            const maxNorm = f(wn * tau);
            if (gn > maxNorm) {
              changed = true;
              ug[c] = f(maxNorm / Math.max(gn, eps));
            } else ug[c] = 1;
          }
          for (let r = 0; r < rows; r++) {
            const o = v.offset + r * cols;
            for (let c = 0; c < cols; c++) grads[o + c] *= ug[c];
          }
        }
        this.sumClipped();
        return changed;
      }
    }
  }

  /** cSq = per-layer Σ g² of the (clipped) gradients, float64 sums stored as float32. */
  private sumClipped(): void {
    const grads = this.net.grads;
    const cSq = this.cSq;
    cSq.fill(0);
    for (const v of this.net.vars) {
      let s = 0;
      for (let k = v.offset, end = v.offset + v.size; k < end; k++) s += grads[k] * grads[k];
      cSq[v.layer] += s;
    }
    for (let l = 0; l < cSq.length; l++) cSq[l] = f(cSq[l]);
  }

  /**
   * The optimizer rule (optimizers.ts) and decoupled weight decay on every variable,
   * in place; accumulates Σ (W_new − W_old)² per layer into uSq.
   */
  private update(lr: number): void {
    const o = this.cfg.optimizer;
    const net = this.net;
    const w = net.params;
    const g = net.grads;
    const [s0, s1] = this.slots;
    const uSq = this.uSq;
    const wd = o.weightDecay;
    const lrwd = wd > 0 ? f(lr * f(wd)) : 0;
    const t = this.iteration + 1;
    // tfjs's scalars are float32: the constants as the rules pass them to tf.mul/tf.add.
    const mom = f(o.momentum);
    const rho = f(o.rho);
    const rho1 = f(1 - o.rho);
    const eps = f(o.epsilon);
    const b1 = f(o.beta1);
    const b2 = f(o.beta2);
    const b11 = f(1 - o.beta1);
    const b21 = f(1 - o.beta2);
    const bc1 = f(1 - f(Math.pow(b1, t)));
    const bc2 = f(1 - f(Math.pow(b2, t)));
    const adamaxScale = f(lr / bc1);
    const name = this.optimizerName;
    for (const v of net.vars) {
      let s = 0;
      for (let k = v.offset, end = v.offset + v.size; k < end; k++) {
        const old = w[k];
        const gk = g[k];
        let nw: number;
        switch (name) {
          case 'sgd':
            nw = old - f(lr * gk);
            break;
          case 'momentum':
          case 'nesterov': {
            const vel = f(f(s0[k] * mom) + gk);
            s0[k] = vel;
            nw = old - f(lr * (name === 'nesterov' ? f(gk + f(vel * mom)) : vel));
            break;
          }
          case 'adagrad': {
            const acc = f(s0[k] + f(gk * gk));
            s0[k] = acc;
            nw = old - f(lr * f(gk / f(Math.sqrt(f(acc + eps)))));
            break;
          }
          case 'adadelta': {
            const eg = f(f(s0[k] * rho) + f(f(gk * gk) * rho1));
            const delta = f(f(f(Math.sqrt(f(s1[k] + eps))) / f(Math.sqrt(f(eg + eps)))) * gk);
            s1[k] = f(f(s1[k] * rho) + f(f(delta * delta) * rho1));
            s0[k] = eg;
            nw = old - f(lr * delta);
            break;
          }
          case 'rmsprop': {
            const ms = f(f(s0[k] * rho) + f(f(gk * gk) * rho1));
            const m = f(f(s1[k] * mom) + f(f(lr * gk) / f(Math.sqrt(f(ms + eps)))));
            s0[k] = ms;
            s1[k] = m;
            nw = old - m;
            break;
          }
          case 'adam':
          case 'adamw': {
            const m = f(f(s0[k] * b1) + f(gk * b11));
            const vv = f(f(s1[k] * b2) + f(f(gk * gk) * b21));
            s0[k] = m;
            s1[k] = vv;
            nw = old - f(lr * f(f(m / bc1) / f(f(Math.sqrt(f(vv / bc2))) + eps)));
            break;
          }
          case 'adamax': {
            const m = f(f(s0[k] * b1) + f(gk * b11));
            const u = Math.max(f(s1[k] * b2), Math.abs(gk));
            s0[k] = m;
            s1[k] = u;
            nw = old - f(adamaxScale * f(m / f(u + eps)));
            break;
          }
        }
        nw = f(nw);
        if (lrwd !== 0) nw = f(nw - f(lrwd * old));
        w[k] = nw;
        const dw = nw - old;
        s += dw * dw;
      }
      uSq[v.layer] += s;
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

  /** Class-1 probability on an n×n grid over [lo, hi]² (inference mode), row-major from (lo, lo). */
  async predictGrid(n: number, lo = -1.5, hi = 1.5): Promise<Float32Array> {
    if (this.data.inputSize !== 2) throw new Error('predictGrid needs a 2-D data set');
    const pts = new Float32Array(n * n * 2);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        pts[(r * n + c) * 2] = lo + ((hi - lo) * (c + 0.5)) / n;
        pts[(r * n + c) * 2 + 1] = lo + ((hi - lo) * (r + 0.5)) / n;
      }
    }
    const probs = new Float32Array(n * n);
    const C = this.data.nClasses;
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

  /** Copies of every trainable variable, in the tfjs engine's order (kernel, bias[, gamma, beta] per layer). */
  async snapshot(): Promise<Float32Array[]> {
    const p = this.net.params;
    return this.net.vars.map((v) => Float32Array.from(p.subarray(v.offset, v.offset + v.size)));
  }

  dispose(): void {
    this.disposed = true;
  }
}
