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
 */
import type { Activation, NormName } from '../meta.ts';
import { LEAKY_ALPHA, NORM_EPSILON } from '../model.ts';

export type Arr = Float32Array | Float64Array;
type Round = (x: number) => number;

/** tfjs's SELU constants (backend_util.SELU_SCALE, SELU_SCALEALPHA). */
export const SELU_SCALE = 1.0507009873554805;
export const SELU_SCALEALPHA = 1.7580993408473768;

/** The cpu backend's matrix-product block along the shared dimension (MathBackendCPU.blockSize). */
const BLOCK = 48;

export interface NetSpec {
  /** Values of one example. */
  inputSize: number;
  hidden: readonly number[];
  nClasses: number;
  activation: Activation;
  norm: NormName;
  residual: boolean;
}

export type VarKind = 'kernel' | 'bias' | 'gamma' | 'beta';

/** One trainable variable: a slice [offset, offset + size) of the flat parameter array. */
export interface NetVar {
  kind: VarKind;
  layer: number;
  offset: number;
  size: number;
  /** A kernel is rows × cols (fan_in × units, row-major as tfjs stores it); a vector is 1 × size. */
  rows: number;
  cols: number;
}

export interface NetLayer {
  readonly index: number;
  readonly fanIn: number;
  readonly units: number;
  readonly isOutput: boolean;
  readonly residual: boolean;
  /** Views into the flat parameter and gradient arrays. */
  readonly kernel: Arr;
  readonly bias: Arr;
  readonly gamma: Arr | null;
  readonly beta: Arr | null;
  readonly gKernel: Arr;
  readonly gBias: Arr;
  readonly gGamma: Arr | null;
  readonly gBeta: Arr | null;
  /** Batch norm's moving statistics (not trainable). */
  readonly movingMean: Arr | null;
  readonly movingVar: Arr | null;
  /**
   * Training buffers, batch × units, row-major. Some alias each other: a = z without
   * a norm, y = a for a linear activation, h = y without a residual connection,
   * da = dh for a linear activation, dz = da without a norm.
   */
  readonly z: Arr;
  /** Normalization: z − μ, and (z − μ)/√(σ² + ε). */
  readonly centered: Arr | null;
  readonly xhat: Arr | null;
  readonly a: Arr;
  readonly y: Arr;
  readonly h: Arr;
  readonly dh: Arr;
  readonly da: Arr;
  readonly dz: Arr;
  /** Normalization statistics: mean, variance and √(σ² + ε), per unit (batch norm) or per example (layer norm). */
  readonly statMean: Arr | null;
  readonly statVar: Arr | null;
  readonly statSd: Arr | null;
}

export interface NetOptions {
  /** Float64Array storage and no rounding (default: Float32Array, rounded as tfjs). */
  float64?: boolean;
}

/** Receives the logits of each chunk of an inference pass. */
export interface InferSink {
  take(logits: Arr, start: number, count: number): void;
}

/** Examples per inference pass: the tfjs trainer's evaluation chunk (EVAL_CHUNK), so that the held-out loss sums the same chunks. */
export const INFER_CHUNK = 512;

