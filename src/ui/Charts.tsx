import { context2d } from './canvas.ts';
import { useEffect, useMemo, useRef } from 'react';
import { LineCanvas, type LineSeries, type RefLine, type XMarker } from './LineCanvas.tsx';
import { headValue, isEvaluated, layerValue, metrics, thin, type LayerField, type RunSeries } from './metrics.ts';
import { DIVERGED_COLOR, RUN_COLORS, layerColor, viridisRgb } from './colors.ts';
import { useMetricsVersion } from './useMetrics.ts';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from './store.ts';
import { PngButton } from './PngButton.tsx';
import { CLASS_COLORS } from './DataPreview.tsx';
import { datasetView } from './datasetCache.ts';

/** CSS size of the decision-boundary canvas. */
const BOUNDARY_SIZE = 200;

/** Points drawn per line: recharts renders SVG, so charts stay light. */
const CHART_POINTS = 200;

function fmt(x: unknown): string {
  if (typeof x !== 'number') return String(x);
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : x.toPrecision(4);
}

export { fmt };

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
function smooth(values: number[], alpha: number): number[] {
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
function smoothNullable(values: (number | null)[], alpha: number): (number | null)[] {
  if (alpha <= 0) return values;
  const sm = smooth(values.map((v) => (v === null ? NaN : v)), alpha);
  return sm.map((v, i) => (values[i] === null ? null : v));
}

function divergedMarkers(all: readonly RunSeries[], labelled: boolean): XMarker[] {
  return all.flatMap((s) => (s.divergedAt === null ? [] : [{ x: s.divergedAt, label: labelled ? `diverged @${s.divergedAt}` : '', color: DIVERGED_COLOR }]));
}

/** A per-layer quantity over steps: a recorded norm, or the update/weight ratio. */
export type LayerSeries = LayerField | 'updateRatio';

function layerSeriesValue(row: Float32Array, l: number, field: LayerSeries): number {
  if (field === 'updateRatio') return layerValue(row, l, 'updateNorm') / layerValue(row, l, 'weightNorm');
  return layerValue(row, l, field);
}

/** Rule-of-thumb healthy update size relative to the weights (Karpathy): about 1e-3 per step. */
export const UPDATE_RATIO_REFERENCE = 1e-3;

export function LayerNormChart({ run, field, testId, title }: { run: number; field: LayerSeries; testId: string; title: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(400, figRef, run);
  const { smoothing, logScale, hiddenLayers, showClipped, toggleLayer, clip } = useStore(useShallow((s) => ({
    smoothing: s.smoothing,
    logScale: s.logScale,
    hiddenLayers: s.hiddenLayers,
    showClipped: s.showClipped,
    toggleLayer: s.toggleLayer,
    clip: s.experiment.runs[run]?.stabilizers.clip,
  })));
  const s = metrics.get(run);
  const names = s?.layerNames ?? [];
  const { xs, series } = useMemo(() => {
    const rows = s ? thin(s.rows, CHART_POINTS) : [];
    // A ratio of 0 is a step that was not applied: leave it out rather than plot it.
    const val = (r: Float32Array, l: number) => {
      const v = layerSeriesValue(r, l, field);
      return field === 'updateRatio' && v === 0 ? null : v;
    };
    const out: LineSeries[] = names.map((n, l) => ({
      key: n,
      name: n,
      color: layerColor(l, names.length),
      values: smoothNullable(rows.map((r) => val(r, l)), smoothing),
      hidden: !!hiddenLayers[n],
    }));
    if (field === 'gradNorm') {
      out.push({ key: 'global', name: 'global', color: '#222', width: 2, values: smooth(rows.map((r) => headValue(r, 'gradNorm')), smoothing), hidden: !!hiddenLayers['global'] });
      if (showClipped)
        out.push({
          key: 'global (clipped)',
          name: 'global (clipped)',
          color: '#222',
          dash: [5, 3],
          values: smooth(rows.map((r) => headValue(r, 'gradNormClipped')), smoothing),
          hidden: !!hiddenLayers['global (clipped)'],
        });
    }
    return { xs: rows.map((r) => headValue(r, 'step')), series: out };
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, s, field, smoothing, showClipped, hiddenLayers]);
  const thresholdLine = field === 'gradNorm' && clip && (clip.mode === 'global_norm' || clip.mode === 'layer_norm');
  const refLines: RefLine[] = [];
  if (field === 'updateRatio') refLines.push({ y: UPDATE_RATIO_REFERENCE, label: '1e-3' });
  if (thresholdLine) refLines.push({ y: clip!.threshold, label: `τ = ${clip!.threshold}` });
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={xs.length} aria-label={title}>
      <figcaption>
        <span>{title}</span>
        <PngButton name={testId} />
      </figcaption>
      <LineCanvas
        xs={xs}
        series={series}
        log={logScale}
        height={field === 'updateRatio' ? 180 : 220}
        refLines={refLines}
        markers={divergedMarkers(s ? [s] : [], true)}
        onToggle={toggleLayer}
        format={fmt}
        formatTick={fmtTick}
      />
    </figure>
  );
}

type RunMetric = 'loss' | 'acc' | 'lr';

const RUN_METRIC: Record<RunMetric, { title: string; caption: string; log: boolean; test: 'testLoss' | 'testAcc' | null; height: number }> = {
  loss: { title: 'Loss', caption: 'Loss (training batch; dots: held-out test set)', log: true, test: 'testLoss', height: 220 },
  acc: { title: 'Accuracy', caption: 'Accuracy (training batch; dots: held-out test set)', log: false, test: 'testAcc', height: 200 },
  lr: { title: 'Learning rate', caption: 'Learning rate used at each step (schedule and warm-up)', log: false, test: null, height: 160 },
};

/** One quantity of every run over steps on shared axes (train line, test dots where evaluated). */
export function RunsChart({ metric, testId }: { metric: RunMetric; testId: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(400, figRef);
  const { smoothing, hiddenLayers, toggleLayer } = useStore(useShallow((s) => ({ smoothing: s.smoothing, hiddenLayers: s.hiddenLayers, toggleLayer: s.toggleLayer })));
  const labels = useStore(useShallow((s) => s.experiment.runs.map((r) => r.label)));
  const m = RUN_METRIC[metric];
  const all = metrics.all();
  const { xs, series } = useMemo(() => {
    // The runs' thinned steps merged on one x axis; a run without a row at a step has a gap there.
    const thinned = all.map((s) => thin(s.rows, CHART_POINTS));
    // Test metrics are sparse: every evaluated row is drawn, whatever the thinning.
    const evaluated = all.map((s) => (m.test ? s.rows.filter(isEvaluated) : []));
    const steps = [...new Set([...thinned, ...evaluated].flatMap((rows) => rows.map((r) => headValue(r, 'step'))))].sort((a, b) => a - b);
    const index = new Map(steps.map((x, i) => [x, i]));
    const suffix = metric === 'lr' ? '' : ' train';
    const out: LineSeries[] = [];
    all.forEach((s, k) => {
      const rows = thinned[k];
      const color = RUN_COLORS[s.run % RUN_COLORS.length];
      const label = labels[s.run] ?? s.label;
      const raw = rows.map((r) => headValue(r, metric));
      const vals = metric === 'lr' ? raw : smooth(raw, smoothing);
      const train: (number | null)[] = new Array<number | null>(steps.length).fill(null);
      rows.forEach((r, i) => (train[index.get(headValue(r, 'step'))!] = vals[i]));
      // Fill the gaps between this run's own points so that its line stays connected.
      let last: number | null = null;
      for (let i = 0; i < train.length; i++) {
        if (train[i] !== null) last = i;
        else if (last !== null && i <= index.get(rows[rows.length - 1][0])!) train[i] = train[last];
      }
      const key = `train ${s.run}`;
      out.push({ key, name: `${label}${suffix}`, color, values: train, hidden: !!hiddenLayers[`${metric}:${key}`] });
      if (m.test) {
        const test: (number | null)[] = new Array<number | null>(steps.length).fill(null);
        evaluated[k].forEach((r) => (test[index.get(headValue(r, 'step'))!] = headValue(r, m.test!)));
        const tkey = `test ${s.run}`;
        out.push({ key: tkey, name: `${label} test`, color, dots: true, values: test, hidden: !!hiddenLayers[`${metric}:${tkey}`] });
      }
    });
    return { xs: steps, series: out };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, smoothing, metric, labels, hiddenLayers]);
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={xs.length} aria-label={m.title}>
      <figcaption>
        <span>{m.caption}</span>
        <PngButton name={testId} />
      </figcaption>
      <LineCanvas
        xs={xs}
        series={series}
        log={m.log}
        height={m.height}
        yDomain={metric === 'acc' ? [0, 1] : undefined}
        markers={divergedMarkers(all, false)}
        onToggle={(key) => toggleLayer(`${metric}:${key}`)}
        format={fmt}
        formatTick={fmtTick}
      />
    </figure>
  );
}

/**
 * Layer × step heatmap of log10 of a per-layer norm, on a canvas: rows are
 * layers (input at the top), columns are recorded steps (decimated).
 */
export function LayerHeatmap({ run, field = 'gradNorm', testId = 'layer-heatmap' }: { run: number; field?: LayerField; testId?: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(500, figRef, run);
  const ref = useRef<HTMLCanvasElement>(null);
  const legendRef = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const s = metrics.get(run);
    if (!canvas || !s) return;
    const rows = thin(s.rows, 400);
    const L = s.layerNames.length;
    const W = Math.max(1, rows.length);
    canvas.width = W;
    canvas.height = L;
    const ctx = context2d(canvas);
    if (!ctx) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows)
      for (let l = 0; l < L; l++) {
        const v = layerValue(r, l, field);
        if (Number.isFinite(v) && v > 0) {
          const lv = Math.log10(v);
          lo = Math.min(lo, lv);
          hi = Math.max(hi, lv);
        }
      }
    if (!Number.isFinite(lo)) {
      lo = -3;
      hi = 0;
    }
    if (hi - lo < 1e-6) hi = lo + 1;
    const img = ctx.createImageData(W, L);
    rows.forEach((r, x) => {
      for (let l = 0; l < L; l++) {
        const v = layerValue(r, l, field);
        const p = (l * W + x) * 4;
        if (!Number.isFinite(v)) {
          img.data.set([192, 57, 43, 255], p); // non-finite: red
          continue;
        }
        const t = v > 0 ? (Math.log10(v) - lo) / (hi - lo) : 0;
        const [cr, cg, cb] = viridisRgb(t);
        img.data.set([cr, cg, cb, 255], p);
      }
    });
    ctx.putImageData(img, 0, 0);
    canvas.dataset.columns = String(rows.length);
    if (legendRef.current) legendRef.current.textContent = `log₁₀ range ${lo.toFixed(1)} … ${hi.toFixed(1)}`;
  }, [version, run, field]);
  const names = metrics.get(run)?.layerNames ?? [];
  return (
    <figure ref={figRef} className="chart heatmap" data-testid={testId} aria-label="Layer by step heatmap of log gradient norm">
      <figcaption>
        <span>
          Layer × step heatmap of log₁₀ ‖∇W‖ (purple small → yellow large, red non-finite) <span ref={legendRef} className="muted" />
        </span>
        <PngButton name={testId} />
      </figcaption>
      <div className="heatmap-body">
        <div className="heatmap-labels">
          {names.map((n) => (
            <span key={n}>{n}</span>
          ))}
        </div>
        <canvas ref={ref} className="heatmap-canvas" />
      </div>
    </figure>
  );
}

