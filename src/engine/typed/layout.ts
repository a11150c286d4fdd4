/**
 * The typed net's shapes: its storage arrays and rounding, its spec, the layout of
 * its trainable variables and the buffers of each layer (net.ts builds them).
 */
import type { Activation, NormName } from '../meta.ts';

export type Arr = Float32Array | Float64Array;
/** Math.fround (float32 storage) or the identity (float64, `noRound`). */
export type Round = (x: number) => number;

export const noRound: Round = (x) => x;

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
  /** Receives each hidden layer's output h of the chunk ([count × units], valid during the call only). */
  layer?(index: number, h: Arr, start: number, count: number): void;
}
