/**
 * What the line charts and the heatmap draw, computed from the runs' packed
 * rows (metrics.ts): pure functions, no DOM, so that the charts of several runs
 * can be computed together (one shared scale) and tested in Node.
 */
import type { RunConfig } from '../engine/config.ts';
import { chartPalette, layerColor, runColor } from './colors.ts';
import { headValue, isEvaluated, layerValue, thin, type LayerField, type RunSeries } from './metrics.ts';
import type { LineSeries, RefLine, XMarker } from './LineCanvas.tsx';
import { describeChange, settingsAt } from '../engine/changes.ts';

type ClipConfig = RunConfig['stabilizers']['clip'];

/** Points drawn per line (rows are thinned to this many). */
export const CHART_POINTS = 200;

/** Rule-of-thumb healthy update size relative to the weights (Karpathy): about 1e-3 per step. */
export const UPDATE_RATIO_REFERENCE = 1e-3;

export function fmt(x: unknown): string {
  if (typeof x !== 'number') return String(x);
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : x.toPrecision(4);
}

/** Short axis labels: 2, 0.6, 1e-3, 5e-4, 1e14 (tooltips keep the exact values). */
export function fmtTick(x: number): string {
  if (!Number.isFinite(x)) return fmt(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) {
    const [m, e] = x.toExponential(1).split('e');
    return `${m.replace(/\.0$/, '')}e${Number(e)}`;
  }
  return String(Number(x.toPrecision(3)));
}

/** Exponential moving average used by the smoothing slider (0 = raw). */
export function smooth(values: number[], alpha: number): number[] {
  if (alpha <= 0) return values;
  const out: number[] = [];
  let m = NaN;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    m = Number.isFinite(m) ? alpha * m + (1 - alpha) * v : v;
    out.push(m);
  }
  return out;
}

/** `smooth` over a series with gaps (null): the gaps stay gaps. */
export function smoothNullable(values: (number | null)[], alpha: number): (number | null)[] {
  if (alpha <= 0) return values;
  const sm = smooth(values.map((v) => (v === null ? NaN : v)), alpha);
  return sm.map((v, i) => (values[i] === null ? null : v));
}

/** Layer names as the charts show them: the last one is marked as the output layer. */
export function layerLabel(names: readonly string[], l: number): string {
  return l === names.length - 1 && names.length > 1 ? `${names[l]} (output)` : names[l];
}

/** A per-layer quantity over steps: a recorded norm, or the update/weight ratio. */
export type LayerSeries = LayerField | 'updateRatio';

function layerSeriesValue(row: Float32Array, l: number, field: LayerSeries): number {
  // ‖ΔW‖/‖W‖ of the weight matrix (the kernel), as its name says: a bias that starts at 0 would inflate it.
  if (field === 'updateRatio') return layerValue(row, l, 'kernelUpdateNorm') / layerValue(row, l, 'kernelWeightNorm');
  return layerValue(row, l, field);
}

export interface LayerChartOptions {
  smoothing: number;
  hiddenLayers: Readonly<Record<string, boolean>>;
  /** The "show post-clip norm" view option. */
  showClipped: boolean;
  /** The run's clipping (the post-clip line and τ only when it clips). */
  clip: ClipConfig | undefined;
}

export interface LineChartData {
  xs: number[];
  series: LineSeries[];
  refLines: RefLine[];
}

/** Whether a run's clip mode changes gradients at all. */
export function clips(clip: ClipConfig | undefined): boolean {
  return !!clip && clip.mode !== 'none';
}

/** Lines of one run's per-layer chart: one per layer (input → output), and the global norms on the gradient chart. */
export function layerChartData(s: RunSeries | undefined, field: LayerSeries, o: LayerChartOptions): LineChartData {
  const names = s?.layerNames ?? [];
  const rows = s ? thin(s.rows, CHART_POINTS) : [];
  // A ratio of 0 is a step that was not applied: leave it out rather than plot it.
  const val = (r: Float32Array, l: number) => {
    const v = layerSeriesValue(r, l, field);
    return field === 'updateRatio' && v === 0 ? null : v;
  };
  const series: LineSeries[] = names.map((n, l) => ({
    key: n,
    name: layerLabel(names, l),
    color: layerColor(l, names.length),
    values: smoothNullable(rows.map((r) => val(r, l)), o.smoothing),
    hidden: !!o.hiddenLayers[n],
  }));
  const pal = chartPalette();
  if (field === 'gradNorm') {
    series.push({ key: 'global', name: 'global', color: pal.global, width: 2, values: smooth(rows.map((r) => headValue(r, 'gradNorm')), o.smoothing), hidden: !!o.hiddenLayers['global'] });
    if (o.showClipped && clips(o.clip))
      series.push({
        key: 'global (clipped)',
        name: 'global (clipped)',
        color: pal.global,
        width: 2,
        dash: [6, 4],
        values: smooth(rows.map((r) => headValue(r, 'gradNormClipped')), o.smoothing),
        hidden: !!o.hiddenLayers['global (clipped)'],
      });
  }
  const refLines: RefLine[] = [];
  if (field === 'updateRatio') refLines.push({ y: UPDATE_RATIO_REFERENCE, label: '1e-3' });
  if (field === 'gradNorm' && o.clip && (o.clip.mode === 'global_norm' || o.clip.mode === 'layer_norm')) refLines.push({ y: o.clip.threshold, label: `τ = ${o.clip.threshold}` });
  return { xs: rows.map((r) => headValue(r, 'step')), series, refLines };
}