/** Decision boundary of a 2-D data set: class-1 probability on a grid. */
export function DecisionBoundary({ run }: { run: number }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(600, figRef, run);
  const ref = useRef<HTMLCanvasElement>(null);
  const gridRef = useRef<HTMLCanvasElement | null>(null);
  const cfg = useStore((s) => s.experiment.runs[run]);
  useEffect(() => {
    const canvas = ref.current;
    const b = metrics.get(run)?.boundary;
    if (!canvas) return;
    const dpr = Math.min(3, window.devicePixelRatio || 1);
    canvas.width = Math.round(BOUNDARY_SIZE * dpr);
    canvas.height = Math.round(BOUNDARY_SIZE * dpr);
    const ctx = context2d(canvas);
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, BOUNDARY_SIZE, BOUNDARY_SIZE);
    if (b) {
      gridRef.current ??= document.createElement('canvas');
      const grid = gridRef.current;
      if (grid.width !== b.n) grid.width = grid.height = b.n;
      const g = context2d(grid);
      if (g) {
        const img = g.createImageData(b.n, b.n);
        for (let r = 0; r < b.n; r++)
          for (let c = 0; c < b.n; c++) {
            const p = b.probs[r * b.n + c];
            const q = Number.isFinite(p) ? p : 0.5;
            // blue (class 0) ↔ orange (class 1), y up
            const o = ((b.n - 1 - r) * b.n + c) * 4;
            img.data.set([Math.round(0 + 230 * q), Math.round(114 + 45 * q - 45 * (1 - q)), Math.round(178 * (1 - q)), 140], o);
          }
        g.putImageData(img, 0, 0);
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(grid, 0, 0, BOUNDARY_SIZE, BOUNDARY_SIZE);
      }
    }
    // The training points on top (the grid spans [-1.5, 1.5]², like the data preview).
    if (cfg && cfg.data.name !== 'shapes') {
      const d = datasetView(cfg).data;
      const px = (v: number) => ((v + 1.5) / 3) * BOUNDARY_SIZE;
      const r = d.nTrain > 2000 ? 1.2 : 2;
      ctx.lineWidth = 0.75;
      ctx.strokeStyle = '#fff';
      for (let i = 0; i < d.nTrain; i++) {
        ctx.fillStyle = CLASS_COLORS[d.yTrain[i]];
        ctx.beginPath();
        ctx.arc(px(d.xTrain[2 * i]), BOUNDARY_SIZE - px(d.xTrain[2 * i + 1]), r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    }
  }, [version, run, cfg]);
  return (
    <figure ref={figRef} className="chart boundary" aria-label="Decision boundary">
      <figcaption>
        <span>Decision boundary (shading: predicted class; dots: training points)</span>
        <PngButton name={`decision-boundary-${run}`} />
      </figcaption>
      <canvas ref={ref} className="boundary-canvas" data-testid="decision-boundary" />
    </figure>
  );
}
