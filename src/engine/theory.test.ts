/**
 * Gradient statistics at initialization against signal-propagation theory.
 * Records come from the Trainer with lr = 0 (step 0: nothing is learned).
 *
 * Deep ReLU MLP, width n = 128, W ~ N(0, g²/n), zero biases.
 *   Backward: ∂L/∂h_l = W_{l+1} (φ'(z_{l+1}) ⊙ ∂L/∂h_{l+1}). For a vector δ,
 *   E‖Wδ‖² = n·(g²/n)·‖δ‖² = g²‖δ‖², and φ' ∈ {0, 1} with probability ½ each, so
 *   E‖∂L/∂h_l‖² = (g²/2)·E‖∂L/∂h_{l+1}‖²: per layer toward the input the norm of the
 *   back-propagated signal (actGradNorm) is multiplied by √(g²/2), i.e. against the
 *   layer index l (input → output) log actGradNorm has slope −½·log(g²/2).
 *   Forward: E‖h_{l+1}‖² = (g²/2)·E‖h_l‖², the same factor in the other direction.
 *   Weight gradient: ∂L/∂W_l = Σ_batch h_{l−1} δ_lᵀ with δ_l = φ'(z_l) ⊙ ∂L/∂h_l, so
 *   ‖∂L/∂W_l‖ ~ ‖h_{l−1}‖·‖δ_l‖: the forward factor (g²/2)^(l/2) and the backward factor
 *   (g²/2)^(−l/2) cancel, and the kernel gradient has no g-dependent trend across depth.
 *   What is left of a trend does not depend on g at all: a ReLU net with zero biases is
 *   positively homogeneous, so the correlations between examples (which decide how the
 *   batch sum adds up) evolve across layers the same way for every g. Hence the test:
 *   changing g from √2 to 2 moves the actGradNorm slope by −½·log 2 ≈ −0.35 per layer
 *   but leaves the gradNorm slope where it was.
 *   A layer's gradNorm also includes its bias gradient Σ_batch δ_l, which has no forward
 *   factor. For g < √2 the activations vanish toward the output (‖h_{l−1}‖ ≪ 1 in deep
 *   layers), the bias term takes over there and gradNorm partly follows actGradNorm; so
 *   for g = 1 the test only asks gradNorm's slope to move clearly less than actGradNorm's.
 *
 * Deep tanh MLP, gain g = 3 (chaotic phase; mean field, Schoenholz et al. 2017):
 *   pre-activation variance fixed point q* = g²·E_z[tanh(√q*·z)²] (bias variance 0), and
 *   χ₁ = g²·E_z[tanh'(√q*·z)²]. Per layer toward the input the squared norms of the
 *   back-propagated signal grow by χ₁, and since ‖h_{l−1}‖ is constant at the fixed point,
 *   so do the weight-gradient norms: per layer, norm ratio √χ₁, log slope −½·log χ₁.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig } from './config.ts';
import type { StepRecord } from './records.ts';
import { Trainer } from './trainer.ts';

beforeAll(async () => {
  await setNodeBackend('wasm');
});

const DEPTH = 16;
const WIDTH = 128;
const BATCH = 256;
const SEEDS = [1]; // one net per configuration is enough for 30% (two seeds gave the same slopes within 0.03)

/** Least-squares slope of ys against their index. */
function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  ys.forEach((y, i) => {
    sxy += (i - mx) * (y - my);
    sxx += (i - mx) ** 2;
  });
  return sxy / sxx;
}