const noRound: Round = (x) => x;

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
  /** Matrix-product scratch: a transposed kernel, a transposed batch of inputs and of ∂L/∂z. */
  private readonly kt: Arr;
  private readonly xT: Arr;
  private readonly dzT: Arr;
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
    let maxKernel = 0;
    for (const v of vars) if (v.kind === 'kernel') maxKernel = Math.max(maxKernel, v.size);
    this.kt = new Ctor(maxKernel);
    this.xT = new Ctor(B * this.maxWidth);
    this.dzT = new Ctor(B * this.maxWidth);
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
      dense(x, B, layer.fanIn, layer.kernel, layer.bias, layer.units, layer.z, this.kt, r);
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
        if (layer.xhat) this.normBackward(layer);
      }
      const x = l > 0 ? this.layers[l - 1].h : this.x;
      kernelGrad(x, layer.dz, B, layer.fanIn, U, layer.gKernel, this.xT, this.dzT, r);
      columnSums(layer.dz, B, U, layer.gBias, this.acc);
      if (l > 0) inputGrad(layer.dz, layer.kernel, B, layer.fanIn, U, this.layers[l - 1].dh, layer.residual ? layer.dh : null, r);
    }
  }

  /**
   * The gradient through a = γ·(z − μ)/√(σ² + ε) + β with the batch's (or example's)
   * μ and σ², as tfjs's tape computes it: the gradients of add, mul, div, sqrt, sub,
   * square and mean (moments), accumulated in reverse tape order:
   *   ∂z = ((∂c₂ + ∂c₁) + ∂μ/N),  ∂μ = −Σ∂c₂ − Σ∂c₁,  with c₂ = c₁ = z − μ,
   *   ∂c₂ = ∂x̂/sd,  ∂c₁ = (∂σ²/N)·2c₁,  ∂σ² = ∂sd/(2·sd),  ∂sd = −Σ(∂x̂·c₂)/sd²,  ∂x̂ = da·γ.
   */
  private normBackward(layer: NetLayer): void {
    const r = this.round;
    const B = this.batch;
    const U = layer.units;
    const bn = this.spec.norm === 'batch';
    const da = layer.da;
    const dz = layer.dz;
    const xhat = layer.xhat!;
    const c = layer.centered!;
    const gamma = layer.gamma!;
    const sd = layer.statSd!;
    const gG = layer.gGamma!;
    const gB = layer.gBeta!;
    // ∂β = Σ_b da, ∂γ = Σ_b da·x̂ (sums over the batch, in batch order)
    const sb = this.s1;
    const sg = this.s2;
    for (let j = 0; j < U; j++) {
      sb[j] = 0;
      sg[j] = 0;
    }
    for (let b = 0; b < B; b++) {
      const o = b * U;
      for (let j = 0; j < U; j++) {
        sb[j] += da[o + j];
        sg[j] += r(da[o + j] * xhat[o + j]);
      }
    }
    for (let j = 0; j < U; j++) {
      gB[j] = sb[j];
      gG[j] = sg[j];
    }
    // Per statistic (unit for batch norm, example for layer norm): the reductions.
    const N = bn ? B : U;
    const nStat = bn ? U : B;
    const sum1 = this.s1; // Σ ∂x̂·c₂, then ∂σ²
    const sum2 = this.s2; // Σ ∂c₂, then Σ ∂c₁
    for (let s = 0; s < nStat; s++) {
      sum1[s] = 0;
      sum2[s] = 0;
    }
    // ∂c₂ = (da·γ)/sd into dz for now; Σ(∂x̂·c₂) and Σ ∂c₂ per statistic
    for (let b = 0; b < B; b++) {
      const o = b * U;
      for (let j = 0; j < U; j++) {
        const s = bn ? j : b;
        const dx = r(da[o + j] * gamma[j]);
        const dc2 = r(dx / sd[s]);
        dz[o + j] = dc2;
        sum1[s] += r(dx * c[o + j]);
        sum2[s] += dc2;
      }
    }
    const dMean = this.s3;
    for (let s = 0; s < nStat; s++) {
      const dsd = -r(r(sum1[s]) / r(sd[s] * sd[s]));
      sum1[s] = r(dsd / r(sd[s] * 2)); // ∂σ²
      dMean[s] = -r(sum2[s]); // −Σ ∂c₂
      sum2[s] = 0;
    }
    // ∂c₁ = (∂σ²/N)·2c₁; dz ← ∂c₂ + ∂c₁
    for (let b = 0; b < B; b++) {
      const o = b * U;
      for (let j = 0; j < U; j++) {
        const s = bn ? j : b;
        const dc1 = r(r(sum1[s] / N) * r(c[o + j] * 2));
        sum2[s] += dc1;
        dz[o + j] = r(dz[o + j] + dc1);
      }
    }
    for (let s = 0; s < nStat; s++) dMean[s] = r(r(dMean[s] + -r(sum2[s])) / N);
    for (let b = 0; b < B; b++) {
      const o = b * U;
      for (let j = 0; j < U; j++) dz[o + j] = r(dz[o + j] + dMean[bn ? j : b]);
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
        dense(cur, m, layer.fanIn, layer.kernel, layer.bias, u, nxt, this.kt, r);
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
        }
        const t = cur;
        cur = nxt;
        nxt = t;
      }
      sink.take(cur, s, m);
    }
  }
}

const NORM_EPS32 = Math.fround(NORM_EPSILON);
const LEAKY_ALPHA32 = Math.fround(LEAKY_ALPHA);
const SELU_SCALE32 = Math.fround(SELU_SCALE);
const SELU_SCALEALPHA32 = Math.fround(SELU_SCALEALPHA);

/**
 * out[p·Q + q] = Σ_k A[p·K + k]·Bt[q·K + k] for p < P, q < Q: every row of A and of Bt
 * contiguous along k. Each sum runs over k in order, in float64, in blocks of 48
 * added one by one to the float32 result: the cpu backend's matrix product, so the
 * results are the same bit for bit. Two rows of A and four of Bt at a time (eight
 * independent sums, each still in order) keep the adds from waiting on each other.
 */
