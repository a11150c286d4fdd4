/**
 * The typed engine's MLP: parameters, gradients and every buffer of a step in
 * typed arrays allocated once, and the forward and backward passes as plain
 * loops over them.
 *
 * The net is the one `buildModel` (model.ts) makes for an MLP:
 *   hidden layer  z = x·W + b;  a = norm(z);  y = act(a);  h = y (+ x when residual)
 *   output layer  logits = x·W + b
 *   batch norm    training: the batch's mean and (biased) variance per unit;
 *                 inference: the moving statistics; a = γ·(z − μ)/√(σ² + ε) + β
 *   layer norm    the same over the units of each example, in both modes
 * and it is computed the way tfjs's cpu backend computes it, operation by
 * operation: every intermediate a tfjs op would store as float32 is rounded to
 * float32 here too (`r`), sums are accumulated in float64 in the order the cpu
 * kernels use (a matrix product in blocks of 48 along the shared dimension), and
 * the backward pass follows tfjs's gradient functions, normalization included:
 * the gradient of `moments` and of the division by √(σ² + ε), accumulated in the
 * order tfjs's tape accumulates them. On the cpu backend most numbers of a step
 * come out bit for bit the same; NaN and ±Infinity come out where tfjs's do
 * (ReLU's derivative is step(x): 1 for x > 0, 0 for x ≤ 0, NaN for NaN).
 *
 * Storage is Float32Array (the engine) or, for the finite-difference gradient
 * check, Float64Array with no rounding at all (`float64: true`).
 *
 * This file builds the net and runs its passes; the shapes are in layout.ts, the
 * per-op loops in matmul.ts, norm.ts and activations.ts.
 */
import { activate, activationGrad } from './activations.ts';
import { noRound, type Arr, type InferSink, type NetLayer, type NetOptions, type NetSpec, type NetVar, type Round, type VarKind } from './layout.ts';
import { columnSums, dense, inputGrad, kernelGrad } from './matmul.ts';
import { NORM_EPS32, normBackward, normForward, scaleShift } from './norm.ts';

export type { Arr, InferSink, NetLayer, NetOptions, NetSpec, NetVar, VarKind } from './layout.ts';
export { SELU_SCALE, SELU_SCALEALPHA } from './activations.ts';

/** Examples per inference pass: the tfjs trainer's evaluation chunk (EVAL_CHUNK), so that the held-out loss sums the same chunks. */
export const INFER_CHUNK = 512;

export class MlpNet {
  readonly spec: NetSpec;
  /** Examples in a training batch. */
  readonly batch: number;
  readonly float64: boolean;
  /** Math.fround (float32 storage) or the identity (float64). */
  readonly round: Round;
  /** Every trainable value, in the tfjs engine's variable order (kernel, bias[, gamma, beta] per layer). */
  readonly params: Arr;
  readonly grads: Arr;
  readonly vars: NetVar[];
  readonly layers: NetLayer[];
  readonly maxWidth: number;
  /** The training batch's inputs [batch × inputSize]. */
  readonly x: Arr;
  private readonly acc: Float64Array;
  private readonly blk: Float64Array;
  /** Normalization backward scratch: per-unit or per-example sums. */
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly s3: Float64Array;
  private readonly inferA: Arr;
  private readonly inferB: Arr;

