/**
 * Signal propagation at initialization (mean-field theory), as pure functions:
 * what the per-layer norms of the back-propagated signal ‖∂L/∂h_l‖ should look
 * like before any training, for a plain MLP (no normalization).
 *
 * Setting. Layer l maps h_{l-1} (n_{l-1} units) to z_l = W_l·h_{l-1} + b_l and
 * h_l = φ(z_l) (+ h_{l-1} with a residual connection). Biases start at 0, so
 * σ_b = 0. Write σ_w² for the weight variance times fan_in (the "g²" of the
 * textbooks): Var(W_ij) = σ_w²/n_{l-1}.
 *
 *  Forward, per unit:  q_l = σ_w²·m_{l-1}  with  m_l = E_z[φ(√q_l·z)²]
 *                      (+ m_{l-1} + 2·E_z[φ(√q_l·z)]·μ_{l-1} with a residual:
 *                      the skip h_{l-1} and the branch φ(z_l) are independent
 *                      across units, but neither has mean 0 in general, so
 *                      their cross term is the product of the means; μ_l is
 *                      the mean of h_l's units), z ~ N(0, 1), m_0 = mean x².
 *  Backward, in norm:  ∂L/∂h_{l-1} = W_l·(φ'(z_l) ⊙ ∂L/∂h_l), and for a fixed
 *                      vector u,  E‖W_l u‖² = n_{l-1}·(σ_w²/n_{l-1})·‖u‖² = σ_w²‖u‖²,
 *                      so  E‖∂L/∂h_{l-1}‖² = χ_l·E‖∂L/∂h_l‖²,
 *                      χ_l = σ_w²·E_z[φ'(√q_l·z)²]   (1 + χ_l with a residual:
 *                      the identity path adds ‖u‖², the cross term has mean 0).
 *  The output layer is linear: its factor is σ_w² alone.
 *  Both take the backward pass's weights as independent of the forward pass's
 *  (exact at infinite width). A residual ReLU stack breaks that visibly at
 *  finite width, and the line then carries one direction exactly:
 *
 *  Residual ReLU, the stream part. With zero biases a ReLU net is positively
 *  homogeneous, so (Euler) ∂L/∂h_l · h_l = ∂L/∂logits · logits =: e at every
 *  layer: the part of ∂L/∂h_l along the stream, γ_l = e/‖h_l‖, has a square
 *  that grows toward the input by ‖h_l‖²/‖h_{l-1}‖² = N² ≈ 2.6–2.9, not by
 *  1 + χ = 2. At the top it is about 1/width of ‖∂L/∂h‖² (on average over the
 *  output kernel: (u·ĥ)² for a random u), and depth compounds it. Through one
 *  layer, write a_j = w_j·ĥ (so z_j = ‖h‖a_j, the mask is a_j > 0, and h_l =
 *  ‖h‖(ĥ + a⁺)); the rest of W is independent of the mask and of ∂L/∂h_l, so
 *  averaging it out exactly leaves
 *    E‖∂L/∂h_{l-1}‖² = ‖g‖² + (a⁺·g)² + 2(ĥ·g)(a⁺·g) + σ_w²‖D g‖²,   g = ∂L/∂h_l.
 *  With g = γ ĥ_l + g⊥ and g⊥ isotropic (mean field for the rest): g⊥ grows by
 *  1 + χ, and γ² contributes `total` = 1 + [(c+A)² + 2(1+c)(c+A) + σ_w²(½+2c+A)]/N²
 *  (c = ĥ·a⁺ = E[φ]·μ/m, A = ‖a⁺‖² = σ_w²/2, N² = 1 + 2c + A), of which N² stays
 *  along the stream. The profile carries both parts per example. Checked
 *  against float64 nets at widths 128 and 512 (theory.net.test.ts).
 *
 * With fan_in scaling the width ratio n_{l-1}/n_l cancels in the norm (it would
 * appear in the per-unit mean square). It enters only through inits whose
 * variance uses fan_out too (Glorot, orthogonal on a wide matrix).
 *
 * Closed forms: ReLU χ = σ_w²/2 for every q (φ'² is 1 on half the line), so
 * `normal` with gain g gives g²/2 and He (σ_w² = 2g²) gives g²; Leaky ReLU
 * (slope α for x < 0) gives σ_w²(1+α²)/2; linear σ_w². For tanh χ depends on q; deep
 * in the net q reaches the fixed point q* = σ_w²·E[tanh(√q*·z)²] and
 * χ₁ = σ_w²·E[tanh'(√q*·z)²] (Poole et al. 2016; Schoenholz et al. 2017): below
 * 1 gradients vanish, above 1 they explode; with σ_b = 0 the edge is σ_w = 1.
 *
 * Per example. q depends on the input: an example with a small ‖x‖ starts
 * with a small q, and for tanh, sigmoid, ELU and SELU χ(q) is far from its
 * value at the batch's mean q in the first layers (tanh′² ≈ 1 near 0: a
 * small-q example multiplies its gradient by ≈ σ_w² per layer, not χ₁). The
 * batch's ‖∂L/∂h_l‖² is the sum over its examples, so the line is the
 * per-example prediction summed over the first batch (`predictedProfile`):
 *   ‖∂L/∂h_l‖² = Σ_i ‖∂L/∂logits^(i)‖² · Π_{k>l} χ_k^(i),
 * each example i with its own q-recursion from ‖x_i‖²/fan_in. One q per layer
 * from the data's mean x² (`layerTheory`) is kept for the teaching number χ.
 *
 * Gaussian expectations: closed forms for the piecewise activations (ReLU
 * family, ELU, SELU, ReLU6: their kinks would slow a quadrature down), and
 * Gauss–Hermite quadrature (192 nodes, with a change of measure for wide
 * pre-activations) for the smooth ones (tanh, sigmoid).
 *
 * This file holds the whole net, the line and a run's first batch; one unit's
 * moments, the inits' σ_w² and χ are in meanField.ts, the per-example tables in
 * theoryTables.ts (all re-exported here).
 */
