/**
 * Which trials a sweep runs, and in what order.
 *
 *  grid    exactly the grid: every combination of each parameter's grid values
 *          (first parameter fastest).
 *  random  `budget` points drawn with a generator seeded by the sweep's seed:
 *          uniform on a linear scale, log-uniform on a log scale, a uniform pick
 *          from a list; integers rounded.
 *  bayes   `bayes.initial` random points first, then rounds of `bayes.batch`
 *          points that maximize expected improvement under a Gaussian-process
 *          surrogate fitted to every finished point (see gp.ts), over a seeded
 *          candidate set. Within a round, each chosen point is added to the
 *          model with its predicted value ("kriging believer") before the next
 *          is chosen.
 *
 * A round is proposed only once the previous rounds' results are in, so the
 * trials depend only on the sweep config — not on how many workers run them or
 * in which order they finish. With `compare`, every point is trained once per
 * variant; the search models the first (base) variant.
 */
import { makeRng, permutation, type Rng } from '../rng.ts';
import type { RunConfig } from '../config.ts';
import { expectedImprovement, fitGp } from './gp.ts';
import { trialConfig, variants, type Objective, type SweepConfig, type VariantInfo } from './schema.ts';
import { fromUnit, gridValues, toUnit } from './space.ts';

export type ChosenBy = 'grid' | 'random' | 'bayes';

export interface TrialSpec {
  /** Position in the order the trials were chosen (0-based). */
  index: number;
  /** The parameter point (0-based, order chosen); trial numbers shown to people are point + 1. */
  point: number;
  /** 0: base; 1: the compare variant. */
  variant: number;
  variantLabel: string;
  /** Parameter values, in the order of `params`. */
  values: number[];
  /** The same values keyed by their run-config path. */
  params: Record<string, number>;
  objective: Objective;
  /** The same point in the unit cube (log-scaled where the scale is log). */
  unit: number[];
  /** Grid: the index of each value along its parameter. */
  cell?: number[];
  chosenBy: ChosenBy;
  /** Bayes: 0 for the initial random points, then 1, 2, … per round. */
  round: number;
  /** The trial's run config; null when it does not validate (see errors). */
  config: RunConfig | null;
  errors?: string[];
}

/** What the planner needs back from a finished trial. */
export interface TrialOutcome {
  index: number;
  point: number;
  variant: number;
  /** The value the search minimizes; NaN for a trial without a usable result (diverged, invalid). */
  score: number;
}

/**
 * The trials of one parameter point, one per variant: trial index = point × variants
 * + variant, the numbering SweepPlanner uses (a store that plans points one at a
 * time numbers them the same way).
 */
export function pointSpecs(cfg: SweepConfig, point: number, values: number[], chosenBy: ChosenBy, round: number, cell?: number[]): TrialSpec[] {
  const vs = variants(cfg);
  const unit = cfg.params.map((p, k) => toUnit(p, values[k]));
  return vs.map((v) => {
    const r = trialConfig(cfg, v, values, point);
    return {
      index: point * vs.length + v.index,
      point,
      variant: v.index,
      variantLabel: v.label,
      values,
      params: Object.fromEntries(cfg.params.map((p, k) => [p.path, values[k]])),
      objective: cfg.objective,
      unit,
      ...(cell ? { cell } : {}),
      chosenBy,
      round,
      config: r.ok ? r.value : null,
      ...(r.ok ? {} : { errors: r.errors }),
    };
  });
}

/** Candidate points in the unit cube: seeded uniform draws plus perturbations of the best points. */
function candidates(cfg: SweepConfig, rng: Rng, best: number[][]): number[][] {
  const d = cfg.params.length;
  const m = cfg.bayes.candidates;
  const out: number[][] = [];
  const local = best.length ? Math.floor(m / 4) : 0;
  for (let i = 0; i < m - local; i++) out.push(Array.from({ length: d }, () => rng.next()));
  for (let i = 0; i < local; i++) {
    const c = best[i % best.length];
    const width = [0.02, 0.05, 0.1][i % 3];
    out.push(c.map((u) => Math.min(1, Math.max(0, u + width * rng.normal()))));
  }
  // Snap to what the parameters can take (integers, list values).
  return out.map((u) => cfg.params.map((p, k) => (p.integer || p.scale === 'list' ? toUnit(p, fromUnit(p, u[k])) : u[k])));
}

