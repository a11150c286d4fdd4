/**
 * Axis and colour ranges of the charts, as pure functions (unit-tested in Node,
 * chartScale.test.ts):
 *
 *  - `yRange`: the y range of one chart, covering its visible finite values and
 *    reference lines, padded a little.
 *  - `runsYRange`: one y range over several runs' values (the per-layer charts
 *    of runs side by side, the loss chart), so that the same height means the
 *    same value. Once a run has diverged, its last finite values (a loss of
 *    1e19 before the NaN) would flatten every other run's curve against the
 *    bottom: the axis then stops a decade above what the other runs reach and
 *    above the diverged run's own level before its explosion; the values
 *    beyond are drawn at the edge, marked (`runsUpper`).
 *  - `logColorRange`: the log₁₀ colour range of the layer × step heatmaps,
 *    clamped the same way.
 */

/** A series as the range functions see it: values per x (null or non-finite: a gap). */
export interface RangeSeries {
  values: ArrayLike<number | null>;
  hidden?: boolean;
}

export interface RangeRef {
  y: number;
  label?: string;
}

export type Range = [number, number];

function usable(v: number | null | undefined, log: boolean): v is number {
  return v !== null && v !== undefined && Number.isFinite(v) && (!log || v > 0);
}

/** Lowest and highest usable value of the visible series and the reference lines; null if none. */
export function extent(series: readonly RangeSeries[], log: boolean, refs: readonly RangeRef[] = []): Range | null {
  let lo = Infinity;
  let hi = -Infinity;
  const see = (v: number | null) => {
    if (!usable(v, log)) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  };
  for (const s of series) if (!s.hidden) for (let i = 0; i < s.values.length; i++) see(s.values[i]);
  for (const r of refs) see(r.y);
  return lo <= hi ? [lo, hi] : null;
}