import type { RunConfig } from './config.ts';
import { BatchStream, makeDataset } from './data/datasets.ts';
import type { Activation, InitName } from './meta.ts';
import { derivSquare, meanOut, meanSquareOut, sigmaW2 } from './meanField.ts';
import { momentsFast, outputGradSquare } from './theoryTables.ts';

export { QUADRATURE_NODES, erfc, gaussExpect, gaussExpectScaled, gaussHermite, normCdf, normPdf, type Quadrature } from './gaussian.ts';
export { LEAKY_SLOPE, SELU_ALPHA, SELU_SCALE, chi, chi1, derivSquare, fixedPoint, meanOut, meanSquareOut, phi, phiPrime, qMap, sigmaW2 } from './meanField.ts';
export { momentsFast, outputGradSquare } from './theoryTables.ts';

// ---------------------------------------------------------------- whole net

/** The inputs of a batch, per example: the mean and the mean square of its input coordinates. */
export interface BatchInputs {
  meanSquare: Float64Array;
  mean: Float64Array;
  /** A regression's targets squared, per example (its output gradient is 2(p − t)/B). */
  targetSquare?: Float64Array;
}

export interface NetSpec {
  /** Input dimension (2 for the 2-D sets). */
  inputSize: number;
  /** Hidden widths, input → output. */
  hidden: number[];
  /** Output units (classes). */
  outputSize: number;
  activation: Activation;
  init: InitName;
  initGain: number;
  residual?: boolean;
  /** Mean of x_i² over the data (per input coordinate): the single q-recursion of `layerTheory`. */
  inputMeanSquare: number;
  /** Mean of x_i over the data (per input coordinate; 0 if absent): only a residual first layer uses it. */
  inputMean?: number;
  /**
   * The examples of the batch the line is for (a run's first batch, `netSpecOf`).
   * Without them the line follows the single q-recursion from `inputMeanSquare`.
   */
  batch?: BatchInputs;
}

export interface LayerTheory {
  /** σ_w² of the layer's kernel. */
  sw2: number;
  /** Pre-activation variance per unit (hidden layers; the output layer's too). */
  q: number;
  /** Whether the layer adds its input (residual and equal widths). */
  residual: boolean;
  /**
   * ‖∂L/∂h_{l-1}‖² / ‖∂L/∂h_l‖²: the factor by which the squared back-propagated
   * norm grows from this layer's output to its input (the output layer: σ_w²).
   * With `stream`, the factor of the part of ∂L/∂h_l orthogonal to h_l.
   */
  factor: number;
  /**
   * Residual ReLU layers only: the part of ∂L/∂h_l along the stream h_l, which
   * the backward pass carries differently from the rest (`predictedProfile`).
   * `growth` = ‖h_l‖²/‖h_{l-1}‖² = 1 + 2c + A, the factor of that part's square
   * (Euler); `total`, what a unit of it adds to ‖∂L/∂h_{l-1}‖² (`growth` of it
   * stays along h_{l-1}, the rest joins the orthogonal part).
   */
  stream?: { growth: number; total: number };
}

