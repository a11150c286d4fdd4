/**
 * The tfjs engine's per-unit snapshot (see unitSnapshot.ts): one tidy with the
 * training-mode forward and backward pass over the fixed batch (the activation
 * probes give ∂L/∂h), the drawn units' values gathered on the device, and one
 * data() read of them all. The weights and optimizer state are not touched.
 */
import * as tf from './tf.ts';
import type { RunConfig } from './config.ts';
import { gridPoints, type TaskKind } from './data/datasets.ts';
import { forward, type Model } from './model.ts';
import { gradients } from './trainerStep.ts';
import { MAX_FILTERS, PLANE_HI, PLANE_LO, PLANE_N, representativeUnits, type LayerUnits, type UnitSnapshot, type UpdateTracker } from './unitSnapshot.ts';

export interface TfSnapshotInputs {
  model: Model;
  probes: tf.Variable[];
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  labelsTrain: tf.Tensor1D;
  batch: number;
  /** The loss: cross-entropy for classification, mean squared error for regression. */
  task: TaskKind;
  cfg: RunConfig;
  step: number;
  names: readonly string[];
  tracker: UpdateTracker;
  /** Conv kernels at the previous snapshot (for ‖ΔW_f‖), replaced by this one's. */
  prevKernels: Map<number, { step: number; kernel: tf.Tensor }>;
}

interface Part {
  layer: number;
  key: 'signal' | 'dead' | 'weight' | 'grad' | 'filterW' | 'filterG' | 'filterU' | 'plane';
  size: number;
}

export async function tfUnitSnapshot(s: TfSnapshotInputs): Promise<UnitSnapshot> {
  const { model, probes, batch: B, cfg, step } = s;
  const inputSize = model.inputShape.reduce((a, b) => a * b, 1);
  const inputDrawn = representativeUnits(inputSize);
  const drawnOf = model.layers.map((l) => representativeUnits(l.units, l.kind === 'conv' ? MAX_FILTERS : undefined));
  const plane = inputSize === 2;
  const parts: Part[] = [];
  const nextKernels = new Map<number, tf.Tensor>();
  const filterSteps = new Map<number, number>();
  const flat = tf.tidy(() => {
    const out: tf.Tensor[] = [];
    const push = (layer: number, key: Part['key'], t: tf.Tensor) => {
      out.push(tf.reshape(t, [-1]));
      parts.push({ layer, key, size: t.size });
    };
    const xb = tf.slice(s.xTrain, 0, B);
    const yb = tf.slice(s.yTrain, 0, B);
    const labels = tf.slice(s.labelsTrain, 0, B);
    const outputs: tf.Tensor[] = [];
    const g = gradients(model, probes, xb, yb, labels, cfg.stabilizers.l1, cfg.stabilizers.l2, s.task, outputs);
    try {
      const grads = g.result.grads;
      model.layers.forEach((layer, li) => {
        const drawn = tf.tensor1d(drawnOf[li], 'int32');
        const dh = grads[probes[li].name] ?? tf.zerosLike(probes[li]);
        const h = outputs[li];
        const conv = layer.kind === 'conv';
        const axes = conv ? [0, 1, 2] : [0];
        push(li, 'signal', tf.gather(tf.sqrt(tf.div(tf.sum(tf.square(dh), axes), B)), drawn));
        // The largest |h| of each unit over the batch (0: dead); compared in JS (bool tensors are not gathered on every backend).
        push(li, 'dead', tf.gather(tf.max(tf.abs(h), axes), drawn));
        const kernel = layer.kernel as tf.Tensor;
        const gk = grads[layer.kernel.name] ?? tf.zerosLike(kernel);
        if (conv) {
          const norm = (t: tf.Tensor) => tf.gather(tf.sqrt(tf.sum(tf.square(t), [0, 1, 2])), drawn);
          push(li, 'filterW', norm(kernel));
          push(li, 'filterG', norm(gk));
          const prev = s.prevKernels.get(li);
          if (prev && prev.step < step && prev.kernel.shape.join() === kernel.shape.join()) {
            filterSteps.set(li, step - prev.step);
            push(li, 'filterU', tf.div(norm(tf.sub(kernel, prev.kernel)), step - prev.step));
          }
          if (!prev || prev.step !== step) nextKernels.set(li, tf.keep(tf.clone(kernel)));
          return;
        }
        const prevLayer = li > 0 ? model.layers[li - 1] : null;
        const rows = tf.tensor1d(li === 0 ? inputDrawn : drawnOf[li - 1], 'int32');
        const edges = (t: tf.Tensor) => {
          let k = t;
          if (prevLayer?.kind === 'conv') {
            // A CNN's head: the flattened input is positions × filters; sum each filter's positions.
            const F = prevLayer.units;
            k = tf.sum(tf.reshape(t, [-1, F, layer.units]), 0);
          }
          return tf.gather(tf.gather(k, rows, 0), drawn, 1);
        };
        push(li, 'weight', edges(kernel));
        push(li, 'grad', edges(gk));
      });
      if (plane) {
        const outs: tf.Tensor[] = [];
        forward(model, tf.tensor2d(gridPoints(PLANE_N, PLANE_LO, PLANE_HI), [PLANE_N * PLANE_N, 2]), { training: false, outputs: outs });
        model.layers.forEach((layer, li) => {
          if (layer.isOutput) return;
          push(li, 'plane', tf.transpose(tf.gather(outs[li], tf.tensor1d(drawnOf[li], 'int32'), 1)));
        });
      }
      return tf.concat(out);
    } finally {
      for (const t of g.kept) t.dispose();
    }
  });
  let values: Float32Array;
  try {
    values = (await flat.data()) as Float32Array;
  } finally {
    flat.dispose();
  }
  for (const [li, k] of nextKernels) {
    s.prevKernels.get(li)?.kernel.dispose();
    s.prevKernels.set(li, { step, kernel: k });
  }

  const layers: LayerUnits[] = model.layers.map((l, li) => ({
    name: s.names[li],
    kind: l.kind,
    units: l.units,
    drawn: drawnOf[li],
    signal: new Float32Array(0),
    dead: new Uint8Array(0),
    weight: null,
    grad: null,
    update: null,
    filterW: null,
    filterG: null,
    filterU: null,
    plane: null,
  }));
  let at = 0;
  for (const p of parts) {
    const v = values.slice(at, at + p.size);
    at += p.size;
    const l = layers[p.layer];
    if (p.key === 'dead') l.dead = Uint8Array.from(v, (m) => (m === 0 ? 1 : 0));
    else l[p.key] = v;
  }
  for (const [li, l] of layers.entries()) {
    if (l.weight) l.update = s.tracker.update(`w${li}`, step, l.weight);
    if (l.kind === 'conv' && !l.filterU) l.filterU = new Float32Array(l.drawn.length);
    if (filterSteps.has(li)) s.tracker.steps = filterSteps.get(li)!;
  }
  return { step, updateSteps: s.tracker.steps, batch: B, input: { size: inputSize, drawn: inputDrawn, image: model.inputShape.length > 1 }, layers };
}