  constructor(spec: NetSpec, batch: number, opts: NetOptions = {}) {
    this.spec = spec;
    this.batch = batch;
    this.float64 = !!opts.float64;
    this.round = this.float64 ? noRound : Math.fround;
    const Ctor = this.float64 ? Float64Array : Float32Array;
    const widths = [spec.inputSize, ...spec.hidden, spec.nClasses];
    const L = widths.length - 1;
    const hasNorm = spec.norm !== 'none';
    // One flat array of parameters and one of gradients, in tfjs's variable order.
    const vars: NetVar[] = [];
    let offset = 0;
    const add = (kind: VarKind, layer: number, rows: number, cols: number) => {
      vars.push({ kind, layer, offset, size: rows * cols, rows, cols });
      offset += rows * cols;
    };
    for (let l = 0; l < L; l++) {
      add('kernel', l, widths[l], widths[l + 1]);
      add('bias', l, 1, widths[l + 1]);
      if (l < L - 1 && hasNorm) {
        add('gamma', l, 1, widths[l + 1]);
        add('beta', l, 1, widths[l + 1]);
      }
    }
    this.vars = vars;
    this.params = new Ctor(offset);
    this.grads = new Ctor(offset);
    const view = (arr: Arr, v: NetVar | undefined) => (v ? arr.subarray(v.offset, v.offset + v.size) : null);
    const B = batch;
    this.layers = [];
    for (let l = 0; l < L; l++) {
      const units = widths[l + 1];
      const isOutput = l === L - 1;
      const find = (k: VarKind) => vars.find((v) => v.layer === l && v.kind === k);
      const norm = !isOutput && hasNorm;
      const linear = isOutput || spec.activation === 'linear';
      const residual = !isOutput && spec.residual && widths[l] === units;
      const perStat = spec.norm === 'batch' ? units : B;
      const z = new Ctor(B * units);
      const a = norm ? new Ctor(B * units) : z;
      const y = linear ? a : new Ctor(B * units);
      const h = residual ? new Ctor(B * units) : y;
      const dh = new Ctor(B * units);
      const da = linear ? dh : new Ctor(B * units);
      const layer: NetLayer = {
        index: l,
        fanIn: widths[l],
        units,
        isOutput,
        residual,
        kernel: view(this.params, find('kernel'))!,
        bias: view(this.params, find('bias'))!,
        gamma: view(this.params, find('gamma')),
        beta: view(this.params, find('beta')),
        gKernel: view(this.grads, find('kernel'))!,
        gBias: view(this.grads, find('bias'))!,
        gGamma: view(this.grads, find('gamma')),
        gBeta: view(this.grads, find('beta')),
        movingMean: norm && spec.norm === 'batch' ? new Ctor(units) : null,
        movingVar: norm && spec.norm === 'batch' ? new Ctor(units).fill(1) : null,
        z,
        centered: norm ? new Ctor(B * units) : null,
        xhat: norm ? new Ctor(B * units) : null,
        a,
        y,
        h,
        dh,
        da,
        dz: norm ? new Ctor(B * units) : da,
        statMean: norm ? new Ctor(perStat) : null,
        statVar: norm ? new Ctor(perStat) : null,
        statSd: norm ? new Ctor(perStat) : null,
      };
      layer.gamma?.fill(1);
      this.layers.push(layer);
    }
    this.maxWidth = Math.max(...widths);
    this.x = new Ctor(B * spec.inputSize);
    const scratch = Math.max(this.maxWidth, B, INFER_CHUNK);
    this.acc = new Float64Array(scratch);
    this.blk = new Float64Array(scratch);
    this.s1 = new Float64Array(scratch);
    this.s2 = new Float64Array(scratch);
    this.s3 = new Float64Array(scratch);
    this.inferA = new Ctor(INFER_CHUNK * this.maxWidth);
    this.inferB = new Ctor(INFER_CHUNK * this.maxWidth);
  }

  get nLayers(): number {
    return this.layers.length;
  }

  get logits(): Arr {
    return this.layers[this.layers.length - 1].z;
  }