/**
 * A residual ReLU layer's stream terms (see `predictedProfile`), from the forward
 * statistics per unit of its input: mean square m, mean μ; σ_w².
 *   A = ‖a⁺‖² = σ_w²/2, c = ĥ·a⁺ = E[φ(z)]·μ/m  (a = W·ĥ, a unit's pre-activation
 *   over ‖h‖), N² = 1 + 2c + A = ‖h_l‖²/‖h_{l-1}‖²;
 *   total = 1 + [(c + A)² + 2(1 + c)(c + A) + σ_w²·(½ + 2c + A)] / N².
 */
function residualStream(sw2: number, q: number, m: number, mu: number): { growth: number; total: number } | undefined {
  if (!(m > 0)) return undefined;
  const A = meanSquareOut('relu', q) / m;
  const c = (meanOut('relu', q) * mu) / m;
  const growth = 1 + 2 * c + A;
  const total = 1 + ((c + A) ** 2 + 2 * (1 + c) * (c + A) + sw2 * (derivSquare('relu', q) + 2 * c + A)) / growth;
  return { growth, total };
}

/** The forward recursion from an input with mean square m0 and mean mu0 per coordinate, and each layer's factor. */
function chain(net: NetSpec, m0: number, mu0: number, fast = false): LayerTheory[] {
  const widths = [net.inputSize, ...net.hidden, net.outputSize];
  const out: LayerTheory[] = [];
  let m = m0; // mean square per unit of h_{l-1}
  let mu = mu0; // mean per unit of h_{l-1}
  for (let l = 1; l < widths.length; l++) {
    const fanIn = widths[l - 1];
    const fanOut = widths[l];
    const sw2 = sigmaW2(net.init, net.initGain, fanIn, fanOut);
    const q = sw2 * m;
    if (l === widths.length - 1) {
      out.push({ sw2, q, residual: false, factor: sw2 });
      break;
    }
    const residual = !!net.residual && fanIn === fanOut;
    const [ms, ds] = fast ? momentsFast(net.activation, q) : [meanSquareOut(net.activation, q), derivSquare(net.activation, q)];
    const c = sw2 * ds;
    const stream = residual && net.activation === 'relu' ? residualStream(sw2, q, m, mu) : undefined;
    out.push({ sw2, q, residual, factor: residual ? 1 + c : c, ...(stream ? { stream } : {}) });
    const mean = meanOut(net.activation, q);
    m = ms + (residual ? m + 2 * mean * mu : 0);
    mu = mean + (residual ? mu : 0);
  }
  return out;
}

/**
 * Forward variances and backward factors of every layer, input → output (last =
 * output layer), with one q per layer from the data's mean x²: the teaching χ.
 */
export function layerTheory(net: NetSpec): LayerTheory[] {
  return chain(net, net.inputMeanSquare, net.inputMean ?? 0);
}

/** Each example's factors (input → output, as in `layerTheory`) and its logits' variance per class. */
interface Examples {
  factors: Float64Array[];
  /** Per example, the stream terms `[growth, total]` of every layer (residual ReLU nets only; else null). */
  streams: (Float64Array | null)[];
  qOut: Float64Array;
}

const examplesCache = new WeakMap<NetSpec, Examples>();

function examplesOf(net: NetSpec, batch: BatchInputs): Examples {
  const hit = examplesCache.get(net);
  if (hit) return hit;
  const B = batch.meanSquare.length;
  const factors: Float64Array[] = [];
  const streams: (Float64Array | null)[] = [];
  const qOut = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const th = chain(net, batch.meanSquare[i], batch.mean[i], true);
    factors.push(Float64Array.from(th, (t) => t.factor));
    streams.push(streamsOf(th));
    qOut[i] = th[th.length - 1].q;
  }
  const ex = { factors, streams, qOut };
  examplesCache.set(net, ex);
  return ex;
}