/** One lr = 0 step per seed; per hidden layer, the mean over seeds of the log of a field. */
async function atInit(activation: 'relu' | 'tanh', gain: number): Promise<{ logAct: number[]; logGrad: number[] }> {
  const records: StepRecord[] = [];
  for (const seed of SEEDS) {
    const tr = new Trainer(
      defaultRunConfig({
        seed,
        data: { name: 'spiral', samples: 1024, testFraction: 0 },
        model: { hidden: Array(DEPTH).fill(WIDTH), activation, init: 'normal', initGain: gain },
        optimizer: { lr: 0 },
        train: { batchSize: BATCH, evalEvery: 0 },
      }),
    );
    try {
      const [r] = await tr.runSteps(1);
      expect(r.step).toBe(0);
      expect(r.status).toBe('ok');
      records.push(r);
    } finally {
      tr.dispose();
    }
  }
  const meanLog = (f: (r: StepRecord, l: number) => number) =>
    Array.from({ length: DEPTH }, (_, l) => records.reduce((a, r) => a + Math.log(f(r, l)), 0) / records.length);
  return {
    logAct: meanLog((r, l) => r.layers[l].actGradNorm),
    logGrad: meanLog((r, l) => r.layers[l].gradNorm),
  };
}

// ---------------------------------------------------------------------------
// Gaussian expectations on a fine grid (composite Simpson over z ∈ [−12, 12]).
const GRID_N = 6000; // even
const GRID_LO = -12;
const GRID_H = 24 / GRID_N;
function gaussE(f: (z: number) => number): number {
  let s = 0;
  for (let i = 0; i <= GRID_N; i++) {
    const z = GRID_LO + i * GRID_H;
    const w = i === 0 || i === GRID_N ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * f(z) * Math.exp(-0.5 * z * z);
  }
  return ((s * GRID_H) / 3) / Math.sqrt(2 * Math.PI);
}

/** Mean-field fixed point q* and χ₁ for a tanh net with weight variance g²/fan_in, no bias. */
function tanhMeanField(g: number): { qStar: number; chi1: number } {
  let q = 1;
  for (let i = 0; i < 500; i++) q = g * g * gaussE((z) => Math.tanh(Math.sqrt(q) * z) ** 2);
  const sech2 = (x: number) => 1 / Math.cosh(x) ** 2;
  const chi1 = g * g * gaussE((z) => sech2(Math.sqrt(q) * z) ** 2);
  return { qStar: q, chi1 };
}

describe('the Gaussian quadrature', () => {
  test('reproduces known moments', () => {
    expect(gaussE(() => 1)).toBeCloseTo(1, 10);
    expect(gaussE((z) => z * z)).toBeCloseTo(1, 10);
    expect(gaussE((z) => z ** 4)).toBeCloseTo(3, 9);
    expect(gaussE((z) => Math.max(z, 0) ** 2)).toBeCloseTo(0.5, 9); // the ReLU ½ used above
    // a tanh net at g = 1 has the trivial fixed point q* = 0, χ₁ = 1 (the edge of chaos)
    const edge = tanhMeanField(1);
    expect(edge.qStar).toBeLessThan(0.05);
    expect(edge.chi1).toBeGreaterThan(0.9);
  });
});

