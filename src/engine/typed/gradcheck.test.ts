/**
 * The typed engine's backward pass against central finite differences, in float64
 * (the net with Float64Array storage and no rounding): the gradient of the mean
 * cross-entropy, and of a regression's mean squared error, with respect to every
 * kind of parameter (kernels, biases, γ, β) and to every layer's output h (the
 * back-propagated signal ∂L/∂h behind actGradNorm), for every activation, without
 * and with batch and layer norm, with and without residual connections, in
 * training mode (batch statistics). The squared error of the finite differences is
 * computed here from its definition, (1/n)·Σ(p − t)², not by loss.ts.
 *
 *   ∂L/∂θ ≈ (L(θ + δ) − L(θ − δ)) / 2δ,  δ = 1e-5: error ~δ²·L‴ + 1e-16·L/δ ≈ 1e-10·max(1, L)
 *
 * A coordinate whose ±δ moves a pre-activation across a kink of its activation
 * (ReLU-like at 0, ReLU6 at 6, SELU's slope at 0) is skipped: there the difference
 * quotient averages two slopes.
 */
import { describe, expect, test } from 'vitest';
import { ACTIVATIONS, NORMS, type Activation, type NormName } from '../meta.ts';
import { makeRng } from '../rng.ts';
import { MlpNet } from './net.ts';
import { crossEntropyRows, meanSquaredErrorRows } from './loss.ts';

const DELTA = 1e-5;
const identity = (x: number) => x;
const KINKED: Activation[] = ['relu', 'leaky_relu', 'relu6', 'selu'];

type Task = 'classification' | 'regression';

interface Case {
  task: Task;
  activation: Activation;
  norm: NormName;
  residual: boolean;
}

const cases: Case[] = (['classification', 'regression'] as const).flatMap((task) =>
  ACTIVATIONS.flatMap((activation) => NORMS.flatMap((norm) => [false, true].map((residual) => ({ task, activation, norm, residual })))),
);

/** The labels of a classification (3 classes) and the targets of a regression (one linear output). */
interface Problem {
  task: Task;
  labels: Int32Array;
  targets: Float64Array;
}

function build(c: Case, seed: number): { net: MlpNet; problem: Problem } {
  const B = 6;
  const outputs = c.task === 'regression' ? 1 : 3;
  const net = new MlpNet({ inputSize: 2, hidden: [5, 5, 4], nClasses: outputs, activation: c.activation, norm: c.norm, residual: c.residual }, B, { float64: true });
  const rng = makeRng(`gradcheck:${seed}`);
  // ReLU6 needs pre-activations beyond 6 to test its upper cut-off
  const scale = c.activation === 'relu6' ? 6 : 1.3;
  for (const v of net.vars) {
    const p = net.params.subarray(v.offset, v.offset + v.size);
    for (let k = 0; k < p.length; k++) {
      if (v.kind === 'kernel') p[k] = (scale * rng.normal()) / Math.sqrt(v.rows);
      else if (v.kind === 'gamma') p[k] = 1 + 0.3 * rng.normal();
      else p[k] = 0.2 * rng.normal();
    }
  }
  for (let i = 0; i < net.x.length; i++) net.x[i] = rng.uniform(-1.5, 1.5);
  const labels = Int32Array.from({ length: B }, () => rng.int(3));
  const targets = Float64Array.from({ length: B }, () => rng.uniform(-2, 2));
  return { net, problem: { task: c.task, labels, targets } };
}

const out = new Float64Array(2);

/** The loss after a forward pass from layer `from` (0: all layers; the number of layers: none, the logits as they are). */
function lossOf(net: MlpNet, problem: Problem, from = 0): number {
  if (from < net.nLayers) net.forwardTrain(from);
  if (problem.task === 'regression') {
    // mean squared error from its definition
    let s = 0;
    for (let b = 0; b < net.batch; b++) s += (net.logits[b] - problem.targets[b]) ** 2;
    return s / net.batch;
  }
  crossEntropyRows(net.logits, problem.labels, 0, net.batch, net.spec.nClasses, null, identity, out);
  return out[0];
}