/** [lo, hi] padded by 4% of the span (in log space on a log axis); a default range when there is nothing. */
export function padRange(ext: Range | null, log: boolean): Range {
  if (!ext) return log ? [0.1, 10] : [0, 1];
  const [lo, hi] = ext;
  if (log) {
    if (lo === hi) return [lo / 2, hi * 2];
    const pad = (Math.log10(hi) - Math.log10(lo)) * 0.04;
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (lo === hi) return [lo - (Math.abs(lo) || 1) / 2, hi + (Math.abs(hi) || 1) / 2];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

/** The y range covering every visible finite value (and the reference lines), padded a little. */
export function yRange(series: readonly RangeSeries[], log: boolean, refs: readonly RangeRef[], fixed?: Range): Range {
  if (fixed) return fixed;
  return padRange(extent(series, log, refs), log);
}

/** Quantile q of ascending values (linear interpolation between order statistics). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const x = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[i];
}

/**
 * How far above a level an axis still reaches: a decade on a log axis, half
 * the span (at least a quarter of the level) on a linear one.
 */
export function headroom(hi: number, lo: number, log: boolean): number {
  return log ? hi * 10 : hi + Math.max((hi - lo) / 2, Math.abs(hi) / 4, 1e-12);
}

/** The values of one run on a chart, and whether the run diverged. */
export interface RunValues {
  series: readonly RangeSeries[];
  refs?: readonly RangeRef[];
  diverged: boolean;
}

/** How many of a diverged run's last recorded steps count as its explosion (at least). */
export const EXPLOSION_STEPS = 2;

/**
 * A diverged run's own level, without its final explosion: the highest of its
 * visible values before its last steps (the last tenth of its x positions, at
 * least the last `EXPLOSION_STEPS`), or at its first x when it has no more.
 * Null when it has no usable value.
 */
export function divergedLevel(series: readonly RangeSeries[], log: boolean): number | null {
  const visible = series.filter((s) => !s.hidden);
  const xs = new Set<number>();
  for (const s of visible) for (let i = 0; i < s.values.length; i++) if (usable(s.values[i], log)) xs.add(i);
  if (!xs.size) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const keep = sorted.length - Math.max(EXPLOSION_STEPS, Math.ceil(sorted.length / 10));
  const end = keep > 0 ? sorted[keep - 1] : sorted[0];
  let level = -Infinity;
  for (const s of visible)
    for (let i = 0; i <= end && i < s.values.length; i++) {
      const v = s.values[i];
      if (usable(v, log) && v > level) level = v;
    }
  return level;
}

/**
 * The highest value an axis over several runs shows before it clips
 * (Infinity: no clipping). With one run, or while no run has diverged, none:
 * every value is in view. Once one has, its last finite values (a loss of 1e19
 * before the NaN) would flatten every other run's curve against the bottom, so
 * the axis stops a decade (`headroom`) above the highest of: the runs that did
 * not diverge, and each diverged run's own level before its last steps
 * (`divergedLevel`): a diverged run keeps its values up to its explosion in
 * view, the explosion is clipped.
 * Reference lines are always kept in view.
 */
export function runsUpper(runs: readonly RunValues[], log: boolean): number {
  if (runs.length < 2 || !runs.some((r) => r.diverged)) return Infinity;
  let level = -Infinity;
  let lo = Infinity;
  for (const r of runs) {
    const e = extent(r.series, log);
    if (!e) continue;
    lo = Math.min(lo, e[0]);
    const l = r.diverged ? divergedLevel(r.series, log) : e[1];
    if (l !== null && l > level) level = l;
  }
  if (!(level >= lo)) return Infinity;
  const refHi = extent([], log, runs.flatMap((r) => r.refs ?? []))?.[1] ?? -Infinity;
  return Math.max(headroom(level, lo, log), refHi);
}

export interface ClampedRange {
  range: Range;
  /** The value above which points are drawn at the top edge (null: nothing is clipped). */
  clipAbove: number | null;
}

/**
 * One y range over several runs' values, so that the same height means the
 * same value: what every run needs, clamped at `runsUpper` (the values above
 * are drawn at the edge, marked).
 */
export function runsYRange(runs: readonly RunValues[], log: boolean): ClampedRange {
  const ext = extent(
    runs.flatMap((r) => r.series),
    log,
    runs.flatMap((r) => r.refs ?? []),
  );
  if (!ext) return { range: padRange(null, log), clipAbove: null };
  const upper = runsUpper(runs, log);
  if (!(upper < ext[1])) return { range: padRange(ext, log), clipAbove: null };
  const range = padRange([ext[0], Math.max(upper, ext[0])], log);
  return { range, clipAbove: range[1] };
}

/** Points of the visible series above `clipAbove` (drawn at the edge). */
export function countAbove(series: readonly RangeSeries[], clipAbove: number | null, log = false): number {
  if (clipAbove === null) return 0;
  let n = 0;
  for (const s of series)
    if (!s.hidden)
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (usable(v, log) && v > clipAbove) n++;
      }
  return n;
}

export interface ColorRange {
  /** log₁₀ of the values at the two ends of the colour scale. */
  range: Range;
  /** Whether some values lie above the top (they take the top colour). */
  clipped: boolean;
}

/**
 * The log₁₀ colour range of heatmaps over each run's values (one series per
 * layer; several runs when they share one scale): from the lowest to the
 * highest positive finite value, the top clamped like the line charts'
 * (`runsUpper`); [-3, 0] when there is no value, at least one unit wide.
 */
export function logColorRange(runs: readonly RunValues[]): ColorRange {
  const ext = extent(
    runs.flatMap((r) => r.series),
    true,
  );
  if (!ext) return { range: [-3, 0], clipped: false };
  let lo = Math.log10(ext[0]);
  let hi = Math.log10(ext[1]);
  let clipped = false;
  const upper = runsUpper(runs, true);
  if (upper < ext[1]) {
    hi = Math.max(lo, Math.log10(upper));
    clipped = true;
  }
  if (hi - lo < 1e-6) {
    lo -= 0.5;
    hi += 0.5;
  }
  return { range: [lo, hi], clipped };
}

/** 1, 2, 5 × 10^k steps: about `n` ticks over [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const steps = [0.5, 1, 2, 5, 10].map((m) => m * p);
  const at = (step: number) => {
    const out: number[] = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  };
  const k = steps.findIndex((s) => s >= raw);
  const ticks = at(steps[k]);
  // Fewer than 3 ticks: one notch finer.
  return ticks.length >= 3 ? ticks : at(steps[k - 1]);
}

/** Ticks of a log axis over [lo, hi] (both > 0): decades, with 2 and 5 when the range is short. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const decades = b - a;
  const every = Math.max(1, Math.ceil(decades / 6));
  const mults = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e += every)
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  // Less than a decade: linear steps read better (0.12, 0.14, … on a log axis).
  return out.length >= 3 ? out : niceTicks(lo, hi, 4);
}