export type RunMetric = 'loss' | 'acc' | 'lr';

const METRIC_NAMES: Record<RunMetric, { train: string; test: string | null; testField: 'testLoss' | 'testAcc' | null }> = {
  loss: { train: 'batch loss', test: 'test loss', testField: 'testLoss' },
  acc: { train: 'batch accuracy', test: 'test accuracy', testField: 'testAcc' },
  lr: { train: '', test: null, testField: null },
};

/**
 * One quantity of every run over steps on one x axis: the runs' thinned
 * steps merged (a run without a row at a step has its previous value there,
 * up to its last row), and the evaluated rows' test values as dots.
 */
export function runsChartData(
  all: readonly RunSeries[],
  metric: RunMetric,
  labels: readonly (string | undefined)[],
  o: { smoothing: number; hiddenLayers: Readonly<Record<string, boolean>>; /** By run: a regression, whose 'acc' is R². */ regression?: readonly boolean[] },
): LineChartData {
  const m = METRIC_NAMES[metric];
  const names = (run: number) => (metric === 'acc' && o.regression?.[run] ? { train: 'batch R²', test: 'test R²' } : { train: m.train, test: m.test });
  const thinned = all.map((s) => thin(s.rows, CHART_POINTS));
  // Test metrics are sparse: every evaluated row is drawn, whatever the thinning
  // (a lambda: as a filter callback, isEvaluated would take the index for its offset argument).
  const evaluated = all.map((s) => (m.testField ? s.rows.filter((r) => isEvaluated(r)) : []));
  const steps = [...new Set([...thinned, ...evaluated].flatMap((rows) => rows.map((r) => headValue(r, 'step'))))].sort((a, b) => a - b);
  const index = new Map(steps.map((x, i) => [x, i]));
  const series: LineSeries[] = [];
  all.forEach((s, k) => {
    const rows = thinned[k];
    const color = runColor(s.run);
    const label = labels[s.run] ?? s.label;
    const raw = rows.map((r) => headValue(r, metric));
    const vals = metric === 'lr' ? raw : smooth(raw, o.smoothing);
    const train: (number | null)[] = new Array<number | null>(steps.length).fill(null);
    rows.forEach((r, i) => (train[index.get(headValue(r, 'step'))!] = vals[i]));
    // Fill the gaps between this run's own points so that its line stays connected.
    if (rows.length) {
      const end = index.get(headValue(rows[rows.length - 1], 'step'))!;
      let last: number | null = null;
      for (let i = 0; i <= end; i++) {
        if (train[i] !== null) last = i;
        else if (last !== null) train[i] = train[last];
      }
    }
    const key = `train ${s.run}`;
    series.push({ key, name: m.train ? `${label} ${names(s.run).train}` : label, color, values: train, hidden: !!o.hiddenLayers[`${metric}:${key}`] });
    // With an L1/L2 penalty, the loss is data loss + penalty: each drawn on its own too.
    if (metric === 'loss' && rows.some((r) => headValue(r, 'penalty') > 0)) {
      for (const [field, name, dash] of [
        ['dataLoss', 'data loss', [6, 3]],
        ['penalty', 'L1/L2 penalty', [2, 3]],
      ] as const) {
        const part: (number | null)[] = new Array<number | null>(steps.length).fill(null);
        const v = smooth(rows.map((r) => headValue(r, field)), o.smoothing);
        rows.forEach((r, i) => (part[index.get(headValue(r, 'step'))!] = v[i]));
        const pkey = `${field} ${s.run}`;
        series.push({ key: pkey, name: `${label} ${name}`, color, width: 1, dash: [...dash], values: part, hidden: !!o.hiddenLayers[`${metric}:${pkey}`] });
      }
    }
    if (m.testField && m.test) {
      const field = m.testField;
      const test: (number | null)[] = new Array<number | null>(steps.length).fill(null);
      evaluated[k].forEach((r) => (test[index.get(headValue(r, 'step'))!] = headValue(r, field)));
      const tkey = `test ${s.run}`;
      series.push({ key: tkey, name: `${label} ${names(s.run).test}`, color, dots: true, values: test, hidden: !!o.hiddenLayers[`${metric}:${tkey}`] });
    }
  });
  return { xs: steps, series, refLines: [] };
}

