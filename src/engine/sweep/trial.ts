/**
 * One sweep trial: train the trial's run config and boil it down to a few numbers.
 *
 *  objective    final_loss: the held-out loss at the last step (the mean training
 *               loss over the last 10% of the steps when there is no test split);
 *               test_acc: the held-out accuracy there (else the training accuracy).
 *               A diverged trial scores the worst value: Infinity for a loss, 0 for
 *               an accuracy.
 *  divergedAt   the first step whose loss or gradient norm was NaN/Inf; training
 *               stops there (`stepsRun` = divergedAt + 1).
 *  maxGradNorm  the largest global gradient norm over the steps before divergence.
 *
 * The outcome does not depend on how the steps are split into readbacks.
 */
import { head, isEvaluated } from '../rows.ts';
import { trainChunks } from '../loop.ts';
import { createTrainer } from '../train.ts';
import type { RunTrainer } from '../runTrainer.ts';
import type { TrialSpec } from './planner.ts';
import { baseResult, failedResult, worstObjective, type TrialResult } from './result.ts';

export type { TrialResult } from './result.ts';

export interface RunTrialOptions {
  /** Steps per readback (default 25). */
  chunk?: number;
  signal?: { readonly aborted: boolean };
  /** Called after each readback with the number of steps done. */
  onProgress?: (stepsDone: number) => void;
}

/** Trains one trial. Never throws for a bad config or a failing step: the result says so. */
export async function runTrial(spec: TrialSpec, opts: RunTrialOptions = {}): Promise<TrialResult> {
  const t0 = Date.now();
  if (!spec.config) return failedResult(spec, 'invalid', spec.errors?.join('; ') ?? 'invalid trial config');
  const cfg = spec.config;
  const steps = cfg.train.steps;
  const chunk = Math.max(1, opts.chunk ?? 25);
  const tail = Math.max(1, Math.floor(steps / 10));
  let trainer: RunTrainer | null = null;
  try {
    // The engine that suits the trial (the typed engine for small MLPs): same records.
    trainer = createTrainer(cfg);
    const rl = trainer.rowLength;
    const hasTest = trainer.data.nTest > 0;
    let maxGradNorm = 0;
    let divergedAt: number | null = null;
    let tailLoss = 0;
    let tailAcc = 0;
    let tailCount = 0;
    let testLoss = NaN;
    let testAcc = NaN;
    const t = trainer;
    const end = await trainChunks(t, {
      stopAt: () => steps,
      chunk,
      signal: opts.signal,
      onChunk: ({ rows, count, firstStep, divergedIndex }) => {
        // Rows up to (not including) the first diverged one count.
        const n = divergedIndex >= 0 ? divergedIndex : count;
        for (let i = 0; i < n; i++) {
          const off = i * rl;
          const step = firstStep + i;
          const g = head(rows, 'gradNorm', off);
          if (g > maxGradNorm) maxGradNorm = g;
          if (step >= steps - tail) {
            tailLoss += head(rows, 'loss', off);
            tailAcc += head(rows, 'acc', off);
            tailCount++;
          }
          if (isEvaluated(rows, off)) {
            testLoss = head(rows, 'testLoss', off);
            testAcc = head(rows, 'testAcc', off);
          }
        }
        if (divergedIndex < 0) opts.onProgress?.(t.step);
      },
    });
    if (end.reason === 'aborted') return failedResult(spec, 'cancelled', 'cancelled', Date.now() - t0);
    divergedAt = end.divergedAt;
    const trainLoss = tailCount ? tailLoss / tailCount : NaN;
    const trainAcc = tailCount ? tailAcc / tailCount : NaN;
    let finalLoss = hasTest ? testLoss : trainLoss;
    const acc = hasTest ? testAcc : trainAcc;
    // A held-out loss that overflowed although every step was finite: diverged at the end.
    if (divergedAt === null && !Number.isFinite(finalLoss)) divergedAt = steps - 1;
    const diverged = divergedAt !== null;
    if (diverged) finalLoss = Infinity;
    const objective = diverged ? worstObjective(spec.objective) : spec.objective === 'final_loss' ? finalLoss : acc;
    return {
      ...baseResult(spec),
      objective,
      status: diverged ? 'diverged' : 'ok',
      diverged,
      divergedAt,
      finalLoss,
      testAcc: diverged || !hasTest ? null : testAcc,
      trainLoss,
      trainAcc,
      maxGradNorm,
      stepsRun: diverged ? divergedAt! + 1 : steps,
      ms: Date.now() - t0,
    };
  } catch (e) {
    return failedResult(spec, 'error', `training failed: ${e instanceof Error ? e.message : String(e)}`, Date.now() - t0);
  } finally {
    trainer?.dispose();
  }
}
