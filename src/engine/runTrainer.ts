/**
 * What every training engine offers its hosts (the worker's session, the CLI,
 * sweep trials, the backend measurement): k steps at a time as packed rows
 * (rows.ts), their records, and the few views the page draws. The tfjs engine
 * (trainer.ts) and the typed engine (typed/trainer.ts) implement it; hosts depend
 * on this interface only (createTrainer in train.ts builds either).
 */
import type { RunConfig } from './config.ts';
import type { Dataset } from './data/datasets.ts';
import type { ChunkedTrainer } from './loop.ts';
import type { StepRecord } from './records.ts';
import { decodeRows, type RowMeta } from './rows.ts';
import type { UnitSnapshot } from './unitSnapshot.ts';

export type EngineName = 'tfjs' | 'typed';

export interface RunTrainer extends ChunkedTrainer {
  readonly engine: EngineName;
  readonly cfg: RunConfig;
  readonly run: number;
  readonly data: Dataset;
  /** Layer names in record order (input → output). */
  readonly layerNames: string[];
  readonly nLayers: number;
  readonly paramCount: number;
  /** Applies hyper-parameter changes that need no rebuild; false when a new model is needed. */
  updateConfig(cfg: RunConfig): boolean;
  /** Learning rate used at a step (schedule and warm-up). */
  lrAt(step: number): number;
  /** Contract records of packed rows from this trainer. */
  decode(rows: Float32Array, count?: number): StepRecord[];
  runSteps(k: number): Promise<StepRecord[]>;
  /** Class-1 probability on an n×n grid over [lo, hi]² (2-D data sets), row-major from (lo, lo). */
  predictGrid(n: number, lo?: number, hi?: number): Promise<Float32Array>;
  /**
   * Per-unit signals, edges and filter norms at the current weights on a fixed
   * batch, for the network view (unitSnapshot.ts); does not change training.
   */
  unitSnapshot(): Promise<UnitSnapshot>;
  /** Current values of every trainable variable, in the tfjs engine's variable order (for tests). */
  snapshot(): Promise<Float32Array[]>;
  dispose(): void;
}

/** Contract records of packed rows, each naming the engine that trained it. */
export function decodeEngineRows(rows: Float32Array, count: number, meta: RowMeta, engine: EngineName): StepRecord[] {
  const out = decodeRows(rows, count, meta);
  for (const r of out) r.engine = engine;
  return out;
}

/** Whether a step evaluates on the held-out set: every `train.evalEvery` steps and the last step (both engines). */
export function isEvalStep(cfg: RunConfig, step: number, nTest: number): boolean {
  if (nTest === 0) return false;
  const every = cfg.train.evalEvery;
  return (every > 0 && step % every === 0) || step === cfg.train.steps - 1;
}