/**
 * Markers at the runs' first diverged steps (`RunSeries.divergedAt`, the step
 * the run's banner names). `label`: 'short' "diverged @N" (a run's own
 * charts), 'long' "[run] diverged at step N" (charts of every run), 'none'.
 */
export function divergedMarkers(all: readonly RunSeries[], label: 'short' | 'long' | 'none', labels: readonly (string | undefined)[] = []): XMarker[] {
  const color = chartPalette().diverged;
  return all.flatMap((s) => {
    if (s.divergedAt === null) return [];
    const who = all.length > 1 ? `${labels[s.run] ?? s.label} ` : '';
    const text = label === 'short' ? `diverged @${s.divergedAt}` : label === 'long' ? `${who}diverged at step ${s.divergedAt}` : '';
    return [{ x: s.divergedAt, label: text, color }];
  });
}

/**
 * Markers at a run's mid-run changes (the run config's `changes`): "step 240:
 * Optimizer sgd → adam", with the run's label first when several runs share the chart.
 */
export function changeMarkers(runs: readonly { run: number; cfg: RunConfig | undefined }[], labels: readonly (string | undefined)[] = []): XMarker[] {
  const color = chartPalette().reference;
  return runs.flatMap(({ run, cfg }) =>
    (cfg?.changes ?? []).map((c) => {
      const who = runs.length > 1 ? `${labels[run] ?? cfg?.label ?? ''} ` : '';
      return { x: c.step, label: `${who}${describeChange(c, settingsAt(cfg!, c.step - 1))}`, color };
    }),
  );
}

/** One run's layer × step grid for the heatmap: thinned rows (columns) of one per-layer field. */
export interface HeatGrid {
  steps: number[];
  layers: number;
  /** values[l * steps.length + x] */
  values: Float64Array;
}

export const HEATMAP_COLUMNS = 400;

export function heatGrid(s: RunSeries | undefined, field: LayerField): HeatGrid {
  const rows = s ? thin(s.rows, HEATMAP_COLUMNS) : [];
  const L = s?.layerNames.length ?? 0;
  const W = rows.length;
  const values = new Float64Array(L * W);
  rows.forEach((r, x) => {
    for (let l = 0; l < L; l++) values[l * W + x] = layerValue(r, l, field);
  });
  return { steps: rows.map((r) => headValue(r, 'step')), layers: L, values };
}

/** A grid's values as one series per layer (for the range functions). */
export function gridSeries(g: HeatGrid): { values: Float64Array }[] {
  const W = g.steps.length;
  return Array.from({ length: g.layers }, (_, l) => ({ values: g.values.subarray(l * W, (l + 1) * W) }));
}

/** Fractional column of a step in ascending steps (for the heatmap's step axis). */
export function columnOf(steps: readonly number[], step: number): number {
  if (!steps.length) return 0;
  if (step <= steps[0]) return 0;
  if (step >= steps[steps.length - 1]) return steps.length - 1;
  let lo = 0;
  let hi = steps.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) lo = mid;
    else hi = mid;
  }
  return lo + (step - steps[lo]) / (steps[hi] - steps[lo] || 1);
}

/** Which layers get a label when `n` rows share `heightPx` (at least `minGapPx` apart): always the first and the last. */
export function labelledLayers(n: number, heightPx: number, minGapPx: number): number[] {
  if (n <= 0) return [];
  const every = Math.max(1, Math.ceil(minGapPx / Math.max(1e-9, heightPx / n)));
  const out: number[] = [];
  for (let l = 0; l < n; l += every) out.push(l);
  const last = n - 1;
  if (out[out.length - 1] !== last) {
    // keep the output layer; drop the label before it if the two would collide
    if (out.length > 1 && last - out[out.length - 1] < every) out.pop();
    out.push(last);
  }
  return out;
}
