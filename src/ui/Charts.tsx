import { context2d } from './canvas.ts';
import { useEffect, useMemo, useRef } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
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
const TINY = 1e-12;

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

/** Values on a log axis must be > 0 and finite; others are left out of the line. */
function logSafe(v: number, log: boolean): number | null {
  if (!Number.isFinite(v)) return null;
  if (log && v <= 0) return TINY;
  return v;
}

function divergedMarker(s: RunSeries | undefined) {
  if (!s || s.divergedAt === null) return null;
  return (
    <ReferenceLine
      x={s.divergedAt}
      stroke={DIVERGED_COLOR}
      strokeDasharray="4 2"
      label={{ value: `diverged @${s.divergedAt}`, fill: DIVERGED_COLOR, fontSize: 11, position: 'insideTopRight' }}
    />
  );
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
  const data = useMemo(() => {
    const rows = s ? thin(s.rows, CHART_POINTS) : [];
    const cols = names.map((_, l) => smooth(rows.map((r) => layerSeriesValue(r, l, field)), smoothing));
    const clipped =
      showClipped && field === 'gradNorm'
        ? smooth(rows.map((r) => headValue(r, 'gradNormClipped')), smoothing)
        : null;
    const global = field === 'gradNorm' ? smooth(rows.map((r) => headValue(r, 'gradNorm')), smoothing) : null;
    return rows.map((r, i) => {
      const d: Record<string, number | null> = { step: r[0] };
      // A ratio of 0 is a step that was not applied: leave it out rather than plot it at 1e-12.
      names.forEach((n, l) => (d[n] = field === 'updateRatio' && cols[l][i] === 0 ? null : logSafe(cols[l][i], logScale)));
      if (global) d['global'] = logSafe(global[i], logScale);
      if (clipped) d['global (clipped)'] = logSafe(clipped[i], logScale);
      return d;
    });
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, s, field, smoothing, logScale, showClipped]);
  const thresholdLine = field === 'gradNorm' && clip && (clip.mode === 'global_norm' || clip.mode === 'layer_norm');
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={data.length} aria-label={title}>
      <figcaption>
        <span>{title}</span>
        <PngButton name={testId} />
      </figcaption>
      <ResponsiveContainer width="100%" height={field === 'updateRatio' ? 200 : 240}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e3e3" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 11 }} />
          <YAxis
            scale={logScale ? 'log' : 'auto'}
            domain={logScale ? ['auto', 'auto'] : ['auto', 'auto']}
            allowDataOverflow
            tick={{ fontSize: 11 }}
            tickFormatter={fmtTick}
            width={64}
          />
          <Tooltip formatter={(v) => fmt(v)} labelFormatter={(l) => `step ${l}`} isAnimationActive={false} />
          <Legend
            wrapperStyle={{ fontSize: 11, cursor: 'pointer' }}
            onClick={(e) => typeof e.dataKey === 'string' && toggleLayer(e.dataKey)}
          />
          {names.map((n, l) => (
            <Line
              key={n}
              type="linear"
              dataKey={n}
              stroke={layerColor(l, names.length)}
              dot={false}
              strokeWidth={1.5}
              isAnimationActive={false}
              hide={!!hiddenLayers[n]}
              connectNulls={false}
            />
          ))}
          {field === 'gradNorm' && (
            <Line type="linear" dataKey="global" stroke="#222" dot={false} strokeWidth={2} isAnimationActive={false} hide={!!hiddenLayers['global']} />
          )}
          {field === 'gradNorm' && showClipped && (
            <Line
              type="linear"
              dataKey="global (clipped)"
              stroke="#222"
              strokeDasharray="5 3"
              dot={false}
              strokeWidth={1.5}
              isAnimationActive={false}
              hide={!!hiddenLayers['global (clipped)']}
            />
          )}
          {field === 'updateRatio' && (
            <ReferenceLine y={UPDATE_RATIO_REFERENCE} stroke="#7a7a7a" strokeDasharray="2 4" label={{ value: '1e-3', fontSize: 11, position: 'insideBottomRight' }} />
          )}
          {thresholdLine && (
            <ReferenceLine y={clip!.threshold} stroke="#7a7a7a" strokeDasharray="2 4" label={{ value: `τ = ${clip!.threshold}`, fontSize: 11, position: 'insideBottomRight' }} />
          )}
          {divergedMarker(s)}
        </LineChart>
      </ResponsiveContainer>
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
  const smoothing = useStore((s) => s.smoothing);
  const labels = useStore(useShallow((s) => s.experiment.runs.map((r) => r.label)));
  const m = RUN_METRIC[metric];
  const series = metrics.all();
  const data = useMemo(() => {
    const byStep = new Map<number, Record<string, number | null>>();
    series.forEach((s) => {
      const rows = thin(s.rows, CHART_POINTS);
      const raw = rows.map((r) => headValue(r, metric));
      const vals = metric === 'lr' ? raw : smooth(raw, smoothing);
      rows.forEach((r, i) => {
        const d = byStep.get(r[0]) ?? { step: r[0] };
        d[`train ${s.run}`] = logSafe(vals[i], m.log);
        if (m.test && isEvaluated(r)) d[`test ${s.run}`] = logSafe(headValue(r, m.test), m.log);
        byStep.set(r[0], d);
      });
    });
    return [...byStep.values()].sort((a, b) => (a.step as number) - (b.step as number));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, smoothing, metric]);
  const suffix = metric === 'lr' ? '' : ' train';
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={data.length} aria-label={m.title}>
      <figcaption>
        <span>{m.caption}</span>
        <PngButton name={testId} />
      </figcaption>
      <ResponsiveContainer width="100%" height={m.height}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e3e3" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 11 }} />
          <YAxis
            scale={m.log ? 'log' : 'auto'}
            domain={metric === 'acc' ? [0, 1] : ['auto', 'auto']}
            allowDataOverflow
            tick={{ fontSize: 11 }}
            tickFormatter={fmtTick}
            width={64}
          />
          <Tooltip formatter={(v) => fmt(v)} labelFormatter={(l) => `step ${l}`} isAnimationActive={false} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {series.map((s) => (
            <Line
              key={`l${s.run}`}
              name={`${labels[s.run] ?? s.label}${suffix}`}
              dataKey={`train ${s.run}`}
              stroke={RUN_COLORS[s.run % RUN_COLORS.length]}
              dot={false}
              strokeWidth={1.5}
              isAnimationActive={false}
              connectNulls
            />
          ))}
          {m.test
            ? series.map((s) => (
                <Line
                  key={`t${s.run}`}
                  name={`${labels[s.run] ?? s.label} test`}
                  dataKey={`test ${s.run}`}
                  stroke={RUN_COLORS[s.run % RUN_COLORS.length]}
                  strokeOpacity={0}
                  dot={{ r: 2.5, fill: RUN_COLORS[s.run % RUN_COLORS.length] }}
                  legendType="circle"
                  isAnimationActive={false}
                  connectNulls
                />
              ))
            : null}
          {series.map((s) => (s.divergedAt !== null ? <ReferenceLine key={`d${s.run}`} x={s.divergedAt} stroke={DIVERGED_COLOR} strokeDasharray="4 2" /> : null))}
        </LineChart>
      </ResponsiveContainer>
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
