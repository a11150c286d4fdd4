/**
 * The one chunked training loop, shared by the worker, the CLI and sweep trials:
 * k steps on the device, one readback, the rows handed to the host, repeat.
 * Divergence is detected here and only here.
 *
 * The chunk size k is either fixed (`chunk`) or adapted so that one readback
 * covers about `targetMs` of work (between 1 and `maxChunk` steps).
 */
import { firstDiverged } from './rows.ts';

/** What the loop needs of a trainer. */
export interface ChunkedTrainer {
  /** Index of the next step. */
  readonly step: number;
  readonly rowLength: number;
  /** Runs k steps and returns their k packed rows, read back at once. */
  runStepsPacked(k: number): Promise<Float32Array>;
}

export interface Chunk {
  rows: Float32Array;
  count: number;
  firstStep: number;
  /** Index in this chunk of the run's first diverged row, -1 if none (or the run had diverged before). */
  divergedIndex: number;
  /** Wall time of the chunk's steps and readback. */
  ms: number;
}

export interface TrainChunksOptions {
  /** Stop once this many steps are done (read before every chunk: may change while training). */
  stopAt: () => number;
  /** Fixed steps per readback; when absent the size adapts to `targetMs`. */
  chunk?: number;
  /** Target wall time of one chunk (default 40 ms) and the largest adaptive chunk (default 64). */
  targetMs?: number;
  maxChunk?: number;
  /** First adaptive chunk (default 4). */
  firstChunk?: number;
  /** Stop after the chunk holding the first diverged step (default true). */
  stopOnDiverge?: boolean;
  /** Checked before every chunk. */
  signal?: { readonly aborted: boolean };
  /**
   * Called with every chunk's rows (awaited: back-pressure); returning false
   * stops the loop after this chunk.
   */
  onChunk: (c: Chunk) => void | boolean | Promise<void | boolean>;
  now?: () => number;
}

export type StopReason = 'done' | 'diverged' | 'aborted' | 'stopped';

export interface TrainChunksResult {
  reason: StopReason;
  /** First diverged step seen by this loop, or null. */
  divergedAt: number | null;
}

/** Next adaptive chunk size: about targetMs of work at the measured pace. */
export function adaptChunk(ms: number, k: number, targetMs: number, maxChunk: number): number {
  const perStep = ms / k;
  return Math.max(1, Math.min(maxChunk, Math.round(targetMs / Math.max(perStep, 0.01))));
}

/** performance.now() where the host has it (browsers, Node), else Date.now(). */
function clock(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}

export async function trainChunks(trainer: ChunkedTrainer, opts: TrainChunksOptions): Promise<TrainChunksResult> {
  const now = opts.now ?? clock;
  const targetMs = opts.targetMs ?? 40;
  const maxChunk = opts.maxChunk ?? 64;
  const stopOnDiverge = opts.stopOnDiverge ?? true;
  let k = opts.chunk ?? opts.firstChunk ?? 4;
  let divergedAt: number | null = null;
  for (;;) {
    const left = opts.stopAt() - trainer.step;
    if (left <= 0) return { reason: 'done', divergedAt };
    if (opts.signal?.aborted) return { reason: 'aborted', divergedAt };
    const n = Math.max(1, Math.min(k, left));
    const firstStep = trainer.step;
    const t0 = now();
    const rows = await trainer.runStepsPacked(n);
    const ms = now() - t0;
    if (opts.chunk === undefined) k = adaptChunk(ms, n, targetMs, maxChunk);
    let divergedIndex = -1;
    if (divergedAt === null) {
      divergedIndex = firstDiverged(rows, n, trainer.rowLength);
      if (divergedIndex >= 0) divergedAt = firstStep + divergedIndex;
    }
    const go = await opts.onChunk({ rows, count: n, firstStep, divergedIndex, ms });
    if (divergedIndex >= 0 && stopOnDiverge) return { reason: 'diverged', divergedAt };
    if (go === false) return { reason: 'stopped', divergedAt };
  }
}