function gemmNT(A: Arr, P: number, Bt: Arr, Q: number, K: number, out: Arr, r: Round): void {
  let p = 0;
  for (; p + 1 < P; p += 2) {
    const a0 = p * K;
    const a1 = a0 + K;
    const o0 = p * Q;
    const o1 = o0 + Q;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      const b0 = q * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t00 = 0, t01 = 0, t02 = 0, t03 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k];
          const x1 = A[a1 + k];
          const w0 = Bt[b0 + k];
          const w1 = Bt[b1 + k];
          const w2 = Bt[b2 + k];
          const w3 = Bt[b3 + k];
          t00 += x0 * w0;
          t01 += x0 * w1;
          t02 += x0 * w2;
          t03 += x0 * w3;
          t10 += x1 * w0;
          t11 += x1 * w1;
          t12 += x1 * w2;
          t13 += x1 * w3;
        }
        s00 = r(s00 + t00);
        s01 = r(s01 + t01);
        s02 = r(s02 + t02);
        s03 = r(s03 + t03);
        s10 = r(s10 + t10);
        s11 = r(s11 + t11);
        s12 = r(s12 + t12);
        s13 = r(s13 + t13);
      }
      out[o0 + q] = s00;
      out[o0 + q + 1] = s01;
      out[o0 + q + 2] = s02;
      out[o0 + q + 3] = s03;
      out[o1 + q] = s10;
      out[o1 + q + 1] = s11;
      out[o1 + q + 2] = s12;
      out[o1 + q + 3] = s13;
    }
    for (; q < Q; q++) {
      const b0 = q * K;
      let s0 = 0;
      let s1 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0;
        let t1 = 0;
        for (let k = k0; k < k1; k++) {
          const w = Bt[b0 + k];
          t0 += A[a0 + k] * w;
          t1 += A[a1 + k] * w;
        }
        s0 = r(s0 + t0);
        s1 = r(s1 + t1);
      }
      out[o0 + q] = s0;
      out[o1 + q] = s1;
    }
  }
  for (; p < P; p++) {
    const a0 = p * K;
    const o0 = p * Q;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      const b0 = q * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k];
          t0 += x0 * Bt[b0 + k];
          t1 += x0 * Bt[b1 + k];
          t2 += x0 * Bt[b2 + k];
          t3 += x0 * Bt[b3 + k];
        }
        s0 = r(s0 + t0);
        s1 = r(s1 + t1);
        s2 = r(s2 + t2);
        s3 = r(s3 + t3);
      }
      out[o0 + q] = s0;
      out[o0 + q + 1] = s1;
      out[o0 + q + 2] = s2;
      out[o0 + q + 3] = s3;
    }
    for (; q < Q; q++) {
      const b0 = q * K;
      let s0 = 0;
      for (let k0 = 0; k0 < K; k0 += BLOCK) {
        const k1 = Math.min(k0 + BLOCK, K);
        let t0 = 0;
        for (let k = k0; k < k1; k++) t0 += A[a0 + k] * Bt[b0 + k];
        s0 = r(s0 + t0);
      }
      out[o0 + q] = s0;
    }
  }
}

/** outT[j·rows + i] = m[i·cols + j]. */
function transpose(m: Arr, rows: number, cols: number, outT: Arr): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) outT[j * rows + i] = m[o + j];
  }
}

/** out = x·K + bias over n examples: tfjs's add(matMul(x, K), bias). `kt` is scratch for Kᵀ. */
function dense(x: Arr, n: number, fanIn: number, K: Arr, bias: Arr, units: number, out: Arr, kt: Arr, r: Round): void {
  transpose(K, fanIn, units, kt);
  gemmNT(x, n, kt, units, fanIn, out, r);
  for (let b = 0; b < n; b++) {
    const o = b * units;
    for (let j = 0; j < units; j++) out[o + j] = out[o + j] + bias[j];
  }
}

/**
 * tfjs's moments and normalization: μ = Σ(z/N), c = z − μ, σ² = Σ(c²/N), sd = √(σ² + ε),
 * x̂ = c/sd, over the batch per unit (bn) or over the units per example.
 * `centered` and `xhat` may be `z` itself (inference).
 */
function normForward(z: Arr, B: number, U: number, bn: boolean, mean: Arr | Float64Array, vr: Arr | Float64Array, sd: Arr | Float64Array, centered: Arr, xhat: Arr, acc: Float64Array, r: Round): void {
  const N = bn ? B : U;
  const nStat = bn ? U : B;
  for (let s = 0; s < nStat; s++) acc[s] = 0;
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) acc[bn ? j : b] += r(z[o + j] / N);
  }
  for (let s = 0; s < nStat; s++) {
    mean[s] = r(acc[s]);
    acc[s] = 0;
  }
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) {
      const s = bn ? j : b;
      const c = r(z[o + j] - mean[s]);
      centered[o + j] = c;
      acc[s] += r(r(c * c) / N);
    }
  }
  for (let s = 0; s < nStat; s++) {
    vr[s] = r(acc[s]);
    sd[s] = r(Math.sqrt(r(vr[s] + (r === noRound ? NORM_EPSILON : NORM_EPS32))));
  }
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) xhat[o + j] = r(centered[o + j] / sd[bn ? j : b]);
  }
}