/** Which side of each kink every pre-activation is on. */
function kinks(net: MlpNet): string {
  if (!KINKED.includes(net.spec.activation)) return '';
  let s = '';
  for (const l of net.layers) if (!l.isOutput) for (const v of l.a) s += v > 0 ? (v > 6 ? '2' : '1') : '0';
  return s;
}

/** Central difference of the loss in one value `arr[k]`, re-running the forward pass from `from`; null across a kink. */
function centralDifference(net: MlpNet, problem: Problem, arr: Float64Array | Float32Array, k: number, from: number): number | null {
  const v = arr[k];
  const base = kinks(net);
  arr[k] = v + DELTA;
  const up = lossOf(net, problem, from);
  const kUp = kinks(net);
  arr[k] = v - DELTA;
  const down = lossOf(net, problem, from);
  const kDown = kinks(net);
  arr[k] = v;
  lossOf(net, problem, from);
  if (kUp !== base || kDown !== base) return null;
  return (up - down) / (2 * DELTA);
}

describe('typed engine backward pass vs float64 finite differences', () => {
  test.each(cases)('$task, $activation, norm $norm, residual $residual', (c) => {
    const { net, problem } = build(c, ACTIVATIONS.indexOf(c.activation) * 10 + NORMS.indexOf(c.norm) * 2 + (c.residual ? 1 : 0) + (c.task === 'regression' ? 1000 : 0));
    // analytic: forward, ∂L/∂logits, backward
    net.forwardTrain();
    const C = net.spec.nClasses;
    const dOut = net.layers[net.nLayers - 1].dh;
    if (c.task === 'regression') {
      meanSquaredErrorRows(net.logits, problem.targets, 0, net.batch, dOut, identity, out);
      // the loss it reports is the definition's, and ∂L/∂p = 2(p − t)/n
      const near = (got: number, want: number) => Math.abs(got - want) <= 1e-12 * Math.abs(want) + 1e-15;
      expect(near(out[0], lossOf(net, problem, net.nLayers)), `loss ${out[0]}`).toBe(true);
      for (let b = 0; b < net.batch; b++) expect(near(dOut[b], (2 * (net.logits[b] - problem.targets[b])) / net.batch), `∂L/∂p[${b}] ${dOut[b]}`).toBe(true);
    } else crossEntropyRows(net.logits, problem.labels, 0, net.batch, C, dOut, identity, out);
    net.backward();
    const grads = Float64Array.from(net.grads);
    // the difference quotient's rounding error, ~1e-16·L/δ: 1e-9 for a loss near 1 (cross-entropy),
    // more for a regression whose squared error is in the hundreds (ReLU6's large outputs)
    const floor = 1e-9 * Math.max(1, lossOf(net, problem, net.nLayers));
    const dh = net.layers.map((l) => Float64Array.from(l.dh));

    const bad: string[] = [];
    let checked = 0;
    let skipped = 0;
    const compare = (what: string, analytic: number, fd: number | null) => {
      if (fd === null) {
        skipped++;
        return;
      }
      checked++;
      if (!(Math.abs(analytic - fd) <= 1e-6 * (Math.abs(analytic) + Math.abs(fd)) + floor)) bad.push(`${what}: analytic ${analytic} vs finite difference ${fd}`);
    };
    // every parameter
    for (const v of net.vars) {
      for (let k = v.offset; k < v.offset + v.size; k++) compare(`layer ${v.layer} ${v.kind}[${k - v.offset}]`, grads[k], centralDifference(net, problem, net.params, k, 0));
    }
    // every layer's output h (the logits for the output layer)
    net.layers.forEach((layer, l) => {
      for (let k = 0; k < layer.h.length; k++) compare(`∂L/∂h of layer ${l} [${k}]`, dh[l][k], centralDifference(net, problem, layer.h, k, l + 1));
    });
    expect(bad).toEqual([]);
    expect(skipped).toBeLessThan(checked / 20);
    // the residual path is taken where the widths match (5 → 5)
    expect(net.layers[1].residual).toBe(c.residual);
  });
});
