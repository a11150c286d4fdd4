/**
 * A finished trial, how it scores, and the result of a trial that could not train.
 * No TensorFlow.js here: the page's main thread and the CLI's scheduler use it.
 */
import type { RunConfig } from '../config.ts';
import type { Objective } from './schema.ts';
import type { ChosenBy, TrialSpec } from './planner.ts';

export type TrialStatus = 'ok' | 'diverged' | 'invalid' | 'error' | 'cancelled';

export interface TrialResult {
  type: 'trial';
  index: number;
  point: number;
  variant: number;
  variantLabel: string;
  params: Record<string, number>;
  values: number[];
  /** The point in the unit cube (log-scaled where the scale is log). */
  unit: number[];
  cell?: number[];
  chosenBy: ChosenBy;
  round: number;
  objectiveName: Objective;
  /** The objective; the worst value when diverged; NaN when the trial did not run (invalid, error). */
  objective: number;
  status: TrialStatus;
  diverged: boolean;
  divergedAt: number | null;
  finalLoss: number;
  /** Held-out accuracy at the last step (null without a test split or when diverged). */
  testAcc: number | null;
  /** Mean training loss / accuracy over the last 10% of the steps run before divergence. */
  trainLoss: number;
  trainAcc: number;
  maxGradNorm: number;
  stepsRun: number;
  ms: number;
  config: RunConfig | null;
  error?: string;
}

export function worstObjective(o: Objective): number {
  return o === 'final_loss' ? Infinity : 0;
}

/**
 * The score the planner models (lower is better): log loss, or minus the accuracy; NaN
 * for a trial without a usable result. The best trial is chosen by `better`, not by this.
 */
export function scoreOf(r: Pick<TrialResult, 'objective' | 'objectiveName' | 'status'>): number {
  if (r.status !== 'ok' || !Number.isFinite(r.objective)) return NaN;
  return r.objectiveName === 'final_loss' ? Math.log(Math.max(r.objective, 1e-12)) : -r.objective;
}

/** Whether a trial can be the best one: it trained to the end without diverging and has a number to compare. */
function eligible(r: TrialResult): boolean {
  return r.status === 'ok' && Number.isFinite(r.objective);
}

/**
 * The best-trial rule, the one rule of the summary, the CLI's progress line and the
 * page: true when `a` is better than `b` (the best so far, null for none).
 *  - Only a trial with status ok and a finite objective can be best: a diverged,
 *    invalid, failed or cancelled trial never is, nor an ok one whose objective is NaN.
 *  - The lower final loss or the higher accuracy wins, compared exactly (not on the
 *    planner's log scale, which cannot tell losses under 1e-12 apart).
 *  - On equal objectives the lower trial index wins, so the best trial does not depend
 *    on the order in which the trials finish.
 */
export function better(a: TrialResult, b: TrialResult | null): boolean {
  if (!eligible(a)) return false;
  if (!b || !eligible(b)) return true;
  if (a.objective !== b.objective) return a.objectiveName === 'final_loss' ? a.objective < b.objective : a.objective > b.objective;
  return a.index < b.index;
}

/** The best of `results` by the rule of `better` (null when none can be best). */
export function bestTrial(results: Iterable<TrialResult>): TrialResult | null {
  let best: TrialResult | null = null;
  for (const r of results) if (better(r, best)) best = r;
  return best;
}

export function baseResult(spec: TrialSpec): Omit<TrialResult, 'objective' | 'status' | 'diverged' | 'divergedAt' | 'finalLoss' | 'testAcc' | 'trainLoss' | 'trainAcc' | 'maxGradNorm' | 'stepsRun' | 'ms'> {
  return {
    type: 'trial',
    index: spec.index,
    point: spec.point,
    variant: spec.variant,
    variantLabel: spec.variantLabel,
    params: spec.params,
    values: spec.values,
    unit: spec.unit,
    ...(spec.cell ? { cell: spec.cell } : {}),
    chosenBy: spec.chosenBy,
    round: spec.round,
    objectiveName: spec.objective,
    config: spec.config,
  };
}

/** A trial that did not train: invalid config, a crashed worker, or cancelled before it ran. */
export function failedResult(spec: TrialSpec, status: 'invalid' | 'error' | 'cancelled', message: string, ms = 0): TrialResult {
  return {
    ...baseResult(spec),
    objective: NaN,
    status,
    diverged: false,
    divergedAt: null,
    finalLoss: NaN,
    testAcc: null,
    trainLoss: NaN,
    trainAcc: NaN,
    maxGradNorm: NaN,
    stepsRun: 0,
    ms,
    error: message,
  };
}