/** a = x̂·γ + β (two float32 ops in tfjs). */
function scaleShift(xhat: Arr, B: number, U: number, gamma: Arr, beta: Arr, a: Arr, r: Round): void {
  for (let b = 0; b < B; b++) {
    const o = b * U;
    for (let j = 0; j < U; j++) a[o + j] = r(xhat[o + j] * gamma[j]) + beta[j];
  }
}

/** y = act(a) elementwise, as tfjs's cpu kernels compute it (`a` and `y` may be the same array). */
function activate(act: Activation, a: Arr, y: Arr, n: number): void {
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = Math.max(0, a[i]);
      return;
    case 'leaky_relu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        y[i] = v < 0 ? LEAKY_ALPHA * v : v;
      }
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) y[i] = Math.min(Math.max(0, a[i]), 6);
      return;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        y[i] = v >= 0 ? v : Math.exp(v) - 1;
      }
      return;
    case 'selu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        y[i] = v >= 0 ? SELU_SCALE * v : SELU_SCALEALPHA * (Math.exp(v) - 1);
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(a[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-a[i]));
      return;
    case 'linear':
      if (y !== a) for (let i = 0; i < n; i++) y[i] = a[i];
      return;
  }
}

/** da = ∂L/∂a from dh = ∂L/∂y: tfjs's gradient of each activation, its float32 constants and NaN/Infinity included. */
function activationGrad(act: Activation, dh: Arr, a: Arr, y: Arr, da: Arr, n: number, r: Round): void {
  const f64 = r === noRound;
  switch (act) {
    case 'relu':
      // dy·step(x): step is 1 for x > 0, 0 for x ≤ 0, NaN for NaN (and 0·Infinity is NaN)
      for (let i = 0; i < n; i++) {
        const v = a[i];
        da[i] = dh[i] * (v > 0 ? 1 : v <= 0 ? 0 : NaN);
      }
      return;
    case 'leaky_relu': {
      const alpha = f64 ? LEAKY_ALPHA : LEAKY_ALPHA32;
      for (let i = 0; i < n; i++) da[i] = a[i] > 0 ? dh[i] : dh[i] * alpha;
      return;
    }
    case 'relu6':
      // dy·(x ≤ 6)·step(x)
      for (let i = 0; i < n; i++) {
        const v = a[i];
        da[i] = dh[i] * (v > 0 ? (v <= 6 ? 1 : 0) : v <= 0 ? 0 : NaN);
      }
      return;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        da[i] = v >= 0 ? dh[i] : dh[i] * (v + 1);
      }
      return;
    case 'selu': {
      const scale = f64 ? SELU_SCALE : SELU_SCALE32;
      const sa = f64 ? SELU_SCALEALPHA : SELU_SCALEALPHA32;
      for (let i = 0; i < n; i++) {
        const v = a[i];
        da[i] = v > 0 ? dh[i] * scale : r(dh[i] * sa) * r(Math.exp(v));
      }
      return;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        da[i] = r(1 - r(v * v)) * dh[i];
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        da[i] = dh[i] * r(v * r(1 - v));
      }
      return;
    case 'linear':
      for (let i = 0; i < n; i++) da[i] = dh[i];
      return;
  }
}

/** gK[i, j] = Σ_b x[b, i]·dz[b, j]: tfjs's matMul(x, dz, transposeA) (`xT`, `dzT` are scratch). */
function kernelGrad(x: Arr, dz: Arr, B: number, fanIn: number, units: number, gK: Arr, xT: Arr, dzT: Arr, r: Round): void {
  transpose(x, B, fanIn, xT);
  transpose(dz, B, units, dzT);
  gemmNT(xT, fanIn, dzT, units, B, gK, r);
}

/** out[j] = Σ_b m[b, j] (in batch order, float64). */
function columnSums(m: Arr, B: number, units: number, out: Arr, acc: Float64Array): void {
  for (let j = 0; j < units; j++) acc[j] = 0;
  for (let b = 0; b < B; b++) {
    const o = b * units;
    for (let j = 0; j < units; j++) acc[j] += m[o + j];
  }
  for (let j = 0; j < units; j++) out[j] = acc[j];
}

/**
 * dx[b, i] = Σ_j dz[b, j]·K[i, j] (tfjs's matMul(dz, K, transposeB)), then + skip[b, i]:
 * the residual path's gradient, which tfjs's tape adds to the product's.
 */
function inputGrad(dz: Arr, K: Arr, B: number, fanIn: number, units: number, dx: Arr, skip: Arr | null, r: Round): void {
  gemmNT(dz, B, K, fanIn, units, dx, r);
  if (skip) for (let k = 0; k < B * fanIn; k++) dx[k] = skip[k] + dx[k];
}