/** `[growth, total]` per layer (a layer without stream terms carries its stream part as the rest: both its factor), or null if no layer has them. */
function streamsOf(th: LayerTheory[]): Float64Array | null {
  if (!th.some((t) => t.stream)) return null;
  const out = new Float64Array(2 * th.length);
  th.forEach((t, l) => {
    out[2 * l] = t.stream?.growth ?? t.factor;
    out[2 * l + 1] = t.stream?.total ?? t.factor;
  });
  return out;
}

function sumOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

export interface Profile {
  /**
   * Predicted ‖∂L/∂h_l‖ over the batch for every layer, input → output; the
   * last entry is the output layer's ‖∂L/∂logits‖, the anchor.
   */
  actGradNorm: number[];
  /**
   * Per layer, ‖∂L/∂h_{l-1}‖² / ‖∂L/∂h_l‖² over the batch: the growth of the
   * squared norm from the layer's output to its input (the first layer's input
   * is x; the output layer's factor is σ_w²).
   */
  factor: number[];
}

/**
 * The theory line: predicted ‖∂L/∂h_l‖ over the batch, anchored at the measured
 * ‖∂L/∂logits‖ of the output layer (theory fixes the shape across depth, not
 * the overall scale).
 *
 * With `net.batch`, per example: example i's ‖∂L/∂logits^(i)‖² is carried toward
 * the input through its own factors, and each layer's prediction is the norm
 * over the batch, √(Σ_i ‖∂L/∂h_l^(i)‖²) (the measured actGradNorm is that norm
 * of the [batch, units] gradient).
 *
 * The anchor. Mean-field theory predicts E‖∂L/∂h_l^(i)‖² given the example's
 * own output gradient (the backward factors average over weights taken as
 * independent of the forward pass), so the exact anchor is each example's own
 * measured ‖∂L/∂logits^(i)‖²: pass them (any common scale) as
 * `outputGradSquares`, in batch order. A step record holds only their sum; then
 * `outputNorm`² is split in the shares the theory expects,
 * E‖∂L/∂logits^(i)‖² ∝ `outputGradSquare`(C, q_out^(i)). That is right on
 * average over initializations but not for one net: examples with nearby
 * inputs share one realized output gradient (the spiral's examples near the
 * origin), and where those examples dominate a layer the line inherits that
 * single draw.
 *
 * A residual ReLU net also carries the stream part (header): its share of the
 * top hidden layer's ‖∂L/∂h^(i)‖² is e_i²/(‖∂L/∂logits^(i)‖²·n_L·q_out^(i)) with
 * e_i = ∂L/∂logits^(i) · logits^(i), given as `outputStreamSquares` (e_i², on
 * the scale of `outputGradSquares`, which must be given too); without them, its
 * average over the output kernel, 1/n_L. For one net that average can be far
 * off: every example's e_i comes from the same output kernel and nearly the
 * same stream direction, so the batch shares one χ²-like draw.
 */