  /**
   * Training forward pass over the `batch` examples in `this.x`; the logits end up in
   * `this.logits`. From layer `from` on, the layers below keep their outputs (tests
   * perturb a layer's output h and run the rest).
   */
  forwardTrain(from = 0): void {
    const B = this.batch;
    const r = this.round;
    let x: Arr = from > 0 ? this.layers[from - 1].h : this.x;
    for (let l = from; l < this.layers.length; l++) {
      const layer = this.layers[l];
      const n = B * layer.units;
      dense(x, B, layer.fanIn, layer.kernel, layer.bias, layer.units, layer.z, r);
      if (!layer.isOutput) {
        if (layer.xhat) {
          const bn = this.spec.norm === 'batch';
          normForward(layer.z, B, layer.units, bn, layer.statMean!, layer.statVar!, layer.statSd!, layer.centered!, layer.xhat, this.acc, r);
          scaleShift(layer.xhat, B, layer.units, layer.gamma!, layer.beta!, layer.a, r);
        }
        activate(this.spec.activation, layer.a, layer.y, n);
        if (layer.residual) for (let i = 0; i < n; i++) layer.h[i] = layer.y[i] + x[i];
      }
      x = layer.h;
    }
  }

  /**
   * Backward pass after `forwardTrain`, from ∂L/∂logits in the output layer's `dh`:
   * every layer's ∂L/∂h (`dh`) and every parameter's gradient (`grads`; a kernel's
   * L1/L2 terms are the trainer's).
   */
  backward(): void {
    const B = this.batch;
    const r = this.round;
    const act = this.spec.activation;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const U = layer.units;
      if (!layer.isOutput) {
        if (layer.da !== layer.dh) activationGrad(act, layer.dh, layer.a, layer.y, layer.da, B * U, r);
        if (layer.xhat) normBackward(layer, B, this.spec.norm === 'batch', this.s1, this.s2, this.s3, r);
      }
      const x = l > 0 ? this.layers[l - 1].h : this.x;
      kernelGrad(x, layer.dz, B, layer.fanIn, U, layer.gKernel, r);
      columnSums(layer.dz, B, U, layer.gBias, this.acc);
      if (l > 0) inputGrad(layer.dz, layer.kernel, B, layer.fanIn, U, this.layers[l - 1].dh, layer.residual ? layer.dh : null, r);
    }
  }


  /**
   * Inference over n examples of `x` (rows of inputSize values), in chunks of
   * INFER_CHUNK; hands every chunk's logits to `sink.take` (valid during the call only).
   */
  infer(x: ArrayLike<number>, n: number, sink: InferSink): void {
    const d = this.spec.inputSize;
    const r = this.round;
    const bn = this.spec.norm === 'batch';
    for (let s = 0; s < n; s += INFER_CHUNK) {
      const m = Math.min(INFER_CHUNK, n - s);
      let cur = this.inferA;
      let nxt = this.inferB;
      for (let i = 0; i < m * d; i++) cur[i] = x[s * d + i];
      for (const layer of this.layers) {
        const u = layer.units;
        dense(cur, m, layer.fanIn, layer.kernel, layer.bias, u, nxt, r);
        if (!layer.isOutput) {
          if (bn && layer.movingMean) {
            const mm = layer.movingMean;
            const mv = layer.movingVar!;
            for (let b = 0; b < m; b++) {
              const o = b * u;
              for (let j = 0; j < u; j++) nxt[o + j] = r(r(nxt[o + j] - mm[j]) / r(Math.sqrt(r(mv[j] + NORM_EPS32))));
            }
            scaleShift(nxt, m, u, layer.gamma!, layer.beta!, nxt, r);
          } else if (layer.gamma) {
            normForward(nxt, m, u, false, this.s1, this.s2, this.blk, nxt, nxt, this.acc, r);
            scaleShift(nxt, m, u, layer.gamma, layer.beta!, nxt, r);
          }
          activate(this.spec.activation, nxt, nxt, m * u);
          if (layer.residual) for (let i = 0; i < m * u; i++) nxt[i] = nxt[i] + cur[i];
          sink.layer?.(layer.index, nxt, s, m);
        }
        const t = cur;
        cur = nxt;
        nxt = t;
      }
      sink.take(cur, s, m);
    }
  }
}
