/**
 * Messages between the page and a sweep worker (src/worker/sweepWorker.ts).
 * A sweep worker trains whole trials, one at a time, and posts each result;
 * the page runs a pool of them. Cancelling terminates the workers, so there is
 * no cancel message.
 */
import type { TrialSpec } from '../engine/sweep/planner.ts';
import type { TrialResult } from '../engine/sweep/result.ts';
import type { BackendName } from './protocol.ts';

// ---------------------------------------------------------------- page → worker

export interface SweepInitMsg {
  type: 'init';
  /** The sweep's model kind: MLP trials prefer wasm; the wasm backend cannot train conv nets. */
  arch: 'mlp' | 'cnn';
  /** Force a backend ('auto': wasm for MLPs, the usual order without wasm for CNNs). */
  backend: BackendName | 'auto';
}

export interface SweepTrialMsg {
  type: 'trial';
  spec: TrialSpec;
}

export type ToSweepWorker = SweepInitMsg | SweepTrialMsg;

// ---------------------------------------------------------------- worker → page

export interface SweepReadyMsg {
  type: 'ready';
  backend: BackendName;
  /** Why the preferred backend was not used ('' when it was). */
  fallbackReason: string;
}

/** Steps done of the trial in progress (at most a few per second). */
export interface SweepProgressMsg {
  type: 'progress';
  index: number;
  step: number;
}

export interface SweepResultMsg {
  type: 'result';
  result: TrialResult;
}

/** The worker cannot train at all (no backend). */
export interface SweepFatalMsg {
  type: 'fatal';
  message: string;
}

export type FromSweepWorker = SweepReadyMsg | SweepProgressMsg | SweepResultMsg | SweepFatalMsg;
