/**
 * The parameter space of a sweep: the grid values along each parameter, and the
 * unit cube [0, 1]^n (log-scaled where the scale is log) in which the random and
 * Bayesian searches draw their points.
 */
import type { SweepConfig, SweepParam } from './schema.ts';

/** The grid values of one parameter (integers rounded, duplicates dropped). */
export function gridValues(p: SweepParam): number[] {
  if (p.scale === 'list') return p.values!.slice();
  const out: number[] = [];
  for (let i = 0; i < p.steps; i++) {
    const u = p.steps === 1 ? 0.5 : i / (p.steps - 1);
    out.push(fromUnit(p, u));
  }
  return [...new Set(out)];
}

export function gridSize(cfg: Pick<SweepConfig, 'params'>): number {
  return cfg.params.reduce((n, p) => n * gridValues(p).length, 1);
}

/** Unit coordinate u ∈ [0, 1] → parameter value (log scale: geometric; integers rounded). */
export function fromUnit(p: SweepParam, u: number): number {
  const t = Math.min(1, Math.max(0, u));
  let v: number;
  if (p.scale === 'list') {
    const vals = p.values!;
    return vals[Math.min(vals.length - 1, Math.round(t * (vals.length - 1)))];
  }
  if (p.scale === 'log') v = Math.exp(Math.log(p.min) + t * (Math.log(p.max) - Math.log(p.min)));
  else v = p.min + t * (p.max - p.min);
  if (t === 0) v = p.min;
  if (t === 1) v = p.max;
  if (p.integer) v = Math.min(Math.floor(p.max), Math.max(Math.ceil(p.min), Math.round(v)));
  return v;
}

/** Parameter value → unit coordinate (the space the Bayesian search models). */
export function toUnit(p: SweepParam, v: number): number {
  if (p.scale === 'list') {
    const vals = p.values!;
    const i = vals.indexOf(v);
    return vals.length <= 1 ? 0.5 : Math.max(0, i) / (vals.length - 1);
  }
  if (p.scale === 'log') return (Math.log(v) - Math.log(p.min)) / (Math.log(p.max) - Math.log(p.min));
  return (v - p.min) / (p.max - p.min);
}