describe('ReLU MLP, 16 × 128, init normal with gain g', () => {
  const results = new Map<number, { logAct: number[]; logGrad: number[] }>();
  const GAINS = [1, Math.SQRT2, 2];

  beforeAll(async () => {
    for (const g of GAINS) results.set(g, await atInit('relu', g));
  });

  test('actGradNorm log-slope across the hidden layers = −½·log(g²/2) per layer', () => {
    const lines: string[] = [];
    for (const g of GAINS) {
      const measured = slope(results.get(g)!.logAct);
      const predicted = -0.5 * Math.log((g * g) / 2);
      lines.push(`g=${g.toFixed(3)}: measured ${measured.toFixed(4)}, predicted ${predicted.toFixed(4)}`);
      if (Math.abs(predicted) < 1e-9) expect(Math.abs(measured), lines.at(-1)).toBeLessThan(0.03);
      else expect(Math.abs(measured / predicted - 1), lines.at(-1)).toBeLessThan(0.3);
    }
    console.info(`[theory] ReLU actGradNorm slope per layer: ${lines.join('; ')}`);
  });

  test('weight-gradient norms stay flat relative to that (kernel term: forward and backward factors cancel)', () => {
    const sAct = (g: number) => slope(results.get(g)!.logAct);
    // Skip layer 1 for gradNorm: its input is the 2-D data point, not a width-128 layer.
    const sGrad = (g: number) => slope(results.get(g)!.logGrad.slice(1));
    const dActPred = -0.5 * Math.log(2); // slope change from g = √2 to g = 2
    const dAct = sAct(2) - sAct(Math.SQRT2);
    const dGrad = sGrad(2) - sGrad(Math.SQRT2);
    const dAct1 = sAct(1) - sAct(Math.SQRT2);
    const dGrad1 = sGrad(1) - sGrad(Math.SQRT2);
    console.info(
      `[theory] ReLU gradNorm slope per layer: g=1 ${sGrad(1).toFixed(4)}, g=√2 ${sGrad(Math.SQRT2).toFixed(4)}, g=2 ${sGrad(2).toFixed(4)}; ` +
        `√2→2 change: actGradNorm ${dAct.toFixed(4)} (predicted ${dActPred.toFixed(4)}), gradNorm ${dGrad.toFixed(4)}`,
    );
    expect(Math.abs(dAct / dActPred - 1)).toBeLessThan(0.3);
    // the g-dependent part of the gradNorm trend is zero: allow 30% of the act-gradient change
    expect(Math.abs(dGrad)).toBeLessThan(0.3 * Math.abs(dActPred));
    // and what trend there is (from the batch correlations, the same for every g) is mild
    for (const g of [Math.SQRT2, 2]) expect(Math.abs(sGrad(g))).toBeLessThan(0.2);
    // g = 1: the bias gradients pull gradNorm toward actGradNorm, but it still moves much less
    expect(dAct1).toBeGreaterThan(0.25);
    expect(dGrad1).toBeLessThan(0.6 * dAct1);
    // over the 15 hidden-to-hidden layers the act gradients change by (g²/2)^(±15/2) ≈ 180×
    // for g = 2, the weight gradients by far less
    const spanAct = Math.exp(Math.abs(results.get(2)!.logAct[0] - results.get(2)!.logAct[DEPTH - 1]));
    const spanGrad = Math.exp(Math.abs(results.get(2)!.logGrad[1] - results.get(2)!.logGrad[DEPTH - 1]));
    expect(spanAct).toBeGreaterThan(50);
    expect(spanGrad).toBeLessThan(spanAct / 10);
  });
});

describe('tanh MLP, 16 × 128, gain 3: mean-field chaotic growth', () => {
  test('weight-gradient norms grow toward the input by √χ₁ per layer', async () => {
    const g = 3;
    const { qStar, chi1 } = tanhMeanField(g);
    // sanity of the fixed point itself
    expect(Math.abs(qStar - g * g * gaussE((z) => Math.tanh(Math.sqrt(qStar) * z) ** 2))).toBeLessThan(1e-9);
    expect(chi1).toBeGreaterThan(1); // chaotic phase: gradients explode
    const { logAct, logGrad } = await atInit('tanh', g);
    // Fit from layer 4 on: the first layers are still converging to q* (layer 1 sees the 2-D input).
    const from = 3;
    const measuredGrad = slope(logGrad.slice(from));
    const measuredAct = slope(logAct.slice(from));
    const predicted = -0.5 * Math.log(chi1);
    console.info(
      `[theory] tanh g=3: q*=${qStar.toFixed(4)}, χ₁=${chi1.toFixed(4)}, predicted slope ${predicted.toFixed(4)}; ` +
        `measured gradNorm ${measuredGrad.toFixed(4)}, actGradNorm ${measuredAct.toFixed(4)} per layer`,
    );
    expect(Math.abs(measuredGrad / predicted - 1)).toBeLessThan(0.3);
    expect(Math.abs(measuredAct / predicted - 1)).toBeLessThan(0.3);
  });
});