export function predictedProfile(net: NetSpec, outputNorm: number, outputGradSquares?: ArrayLike<number>, outputStreamSquares?: ArrayLike<number>): Profile {
  let factors: ArrayLike<number>[];
  let streams: (Float64Array | null)[];
  let shares: ArrayLike<number>;
  let qOut: ArrayLike<number>;
  let measured = false;
  if (net.batch && net.batch.meanSquare.length > 0) {
    const ex = examplesOf(net, net.batch);
    factors = ex.factors;
    streams = ex.streams;
    qOut = ex.qOut;
    const sum = outputGradSquares?.length === ex.factors.length ? sumOf(outputGradSquares) : NaN;
    measured = sum > 0 && Number.isFinite(sum);
    // Mean squared error (one output): E[(p − t)²] = q + t² with the prediction p ~ N(0, q) at initialization.
    const expected = (q: number, i: number) => (net.outputSize === 1 ? q + (net.batch!.targetSquare?.[i] ?? 0) : outputGradSquare(net.outputSize, q));
    shares = measured ? outputGradSquares! : Array.from(ex.qOut, expected);
  } else {
    const th = layerTheory(net);
    factors = [th.map((t) => t.factor)];
    streams = [streamsOf(th)];
    qOut = [th[th.length - 1].q];
    shares = [1];
  }
  const total = sumOf(shares);
  const L = net.hidden.length + 1;
  const nTop = net.hidden[L - 2] ?? net.inputSize;
  const useStream = measured && outputStreamSquares?.length === factors.length;
  // The stream part's share of the top hidden layer's ‖∂L/∂h‖² per example: Euler's
  // (∂L/∂logits·logits)²/‖h_L‖² over σ_w²‖∂L/∂logits‖², ‖h_L‖²·σ_w² = n_L·q_out;
  // on average over the output kernel 1/n_L.
  const streamShare = (i: number) =>
    useStream ? Math.min(1, Math.max(0, outputStreamSquares![i] / (shares[i] * nTop * qOut[i]))) || 0 : 1 / nTop;
  const w = Float64Array.from({ length: factors.length }, (_, i) => (outputNorm * outputNorm * shares[i]) / total);
  const along = new Float64Array(factors.length); // the stream part of w (residual ReLU nets)
  const sq = new Array<number>(L + 1); // sq[l]: predicted ‖∂L/∂h_l‖², h_0 = x, h_L = logits
  sq[L] = outputNorm * outputNorm;
  for (let l = L; l >= 1; l--) {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const st = streams[i];
      if (!st) {
        s += w[i] *= factors[i][l - 1];
        continue;
      }
      // w: the part orthogonal to the stream; along: the part along it
      if (l === L) {
        const top = w[i] * factors[i][l - 1];
        along[i] = streamShare(i) * top;
        w[i] = top - along[i];
      } else {
        const [growth, all] = [st[2 * (l - 1)], st[2 * (l - 1) + 1]];
        w[i] = w[i] * factors[i][l - 1] + (all - growth) * along[i];
        along[i] *= growth;
      }
      s += w[i] + along[i];
    }
    sq[l - 1] = s;
  }
  return {
    actGradNorm: sq.slice(1).map(Math.sqrt),
    factor: Array.from({ length: L }, (_, l) => sq[l] / sq[l + 1]),
  };
}

/**
 * Predicted ‖∂L/∂h_l‖ for every layer (input → output; the last entry is the
 * output layer's ‖∂L/∂logits‖): `predictedProfile(…).actGradNorm`.
 */
export function predictedActGradNorms(net: NetSpec, outputNorm: number, outputGradSquares?: ArrayLike<number>): number[] {
  return predictedProfile(net, outputNorm, outputGradSquares).actGradNorm;
}

// ---------------------------------------------------------------- where one net leaves the line

/**
 * A short plain-words note for the regimes where a measured step 0 sits off the
 * line for reasons the line leaves out (README, "Theory line"), or null. The page
 * shows it under the chart and `gradscope theory` prints it as `note`.
 *
 *  - `residual-relu`: a residual connection around a ReLU-like activation (relu,
 *    leaky_relu, relu6). The part of ∂L/∂h along the all-positive stream h_l is
 *    exactly (∂L/∂logits · logits)/‖h_l‖ (Euler), and the line carries it on its
 *    own (`predictedProfile`); how large it is at the top is set by one draw of
 *    the output kernel (a χ²-like number shared by the whole batch), which the
 *    page, with only the step record, takes at its average 1/width.
 *  - `sigmoid`: sigmoid with σ_w ≥ 2 or at most two classes. Its mean of ½ gives
 *    every example nearly the same φ′, and with two classes every example's
 *    ∂L/∂logits points one way, so the batch is one random product of matrices:
 *    the line is the mean over initializations and one net scatters around it
 *    (0.7–2.3× at dense1 of 16 × 128 over 32 seeds).
 *
 * Only for nets with at least two hidden layers (one layer has nothing to compound).
 */
export type TheoryNoteKind = 'residual-relu' | 'sigmoid';

export interface TheoryNote {
  kind: TheoryNoteKind;
  text: string;
}

export const THEORY_NOTES: Record<TheoryNoteKind, string> = {
  'residual-relu': 'Residual ReLU: part of ∂L/∂h runs along the all-positive stream and grows faster toward the input; how much is one random draw, so one net can sit 2–3× off the line there (see README).',
  sigmoid: 'Sigmoid: the line is the mean over initializations; one net sits up to 2× off it near the input, the whole batch back-propagating as one vector (see README).',
};

const RELU_LIKE: readonly Activation[] = ['relu', 'leaky_relu', 'relu6'];

