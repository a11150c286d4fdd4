/**
 * Runs a sweep over any executor: the CLI's worker threads, the page's Web
 * Workers, or `runTrial` in-process (tests). Keeps up to `concurrency` trials in
 * flight, feeds results back to the planner (the Bayesian search needs them), and
 * reports each finished trial through a callback.
 */
import { SweepPlanner, type TrialSpec } from './planner.ts';
import { variants, type SweepConfig } from './schema.ts';
import { bestTrial, failedResult, scoreOf, type TrialResult } from './result.ts';

export type TrialExecutor = (spec: TrialSpec) => Promise<TrialResult>;

export interface RunSweepOptions {
  /** Trials in flight at once (default 1). */
  concurrency?: number;
  signal?: { readonly aborted: boolean };
  onStart?: (spec: TrialSpec) => void;
  onTrial?: (r: TrialResult, done: number, total: number) => void;
}

export interface SweepSummary {
  type: 'summary';
  method: SweepConfig['method'];
  objective: SweepConfig['objective'];
  /** Trials planned (points × variants) and finished. */
  trials: number;
  finished: number;
  diverged: number;
  invalid: number;
  errors: number;
  cancelled: boolean;
  /** The best trial of the base variant (null when none finished without diverging). */
  best: TrialResult | null;
  /** Per variant: its label, best trial, and how many of its trials diverged. */
  variants: { label: string; best: TrialResult | null; trials: number; diverged: number }[];
  ms: number;
}

export function summarize(cfg: SweepConfig, results: readonly TrialResult[], planned: number, ms: number, cancelled = false): SweepSummary {
  const labels = variants(cfg).map((v) => v.label);
  const perVariant = labels.map((label, v) => {
    const rs = results.filter((r) => r.variant === v);
    return { label, best: bestTrial(rs), trials: rs.length, diverged: rs.filter((r) => r.diverged).length };
  });
  return {
    type: 'summary',
    method: cfg.method,
    objective: cfg.objective,
    trials: planned,
    finished: results.filter((r) => r.status !== 'cancelled').length,
    diverged: results.filter((r) => r.diverged).length,
    invalid: results.filter((r) => r.status === 'invalid').length,
    errors: results.filter((r) => r.status === 'error').length,
    cancelled,
    best: perVariant[0].best,
    variants: perVariant,
    ms,
  };
}

/** Runs every trial of the sweep; resolves with every result (in the order they finished) and a summary. */
export async function runSweep(
  cfg: SweepConfig,
  execute: TrialExecutor,
  opts: RunSweepOptions = {},
): Promise<{ results: TrialResult[]; summary: SweepSummary }> {
  const t0 = Date.now();
  const planner = new SweepPlanner(cfg);
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
  const results: TrialResult[] = [];
  const inFlight = new Map<number, Promise<void>>();
  let exhausted = false;

  const finish = (r: TrialResult) => {
    results.push(r);
    planner.report({ index: r.index, point: r.point, variant: r.variant, score: scoreOf(r) });
    opts.onTrial?.(r, results.length, planner.total);
  };

  const launch = (spec: TrialSpec) => {
    opts.onStart?.(spec);
    const job = (spec.config ? execute(spec) : Promise.resolve(failedResult(spec, 'invalid', spec.errors?.join('; ') ?? 'invalid trial config')))
      .catch((e: unknown) => failedResult(spec, opts.signal?.aborted ? 'cancelled' : 'error', e instanceof Error ? e.message : String(e)))
      .then((r) => {
        inFlight.delete(spec.index);
        if (r.status === 'cancelled' && !opts.signal?.aborted) r = { ...r, status: 'error' };
        if (r.status !== 'cancelled') finish(r);
      });
    inFlight.set(spec.index, job);
  };

  while (!opts.signal?.aborted) {
    while (!exhausted && inFlight.size < concurrency && !opts.signal?.aborted) {
      const next = planner.next();
      if (next === null) exhausted = true;
      else if (next === 'wait') break;
      else launch(next);
    }
    if (inFlight.size === 0) {
      if (exhausted) break;
      // 'wait' with nothing in flight cannot happen (results arrive synchronously in finish()).
      throw new Error('sweep planner is waiting for results but no trial is running');
    }
    await Promise.race(inFlight.values());
  }
  if (inFlight.size) await Promise.all(inFlight.values());
  const summary = summarize(cfg, results, planner.total, Date.now() - t0, !!opts.signal?.aborted);
  return { results, summary };
}