/**
 * The next point of a Bayesian search run by many agents at once: expected
 * improvement under a Gaussian process fitted to every finished point, with each
 * pending point (planned or running, no result yet) added as a fantasy at the
 * model's predicted mean (the "kriging believer" rule of a round), so agents that
 * ask one after another do not all probe the same point. `observed` scores are
 * the planner's (scoreOf: lower is better; NaN for a diverged or failed point,
 * which counts as the worst finite value seen). Candidates are drawn from a
 * generator seeded by the sweep's seed and `point`. Returns the point's values,
 * or null without a finished point to model.
 */
export function proposeWithPending(cfg: SweepConfig, observed: readonly { unit: number[]; score: number }[], pending: readonly number[][], point: number): number[] | null {
  if (!observed.length) return null;
  const rng = makeRng(`sweep:${cfg.seed}:point:${point}`);
  const X = observed.map((o) => o.unit);
  const finite = observed.map((o) => o.score).filter(Number.isFinite);
  const worst = finite.length ? Math.max(...finite) : 0;
  const y = observed.map((o) => (Number.isFinite(o.score) ? o.score : worst));
  const order = y.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const best = order.slice(0, 3).map(([, i]) => X[i]);
  const cands = candidates(cfg, rng, best);
  const taken = new Set([...X, ...pending].map((x) => x.join(',')));
  let gp = fitGp(X, y);
  const yBest = Math.min(...y);
  const spread = Math.max(...y) - yBest || 1;
  for (const u of pending) gp = gp.withObservation(u, gp.predict([u]).mean[0]);
  const arg = bestCandidate(gp.predict(cands), cands, taken, yBest, spread);
  const u = arg >= 0 ? cands[arg] : cfg.params.map(() => rng.next());
  return cfg.params.map((p, k) => fromUnit(p, u[k]));
}

/** The candidate not yet taken with the highest expected improvement over yBest (-1: none left). */
function bestCandidate(pred: { mean: ArrayLike<number>; sd: ArrayLike<number> }, cands: readonly number[][], taken: ReadonlySet<string>, yBest: number, spread: number): number {
  let arg = -1;
  let bestEi = -Infinity;
  for (let j = 0; j < cands.length; j++) {
    if (taken.has(cands[j].join(','))) continue;
    const ei = expectedImprovement(pred.mean[j], pred.sd[j], yBest, 0.01 * spread);
    if (ei > bestEi) {
      bestEi = ei;
      arg = j;
    }
  }
  return arg;
}

export function defaultInitial(cfg: SweepConfig): number {
  return Math.min(cfg.budget, Math.max(3, 2 * cfg.params.length + 1));
}

export class SweepPlanner {
  readonly cfg: SweepConfig;
  readonly variants: VariantInfo[];
  /** Number of parameter points the sweep will try. */
  readonly points: number;
  /** Number of trials (points × variants). */
  readonly total: number;
  private readonly queue: TrialSpec[] = [];
  private nextIndex = 0;
  private nextPoint = 0;
  private round = 0;
  private readonly pointUnits: number[][] = [];
  private readonly pointRound: number[] = [];
  private readonly scores = new Map<number, number>();
  private readonly rng: Rng;