export function theoryNote(net: Pick<NetSpec, 'inputSize' | 'hidden' | 'outputSize' | 'activation' | 'init' | 'initGain' | 'residual'>): TheoryNote | null {
  const { hidden } = net;
  if (hidden.length < 2) return null;
  const widths = [net.inputSize, ...hidden];
  const anyResidual = !!net.residual && widths.some((w, l) => l > 0 && w === widths[l - 1]);
  if (anyResidual && RELU_LIKE.includes(net.activation)) return { kind: 'residual-relu', text: THEORY_NOTES['residual-relu'] };
  if (net.activation === 'sigmoid') {
    // σ_w² of the hidden-to-hidden layers (the first with two widths; they differ only for Glorot and orthogonal)
    const sw2 = sigmaW2(net.init, net.initGain, hidden[0], hidden[1]);
    if (sw2 >= 4 - 1e-9 || net.outputSize <= 2) return { kind: 'sigmoid', text: THEORY_NOTES.sigmoid };
  }
  return null;
}

// ---------------------------------------------------------------- a run's first batch

/** Per-example mean and mean square of the input coordinates of the examples `idx` of `x` (row-major, `inputSize` per example). */
export function batchInputs(x: ArrayLike<number>, inputSize: number, idx: ArrayLike<number>): BatchInputs {
  const meanSquare = new Float64Array(idx.length);
  const mean = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    let s = 0;
    let s2 = 0;
    for (let j = idx[i] * inputSize, end = j + inputSize; j < end; j++) {
      s += x[j];
      s2 += x[j] * x[j];
    }
    mean[i] = s / inputSize;
    meanSquare[i] = s2 / inputSize;
  }
  return { meanSquare, mean };
}

/**
 * The examples of a run's step 0, drawn as the trainer draws them: the data set
 * of `makeDataset`, then `BatchStream(nTrain, seed).next(batchSize)` with the
 * batch size capped at the training set's size.
 */
export function firstBatch(cfg: Pick<RunConfig, 'data' | 'seed' | 'train'>): { data: ReturnType<typeof makeDataset>; idx: Int32Array } {
  const data = makeDataset(cfg);
  const idx = new BatchStream(data.nTrain, cfg.seed).next(Math.min(cfg.train.batchSize, data.nTrain));
  return { data, idx };
}

/**
 * The network of a run as theory sees it, with its first batch (the line is for
 * step 0's examples; `inputMeanSquare` is theirs too); null where the theory here
 * does not apply (CNNs, normalization).
 */
export function netSpecOf(cfg: RunConfig): NetSpec | null {
  if (cfg.model.arch !== 'mlp' || cfg.model.norm !== 'none') return null;
  // The same spec object for the same network and batch: the page asks on every
  // config edit, and the per-example factors are cached per spec.
  const key = JSON.stringify([cfg.seed, cfg.data, cfg.train.batchSize, cfg.model]);
  const hit = specCache.get(key);
  if (hit) return hit;
  let spec: NetSpec;
  try {
    spec = buildNetSpec(cfg);
  } catch {
    // Data not loaded yet (the digits file, a CSV the page does not have) or a CSV it cannot use: no line.
    return null;
  }
  specCache.set(key, spec);
  if (specCache.size > 8) specCache.delete(specCache.keys().next().value as string);
  return spec;
}

const specCache = new Map<string, NetSpec>();

function buildNetSpec(cfg: RunConfig): NetSpec {
  const { data, idx } = firstBatch(cfg);
  const batch = batchInputs(data.xTrain, data.inputSize, idx);
  if (data.task === 'regression') batch.targetSquare = Float64Array.from(idx, (i) => data.tTrain[i] ** 2);
  const avg = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    inputSize: data.inputSize,
    hidden: cfg.model.hidden,
    outputSize: data.nClasses,
    activation: cfg.model.activation,
    init: cfg.model.init,
    initGain: cfg.model.initGain,
    residual: cfg.model.residual,
    inputMeanSquare: avg(batch.meanSquare),
    inputMean: avg(batch.mean),
    batch,
  };
}

/** Least-squares slope of ln(ys) against the index: per-layer log growth (input → output). */
export function logSlope(ys: number[]): number {
  const pts = ys.map((y, i) => [i, Math.log(y)] as const).filter(([, v]) => Number.isFinite(v));
  const n = pts.length;
  if (n < 2) return NaN;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}
