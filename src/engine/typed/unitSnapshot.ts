/**
 * The typed engine's per-unit snapshot (see ../unitSnapshot.ts): one forward and
 * backward pass over the fixed batch at the current weights, in the net's own
 * buffers (every training step rewrites them all, so training is unchanged),
 * and the unit outputs over the input plane from an inference pass. The loss is
 * the training step's: cross-entropy, or a regression's mean squared error.
 */
import type { RunConfig } from '../config.ts';
import { gridPoints, type Dataset } from '../data/datasets.ts';
import { PLANE_HI, PLANE_LO, PLANE_N, representativeUnits, type LayerUnits, type UnitSnapshot, type UpdateTracker } from '../unitSnapshot.ts';
import { addPenalties, crossEntropyRows, meanSquaredErrorRows } from './loss.ts';
import type { MlpNet } from './net.ts';

const f = Math.fround;

export function typedUnitSnapshot(net: MlpNet, data: Dataset, cfg: RunConfig, step: number, names: readonly string[], tracker: UpdateTracker): UnitSnapshot {
  const B = net.batch;
  const D = data.inputSize;
  const C = data.nClasses;
  net.x.set(data.xTrain.subarray(0, B * D));
  const labels = data.yTrain.subarray(0, B);
  net.forwardTrain();
  const L = net.layers.length;
  const ce = new Float64Array(2);
  if (data.task === 'regression') meanSquaredErrorRows(net.logits, data.tTrain, 0, B, net.layers[L - 1].dh, f, ce);
  else crossEntropyRows(net.logits, labels, 0, B, C, net.layers[L - 1].dh, f, ce);
  net.backward();
  const { l1, l2 } = cfg.stabilizers;
  if (l1 > 0 || l2 > 0) addPenalties(net.layers, l1, l2, ce[0], new Float64Array(2));

  const inputDrawn = representativeUnits(D);
  const layers: LayerUnits[] = [];
  let prev = inputDrawn;
  for (const layer of net.layers) {
    const U = layer.units;
    const drawn = representativeUnits(U);
    const nd = drawn.length;
    const signal = new Float32Array(nd);
    const dead = new Uint8Array(nd);
    drawn.forEach((j, k) => {
      let s = 0;
      let alive = false;
      for (let b = 0; b < B; b++) {
        const g = layer.dh[b * U + j];
        s += g * g;
        if (layer.h[b * U + j] !== 0) alive = true;
      }
      signal[k] = Math.sqrt(s / B);
      dead[k] = layer.isOutput || alive ? 0 : 1;
    });
    const np = prev.length;
    const weight = new Float32Array(np * nd);
    const grad = new Float32Array(np * nd);
    for (let i = 0; i < np; i++)
      for (let k = 0; k < nd; k++) {
        const at = prev[i] * U + drawn[k];
        weight[i * nd + k] = layer.kernel[at];
        grad[i * nd + k] = layer.gKernel[at];
      }
    layers.push({
      name: names[layer.index],
      kind: 'dense',
      units: U,
      drawn,
      signal,
      dead,
      weight,
      grad,
      update: tracker.update(`w${layer.index}`, step, weight),
      filterW: null,
      filterG: null,
      filterU: null,
      plane: null,
    });
    prev = drawn;
  }

  if (D === 2) {
    const P = PLANE_N * PLANE_N;
    for (const l of layers.slice(0, -1)) l.plane = new Float32Array(l.drawn.length * P);
    net.infer(gridPoints(PLANE_N, PLANE_LO, PLANE_HI), P, {
      take() {},
      layer(index, h, start, count) {
        const l = layers[index];
        const U = l.units;
        l.drawn.forEach((j, k) => {
          for (let b = 0; b < count; b++) l.plane![k * P + start + b] = h[b * U + j];
        });
      },
    });
  }
  return { step, updateSteps: tracker.steps, batch: B, input: { size: D, drawn: inputDrawn, image: data.inputShape.length > 1 }, layers };
}
