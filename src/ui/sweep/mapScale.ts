/**
 * The stability map's numbers and words: the colour range of the objectives,
 * a trial's goodness within it, short number formats, and the one-line
 * description of a trial (its cell's label, the best trial's line).
 */
import type { SweepConfig } from '../../engine/sweep/schema.ts';
import { formatValue, paramChoice, shortName } from '../../engine/sweep/meta.ts';
import type { TrialResult } from '../../engine/sweep/result.ts';

export interface ColorRange {
  lo: number;
  hi: number;
}

/** The range of finished, finite objectives (over every variant, so maps compare). */
export function colorRange(cfg: SweepConfig, results: readonly TrialResult[]): ColorRange | null {
  const v = results.filter((r) => r.status === 'ok' && Number.isFinite(r.objective)).map((r) => r.objective);
  if (!v.length) return null;
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (cfg.objective === 'final_loss') lo = Math.max(lo, 1e-6);
  if (hi <= lo) hi = lo * 1.0001 + 1e-9;
  return { lo, hi };
}

/** 0 = worst, 1 = best within the range. */
export function goodness(cfg: SweepConfig, range: ColorRange, v: number): number {
  if (cfg.objective === 'final_loss') {
    const t = (Math.log(Math.max(v, range.lo)) - Math.log(range.lo)) / (Math.log(range.hi) - Math.log(range.lo) || 1);
    return 1 - Math.min(1, Math.max(0, t));
  }
  return Math.min(1, Math.max(0, (v - range.lo) / (range.hi - range.lo || 1)));
}

export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

export function paramLabel(path: string): string {
  return paramChoice(path)?.label ?? path;
}

export function describeTrial(cfg: SweepConfig, r: TrialResult): string {
  const params = cfg.params.map((p, k) => `${shortName(p.path)} ${formatValue(r.values[k])}`).join(', ');
  const obj = cfg.objective === 'final_loss' ? 'loss' : 'test acc';
  let what: string;
  switch (r.status) {
    case 'diverged':
      what = `diverged at step ${r.divergedAt} (max ‖g‖ ${fmtNum(r.maxGradNorm)})`;
      break;
    case 'ok':
      what = `${obj} ${fmtNum(r.objective)}, max ‖g‖ ${fmtNum(r.maxGradNorm)}`;
      break;
    default:
      what = `${r.status}: ${r.error ?? ''}`;
  }
  return `#${r.point + 1} ${params}: ${what}`;
}
