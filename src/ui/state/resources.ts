/**
 * The runs' resource verdicts for the run controller (controller.ts): whether a
 * run's config is built at all, estimated before anything is allocated, and the
 * configs whose refusal the user overrode ("Build it anyway").
 */
import type { Experiment, RunConfig } from '../../engine/config.ts';
import { estimateExperiment, resourceVerdict, type Verdict } from '../../engine/estimate.ts';
import type { RunRuntime } from './runtime.ts';

export class ResourceVerdicts {
  /** Configs whose resource warning the user overrode ("Build it anyway"); an edit makes a new config. */
  private readonly forced = new WeakSet<RunConfig>();

  /**
   * The resource verdict of run i, estimated before anything is allocated: on
   * runs 0..i together, so the run that would push the experiment past what a
   * tab can hold is the one refused.
   */
  of(exp: Experiment, i: number): Verdict {
    const cfg = exp.runs[i];
    if (!cfg) return { level: 'ok', message: '' };
    return resourceVerdict(estimateExperiment({ ...exp, runs: exp.runs.slice(0, i + 1) }), { force: this.forced.has(cfg) });
  }

  /** The user overrode the refusal of `cfg`: it is built anyway. */
  force(cfg: RunConfig): void {
    this.forced.add(cfg);
  }
}

/** What a refused run shows: nothing is allocated, and why. */
export function refusal(v: Verdict): Partial<RunRuntime> {
  return { error: { kind: 'resources', message: `Not built: ${v.message}.`, recoverable: true } };
}
