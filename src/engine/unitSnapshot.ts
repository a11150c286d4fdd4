/**
 * Per-unit pictures of a net for the network view: for each layer, the batch RMS
 * of the back-propagated signal ∂L/∂h of each drawn unit, which units are dead
 * (output 0 for every example), the drawn edges' weight W, gradient ∂L/∂W and
 * update ΔW, per-filter norms of conv layers and, for 2-D data sets, each drawn
 * unit's output over the input plane.
 *
 * Both engines compute it the same way (typed/unitSnapshot.ts, unitSnapshotTf.ts):
 * one forward and backward pass at the current weights on a fixed batch (the
 * first `batch` training examples), outside the training step, so that training
 * is not changed by it; the update is the change of the weights since the
 * previous snapshot divided by the steps in between (one step when taken step by
 * step), the optimizer's average step over that time.
 *
 * With a mean loss over B examples, ∂L/∂h_{b,j} carries the 1/B, and
 *   signal_j = √(Σ_b (∂L/∂h_{b,j})² / B),   Σ_j signal_j² · B = ‖∂L/∂h‖²
 * (actGradNorm of a step on the same batch and weights, rows.ts), over all units
 * of the layer: drawn units are a subset of them.
 */

/** Units drawn per layer at most (a wider layer draws this many, evenly spread). */
export const MAX_DRAWN = 16;
/** Filters of a conv layer drawn at most (as a strip of cells). */
export const MAX_FILTERS = 128;
/** Resolution of a unit's output over the input plane (PLANE_N × PLANE_N points over [-1.5, 1.5]²). */
export const PLANE_N = 12;
export const PLANE_LO = -1.5;
export const PLANE_HI = 1.5;

export type EdgeQuantity = 'weight' | 'grad' | 'update';

export interface LayerUnits {
  name: string;
  kind: 'dense' | 'conv';
  /** Units (filters for conv) of the layer. */
  units: number;
  /** Indices of the drawn units, ascending. */
  drawn: number[];
  /** Batch RMS of ∂L/∂h per drawn unit (conv: per filter, over the batch and every position). */
  signal: Float32Array;
  /** 1 where a drawn unit's output is 0 for every example of the batch (a dead ReLU). */
  dead: Uint8Array;
  /**
   * Edges from the previous column's drawn units to this layer's, [prev drawn × drawn]
   * row-major: the kernel entry, its gradient and its update. Null for a conv layer.
   * After a conv layer (a CNN's dense head), an edge joins a filter to a unit and
   * holds the sum over the filter's positions.
   */
  weight: Float32Array | null;
  grad: Float32Array | null;
  update: Float32Array | null;
  /** Conv layers: per drawn filter ‖W_f‖, ‖∂L/∂W_f‖, ‖ΔW_f‖ (over the filter's 3×3×C kernel). */
  filterW: Float32Array | null;
  filterG: Float32Array | null;
  filterU: Float32Array | null;
  /** 2-D data sets, hidden layers: each drawn unit's output on the plane grid, [drawn × PLANE_N²], row-major from (lo, lo). */
  plane: Float32Array | null;
}

export interface UnitSnapshot {
  /** The step whose weights these are (updates applied before it). */
  step: number;
  /** Steps the update is averaged over (0: no update yet). */
  updateSteps: number;
  /** Examples of the fixed batch. */
  batch: number;
  input: { size: number; drawn: number[]; image: boolean };
  layers: LayerUnits[];
}

/**
 * `max` representative indices of n units, evenly spread and always including
 * the first and the last (all of them when n ≤ max); the same for every step.
 */
export function representativeUnits(n: number, max = MAX_DRAWN): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  if (max <= 1) return [0];
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return out;
}

/**
 * Tracks the weights seen at the previous snapshot, to give the update as the
 * change since then per step. `key` names an array (a layer's edges, its filter
 * norms); the first call for a key and a call at the same step give zeros.
 */
export class UpdateTracker {
  private prev = new Map<string, { step: number; values: Float32Array; update: Float32Array }>();
  steps = 0;

  /** ΔW per step of `values` (taken at `step`) since the previous call for the key. */
  update(key: string, step: number, values: Float32Array): Float32Array {
    const p = this.prev.get(key);
    if (p && p.step === step && p.values.length === values.length) return p.update;
    const out = new Float32Array(values.length);
    if (p && p.values.length === values.length && step > p.step) {
      const k = step - p.step;
      for (let i = 0; i < values.length; i++) out[i] = (values[i] - p.values[i]) / k;
      this.steps = k;
    }
    this.prev.set(key, { step, values: Float32Array.from(values), update: out });
    return out;
  }
}