  constructor(cfg: SweepConfig) {
    this.cfg = cfg;
    this.variants = variants(cfg);
    this.rng = makeRng(`sweep:${cfg.seed}`);
    if (cfg.method === 'grid') {
      const axes = cfg.params.map(gridValues);
      this.points = axes.reduce((n, a) => n * a.length, 1);
      for (let p = 0; p < this.points; p++) {
        const cell: number[] = [];
        let r = p;
        for (const a of axes) {
          cell.push(r % a.length);
          r = Math.floor(r / a.length);
        }
        this.addPoint(
          cell.map((c, k) => axes[k][c]),
          'grid',
          cell,
        );
      }
    } else {
      this.points = cfg.budget;
      if (cfg.method === 'random') {
        for (let p = 0; p < this.points; p++) this.addPoint(this.randomValues(), 'random');
      } else {
        // The initial design is a Latin hypercube: one point in each 1/n slice of every axis.
        const initial = Math.min(this.points, this.cfg.bayes.initial ?? defaultInitial(cfg));
        const strata = cfg.params.map(() => permutation(initial, this.rng));
        for (let p = 0; p < initial; p++) {
          const values = cfg.params.map((q, k) => (q.scale === 'list' ? q.values![this.rng.int(q.values!.length)] : fromUnit(q, (strata[k][p] + this.rng.next()) / initial)));
          this.addPoint(values, 'random');
        }
      }
    }
    this.total = this.points * this.variants.length;
  }

  /** A random point: log-uniform on log scales, uniform picks from lists. */
  private randomValues(): number[] {
    return this.cfg.params.map((p) => {
      if (p.scale === 'list') return p.values![this.rng.int(p.values!.length)];
      return fromUnit(p, this.rng.next());
    });
  }

  private addPoint(values: number[], chosenBy: ChosenBy, cell?: number[]): void {
    const point = this.nextPoint++;
    const specs = pointSpecs(this.cfg, point, values, chosenBy, this.round, cell);
    this.pointUnits.push(specs[0].unit);
    this.pointRound.push(this.round);
    this.nextIndex += specs.length;
    this.queue.push(...specs);
  }

  /** The next trial to run; 'wait' when the search needs results first; null when none is left. */
  next(): TrialSpec | 'wait' | null {
    if (this.queue.length) return this.queue.shift()!;
    if (this.nextPoint >= this.points) return null;
    // Bayes: the next round needs every earlier point's (base variant) result.
    for (let p = 0; p < this.nextPoint; p++) if (!this.scores.has(p)) return 'wait';
    this.proposeRound();
    return this.queue.shift() ?? null;
  }

  report(o: TrialOutcome): void {
    if (o.variant === 0) this.scores.set(o.point, o.score);
  }

  private proposeRound(): void {
    this.round++;
    const rng = makeRng(`sweep:${this.cfg.seed}:round:${this.round}`);
    const X: number[][] = [];
    const yRaw: number[] = [];
    for (let p = 0; p < this.nextPoint; p++) {
      X.push(this.pointUnits[p]);
      yRaw.push(this.scores.get(p)!);
    }
    const finite = yRaw.filter(Number.isFinite);
    // A diverged or failed point counts as the worst finite value seen (all failed: 0).
    const worst = finite.length ? Math.max(...finite) : 0;
    const y = yRaw.map((v) => (Number.isFinite(v) ? v : worst));
    const order = y.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
    const best = order.slice(0, 3).map(([, i]) => X[i]);
    const cands = candidates(this.cfg, rng, best);
    const taken = new Set(X.map((x) => x.join(',')));
    let gp = fitGp(X, y);
    const batch = Math.min(this.cfg.bayes.batch, this.points - this.nextPoint);
    for (let b = 0; b < batch; b++) {
      const yBest = Math.min(...y);
      const spread = Math.max(...y) - yBest || 1;
      const pred = gp.predict(cands);
      const arg = bestCandidate(pred, cands, taken, yBest, spread);
      const u = arg >= 0 ? cands[arg] : this.cfg.params.map(() => rng.next());
      const values = this.cfg.params.map((p, k) => fromUnit(p, u[k]));
      this.addPoint(values, 'bayes');
      const unit = this.pointUnits[this.pointUnits.length - 1];
      taken.add(unit.join(','));
      const believed = arg >= 0 ? pred.mean[arg] : yBest;
      X.push(unit);
      y.push(believed);
      gp = gp.withObservation(unit, believed);
    }
  }
}
