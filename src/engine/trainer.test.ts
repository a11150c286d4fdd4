/**
 * One step's record against back-propagation written out by hand (plain tensor
 * algebra, no autodiff, no engine code): loss, accuracy, per-layer gradient norms
 * (kernel and bias together), the back-propagated signal ‖∂L/∂h_l‖ (actGradNorm),
 * weight norms and the SGD update norms.
 *
 * Net: x → h1 = relu(x·W1 + b1) → h2 = relu(h1·W2 + b2) → logits = h2·W3 + b3,
 * L = mean over the batch of the softmax cross-entropy.
 *   ∂L/∂logits = (softmax(logits) − y)/B
 *   ∂L/∂h2 = ∂L/∂logits · W3ᵀ,   ∂L/∂z2 = ∂L/∂h2 ⊙ 1[z2 > 0],   ∂L/∂h1 = ∂L/∂z2 · W2ᵀ, …
 *   ∂L/∂W_l = h_{l−1}ᵀ · ∂L/∂z_l,   ∂L/∂b_l = Σ_batch ∂L/∂z_l
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import { BatchStream } from './data/datasets.ts';
import { Trainer } from './trainer.ts';
import { setFusedKernels } from './fused.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});
afterEach(() => setFusedKernels(true));

type M = number[][];
const matmul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const addRow = (a: M, b: number[]): M => a.map((r) => r.map((v, j) => v + b[j]));
const relu = (a: M): M => a.map((r) => r.map((v) => Math.max(v, 0)));
const norm = (...ts: (M | number[])[]) => Math.sqrt(ts.flat(2).reduce((s: number, v) => s + (v as number) ** 2, 0));
const colSum = (a: M): number[] => a[0].map((_, j) => a.reduce((s, r) => s + r[j], 0));
const toM = (x: ArrayLike<number>, rows: number, cols: number): M => Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => x[i * cols + j]));

// Both ways of computing the telemetry: the fused cpu/wasm kernels and the tfjs-ops path of webgpu/webgl.
describe.each([
  ['fused kernels', true],
  ['tfjs ops', false],
])('a step record against hand-written backprop (%s)', (_path, fused) => {
  for (const [what, extra] of [
    ['sgd', { optimizer: { name: 'sgd', lr: 0.1 } }],
    ['sgd with global_norm clipping', { optimizer: { name: 'sgd', lr: 0.1 }, stabilizers: { clip: { mode: 'global_norm', threshold: 0.05 } } }],
    ['sgd with L1 and L2 penalties', { optimizer: { name: 'sgd', lr: 0.1 }, stabilizers: { l1: 0.01, l2: 0.05 } }],
  ] as [string, RunConfigInput][]) {
    test(what, async () => {
      const B = 12;
      const cfg = defaultRunConfig({ seed: 4, data: { name: 'xor', samples: 64 }, model: { hidden: [6, 5] }, train: { batchSize: B, evalEvery: 0 }, ...extra });
      setFusedKernels(fused as boolean);
      const tr = new Trainer(cfg);
      try {
        const [W1, b1, W2, b2, W3, b3] = await tr.snapshot();
        const [r] = await tr.runSteps(1);
        const after = await tr.snapshot();

        // the batch the run draws first
        const idx = new BatchStream(tr.data.nTrain, cfg.seed).next(B);
        const x: M = Array.from(idx, (i) => [tr.data.xTrain[2 * i], tr.data.xTrain[2 * i + 1]]);
        const y = Array.from(idx, (i) => tr.data.yTrain[i]);

        const z1 = addRow(matmul(x, toM(W1, 2, 6)), Array.from(b1));
        const h1 = relu(z1);
        const z2 = addRow(matmul(h1, toM(W2, 6, 5)), Array.from(b2));
        const h2 = relu(z2);
        const logits = addRow(matmul(h2, toM(W3, 5, 2)), Array.from(b3));
        let loss = 0;
        let correct = 0;
        const dLogits: M = logits.map((row, i) => {
          const m = Math.max(...row);
          const e = row.map((v) => Math.exp(v - m));
          const s = e.reduce((a, b) => a + b, 0);
          loss -= Math.log(e[y[i]] / s) / B;
          if ((row[1] > row[0] ? 1 : 0) === y[i]) correct++;
          return e.map((v, j) => (v / s - (j === y[i] ? 1 : 0)) / B);
        });
        const dH2 = matmul(dLogits, transpose(toM(W3, 5, 2)));
        const dZ2 = dH2.map((row, i) => row.map((v, j) => (z2[i][j] > 0 ? v : 0)));
        const dH1 = matmul(dZ2, transpose(toM(W2, 6, 5)));
        const dZ1 = dH1.map((row, i) => row.map((v, j) => (z1[i][j] > 0 ? v : 0)));
        // The penalties on the kernels: l1·Σ|W| + l2·ΣW² in the loss, l1·sign(W) + 2·l2·W in ∂L/∂W.
        const { l1, l2 } = cfg.stabilizers;
        const kernels = [toM(W1, 2, 6), toM(W2, 6, 5), toM(W3, 5, 2)];
        const penalty = kernels.flat(2).reduce((a, w) => a + l1 * Math.abs(w) + l2 * w * w, 0);
        const withPenalty = (gW: M, W: M): M => gW.map((row, i) => row.map((g, j) => g + l1 * Math.sign(W[i][j]) + 2 * l2 * W[i][j]));
        const grads = [
          [withPenalty(matmul(transpose(x), dZ1), kernels[0]), colSum(dZ1)],
          [withPenalty(matmul(transpose(h1), dZ2), kernels[1]), colSum(dZ2)],
          [withPenalty(matmul(transpose(h2), dLogits), kernels[2]), colSum(dLogits)],
        ] as const;
        const layerGrad = grads.map(([gW, gb]) => norm(gW, gb));
        const globalGrad = norm(...grads.flat());
        const actGrad = [norm(dH1), norm(dH2), norm(dLogits)];
        const weight = [norm(toM(W1, 2, 6), Array.from(b1)), norm(toM(W2, 6, 5), Array.from(b2)), norm(toM(W3, 5, 2), Array.from(b3))];

        const close = (a: number, b: number, what: string) => expect(Math.abs(a - b) / Math.abs(b), `${what}: ${a} vs ${b}`).toBeLessThan(1e-4);
        // loss = data loss + penalty, each reported too
        close(r.dataLoss, loss, 'dataLoss');
        if (penalty > 0) close(r.penalty, penalty, 'penalty');
        else expect(r.penalty).toBe(0);
        close(r.loss, loss + penalty, 'loss');
        expect(r.acc).toBeCloseTo(correct / B, 6);
        close(r.gradNorm, globalGrad, 'global gradNorm');
        r.layers.forEach((l, i) => {
          close(l.gradNorm, layerGrad[i], `${l.name} gradNorm`);
          close(l.actGradNorm, actGrad[i], `${l.name} actGradNorm`);
          close(l.weightNorm, weight[i], `${l.name} weightNorm`);
          // the kernel alone (the weight matrix, without the bias)
          close(l.kernelGradNorm, norm(grads[i][0]), `${l.name} kernelGradNorm`);
          close(l.kernelWeightNorm, norm(kernels[i]), `${l.name} kernelWeightNorm`);
        });
        // the update: clipped gradient times lr
        const tau = cfg.stabilizers.clip.mode === 'global_norm' ? cfg.stabilizers.clip.threshold : Infinity;
        const factor = Math.min(1, tau / (globalGrad + 1e-6));
        expect(r.status).toBe(factor < 1 ? 'clipped' : 'ok');
        close(r.gradNormClipped, globalGrad * factor, 'gradNormClipped');
        const before = [W1, b1, W2, b2, W3, b3];
        const flatGrads = grads.flatMap(([gW, gb]) => [gW.flat(), gb]);
        after.forEach((w, v) =>
          w.forEach((val, k) => expect(Math.abs(val - (before[v][k] - 0.1 * factor * flatGrads[v][k]))).toBeLessThan(1e-6)),
        );
        r.layers.forEach((l, i) => {
          close(l.updateNorm, 0.1 * factor * layerGrad[i], `${l.name} updateNorm`);
          close(l.kernelUpdateNorm, 0.1 * factor * norm(grads[i][0]), `${l.name} kernelUpdateNorm`);
        });
      } finally {
        tr.dispose();
      }
    });
  }
});

describe('an MLP on images', () => {
  test('the first dense layer sees each 16×16 image as one vector of 256 (its fan-in), with or without a residual', async () => {
    for (const residual of [false, true]) {
      const cfg = defaultRunConfig({ data: { name: 'shapes', samples: 64 }, model: { hidden: residual ? [256, 256] : [8, 8], residual }, train: { batchSize: 8, evalEvery: 0 } });
      const tr = new Trainer(cfg);
      try {
        const rs = await tr.runSteps(3);
        expect(rs.every((r) => Number.isFinite(r.loss) && r.status !== 'diverged')).toBe(true);
        expect(tr.model.layers[0].kernel.shape).toEqual([256, residual ? 256 : 8]);
      } finally {
        tr.dispose();
      }
    }
  });
});
