import { context2d, CHART_FONT, CHART_FONT_PX, fitCanvas } from './canvas.ts';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { LineCanvas } from './LineCanvas.tsx';
import { metrics, type LayerField } from './metrics.ts';
import { boundaryRgba, chartPalette, heatRgb, layerGradientCss, nonFiniteRgb } from './colors.ts';
import { logColorRange, niceTicks, runsYRange } from './chartScale.ts';
import {
  columnOf,
  divergedMarkers,
  fmt,
  fmtTick,
  gridSeries,
  heatGrid,
  labelledLayers,
  layerChartData,
  layerLabel,
  runsChartData,
  type HeatGrid,
  type LayerSeries,
  type RunMetric,
} from './chartData.ts';
import { useMetricsVersion } from './useMetrics.ts';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from './store.ts';
import type { Layout } from './state/view.ts';
import { PngButton } from './PngButton.tsx';
import { CLASS_COLORS } from './DataPreview.tsx';
import { datasetView } from './datasetCache.ts';

export { fmt, fmtTick, UPDATE_RATIO_REFERENCE, type LayerSeries } from './chartData.ts';

/** CSS size of the decision-boundary canvas. */
const BOUNDARY_SIZE = 200;

/** Whether the runs' charts share one scale now: the toggle is on and there is more than one run. */
function useSharedScales(): boolean {
  return useStore((s) => s.sharedScales && s.experiment.runs.length > 1);
}

/** The CSS width of an element, kept up to date. */
function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver !== 'function') return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

/** "colour: input → output" with the layer colours as a gradient. */
function LayerOrderNote() {
  return (
    <span className="muted" title="Layer lines are coloured from the input layer (dark) to the output layer (light)">
      colour: input
      <span aria-hidden="true" style={{ display: 'inline-block', width: 40, height: 8, margin: '0 4px', verticalAlign: 'middle', borderRadius: 2, background: layerGradientCss() }} />
      output
    </span>
  );
}

/**
 * The runs' layout and the shared-scale toggle (part of the share link).
 * Meant for the page's view options.
 */
export function ChartViewControls() {
  const { layout, sharedScales, nRuns, setView } = useStore(
    useShallow((s) => ({ layout: s.layout, sharedScales: s.sharedScales, nRuns: s.experiment.runs.length, setView: s.setView })),
  );
  return (
    <span className="chart-view-controls">
      <label>
        Runs{' '}
        <select value={layout} data-testid="view-layout" onChange={(e) => setView({ layout: e.target.value as Layout })}>
          <option value="columns">side by side</option>
          <option value="overlay">one at a time</option>
        </select>
      </label>{' '}
      <label title="Side by side, every run's per-layer charts use the same y range and the heatmaps the same colour range, so that the same height or colour means the same value. Off: each run's charts fit its own data.">
        <input type="checkbox" data-testid="shared-scales" checked={sharedScales} disabled={nRuns < 2} onChange={(e) => setView({ sharedScales: e.target.checked })} /> same scale for all runs
      </label>
    </span>
  );
}

const LAYER_CHART_HEIGHT: Record<LayerSeries, number> = {
  gradNorm: 240,
  gradNormClipped: 240,
  weightNorm: 220,
  updateNorm: 220,
  actGradNorm: 240,
  kernelGradNorm: 240,
  kernelWeightNorm: 220,
  kernelUpdateNorm: 220,
  updateRatio: 200,
};

/** A per-layer quantity of one run over steps, one line per layer; on the runs' shared y range when they share scales. */
export function LayerNormChart({ run, field, testId, title }: { run: number; field: LayerSeries; testId: string; title: string }) {
  const figRef = useRef<HTMLElement>(null);
  const shared = useSharedScales();
  const version = useMetricsVersion(400, figRef, shared ? undefined : run);
  const { smoothing, logScale, hiddenLayers, showClipped, toggleLayer } = useStore(
    useShallow((s) => ({ smoothing: s.smoothing, logScale: s.logScale, hiddenLayers: s.hiddenLayers, showClipped: s.showClipped, toggleLayer: s.toggleLayer })),
  );
  const clipsOfRuns = useStore(useShallow((s) => s.experiment.runs.map((r) => r.stabilizers.clip)));
  const { data, domain } = useMemo(() => {
    const opts = (r: number) => ({ smoothing, hiddenLayers, showClipped, clip: clipsOfRuns[r] });
    const data = layerChartData(metrics.get(run), field, opts(run));
    if (!shared) return { data, domain: undefined };
    const runs = metrics.all().map((s) => {
      const c = s.run === run ? data : layerChartData(s, field, opts(s.run));
      return { series: c.series, refs: c.refLines, diverged: s.divergedAt !== null };
    });
    return { data, domain: runsYRange(runs, logScale).range };
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, run, field, smoothing, showClipped, hiddenLayers, clipsOfRuns, shared, logScale]);
  const s = metrics.get(run);
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={data.xs.length} data-shared-scale={shared ? 'true' : 'false'} aria-label={title}>
      <figcaption>
        <span>{title}</span>
        <PngButton name={testId} />
      </figcaption>
      <LineCanvas
        xs={data.xs}
        series={data.series}
        log={logScale}
        height={LAYER_CHART_HEIGHT[field]}
        yDomain={domain}
        refLines={data.refLines}
        markers={divergedMarkers(s ? [s] : [], 'short')}
        onToggle={toggleLayer}
        format={fmt}
        formatTick={fmtTick}
        legendNote={<LayerOrderNote />}
      />
    </figure>
  );
}

const RUN_METRIC: Record<RunMetric, { title: string; caption: string; log: boolean; height: number }> = {
  loss: { title: 'Loss', caption: 'Loss (line: training batch; dots: held-out test set)', log: true, height: 240 },
  acc: { title: 'Accuracy', caption: 'Accuracy (line: training batch; dots: held-out test set)', log: false, height: 220 },
  lr: { title: 'Learning rate', caption: 'Learning rate used at each step (schedule and warm-up)', log: false, height: 180 },
};

/**
 * One quantity of every run over steps on shared axes (train line, test dots
 * where evaluated). The loss axis is clamped at a robust upper bound, so a
 * diverging run's last losses do not squash the others' (values above are
 * drawn at the edge, marked), and it labels each run's diverged step.
 */
export function RunsChart({ metric, testId }: { metric: RunMetric; testId: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(400, figRef);
  const { smoothing, hiddenLayers, toggleLayer } = useStore(useShallow((s) => ({ smoothing: s.smoothing, hiddenLayers: s.hiddenLayers, toggleLayer: s.toggleLayer })));
  const labels = useStore(useShallow((s) => s.experiment.runs.map((r) => r.label)));
  const batchNorm = useStore((s) => s.experiment.runs.some((r) => r.model.norm === 'batch'));
  const m = RUN_METRIC[metric];
  const all = metrics.all();
  const { data, domain } = useMemo(() => {
    const data = runsChartData(metrics.all(), metric, labels, { smoothing, hiddenLayers });
    // The loss axis: one range over the runs, clamped above once one has diverged.
    const runs = metrics.all().map((s) => ({ series: data.series.filter((l) => l.key.endsWith(` ${s.run}`)), diverged: s.divergedAt !== null }));
    const domain = metric === 'acc' ? ([0, 1] as [number, number]) : metric === 'loss' ? runsYRange(runs, true).range : undefined;
    return { data, domain };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, smoothing, metric, labels, hiddenLayers]);
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={data.xs.length} aria-label={m.title}>
      <figcaption>
        <span>{m.caption}</span>
        <PngButton name={testId} />
      </figcaption>
      <LineCanvas
        xs={data.xs}
        series={data.series}
        log={m.log}
        height={m.height}
        yDomain={domain}
        markers={divergedMarkers(all, metric === 'loss' ? 'long' : 'none', labels)}
        onToggle={(key) => toggleLayer(`${metric}:${key}`)}
        format={fmt}
        formatTick={fmtTick}
      />
      {metric === 'loss' && batchNorm ? (
        <p className="small muted chart-note" data-testid="batchnorm-note" style={{ margin: '4px 6px 0', fontSize: CHART_FONT_PX }}>
          BatchNorm: at step 0 the test loss uses the moving statistics, which start at mean 0 and variance 1 instead of the batch's own, so it starts far above the training loss; they catch up within a few dozen steps.
        </p>
      ) : null}
    </figure>
  );
}

const HEAT_PAD = { top: 10, bottom: 24, gap: 8, bar: 14 };

/** Layer × step heatmap on its canvas: layer labels, step axis, colour bar (all drawn, so the PNG has them). */
function drawHeatmap(canvas: HTMLCanvasElement, width: number, height: number, grid: HeatGrid, names: readonly string[], range: [number, number], clipped: boolean): void {
  const pal = chartPalette();
  const dpr = fitCanvas(canvas, width, height);
  const ctx = context2d(canvas);
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = pal.background;
  ctx.fillRect(0, 0, width, height);
  ctx.font = CHART_FONT;
  const L = grid.layers;
  const W = grid.steps.length;
  const top = HEAT_PAD.top;
  const plotH = height - HEAT_PAD.top - HEAT_PAD.bottom;
  const [lo, hi] = range;
  // colour-bar ticks: decades when the range spans two or more
  const span = hi - lo;
  const barTicks = (span >= 2 ? niceTicks(lo, hi, 4).filter((t) => Number.isInteger(t)) : niceTicks(lo, hi, 3)).filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
  const tickText = (t: number) => fmtTick(10 ** t);
  const barTextW = Math.max(0, ...barTicks.map((t) => ctx.measureText(tickText(t)).width));
  const right = width - (HEAT_PAD.gap + HEAT_PAD.bar + 5 + barTextW + 4);
  const shown = labelledLayers(L, plotH, CHART_FONT_PX + 2);
  const labelW = Math.max(ctx.measureText('step').width, ...shown.map((l) => ctx.measureText(layerLabel(names, l)).width));
  const left = Math.min(Math.round(width * 0.45), Math.ceil(labelW) + 10);
  if (right - left < 20 || plotH < 10) return;

  // cells
  if (L > 0 && W > 0) {
    const cells = document.createElement('canvas');
    cells.width = W;
    cells.height = L;
    const cctx = context2d(cells);
    if (cctx) {
      const img = cctx.createImageData(W, L);
      const bad = nonFiniteRgb();
      for (let l = 0; l < L; l++)
        for (let x = 0; x < W; x++) {
          const v = grid.values[l * W + x];
          const p = (l * W + x) * 4;
          const rgb = !Number.isFinite(v) ? bad : heatRgb(v > 0 ? (Math.log10(v) - lo) / (hi - lo || 1) : 0);
          img.data[p] = rgb[0];
          img.data[p + 1] = rgb[1];
          img.data[p + 2] = rgb[2];
          img.data[p + 3] = 255;
        }
      cctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(cells, left, top, right - left, plotH);
    }
  }
  ctx.strokeStyle = pal.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(left - 0.5, top - 0.5, right - left + 1, plotH + 1);

  // layer labels, input at the top
  ctx.fillStyle = pal.text;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const l of shown) ctx.fillText(layerLabel(names, l), left - 6, top + ((l + 0.5) * plotH) / L);

  // step axis
  ctx.textBaseline = 'top';
  const bottom = top + plotH;
  if (W > 0) {
    const s0 = grid.steps[0];
    const s1 = grid.steps[W - 1];
    const xOf = (step: number) => left + ((columnOf(grid.steps, step) + 0.5) / W) * (right - left);
    const ticks = s1 > s0 ? niceTicks(s0, s1, Math.max(2, Math.floor((right - left) / 80))).filter((t) => Number.isInteger(t)) : [s0];
    ctx.textAlign = 'center';
    ctx.beginPath();
    for (const t of ticks) {
      const x = Math.round(xOf(t)) + 0.5;
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom + 4);
    }
    ctx.stroke();
    for (const t of ticks) ctx.fillText(String(t), Math.min(right, Math.max(left, xOf(t))), bottom + 6);
  }
  ctx.textAlign = 'right';
  ctx.fillStyle = pal.text;
  ctx.fillText('step', left - 6, bottom + 6);

  // colour bar, low at the bottom
  const bx = right + HEAT_PAD.gap;
  for (let y = 0; y < plotH; y++) {
    const [r, g, b] = heatRgb(1 - (y + 0.5) / plotH);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(bx, top + y, HEAT_PAD.bar, 1);
  }
  ctx.strokeStyle = pal.axis;
  ctx.strokeRect(bx - 0.5, top - 0.5, HEAT_PAD.bar + 1, plotH + 1);
  if (clipped) {
    // values above the top of the scale take its colour: a cap on the bar says so
    const [r, g, b] = heatRgb(1);
    ctx.beginPath();
    ctx.moveTo(bx - 0.5, top - 0.5);
    ctx.lineTo(bx + HEAT_PAD.bar / 2, top - HEAT_PAD.top + 0.5);
    ctx.lineTo(bx + HEAT_PAD.bar + 0.5, top - 0.5);
    ctx.closePath();
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fill();
    ctx.strokeStyle = pal.clippedMark;
    ctx.stroke();
  }
  ctx.fillStyle = pal.text;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const t of barTicks) {
    const y = top + (1 - (t - lo) / (span || 1)) * plotH;
    ctx.fillRect(bx + HEAT_PAD.bar, Math.round(y), 3, 1);
    ctx.fillText(tickText(t), bx + HEAT_PAD.bar + 5, Math.min(bottom - 6, Math.max(top + 6, y)));
  }
}

/** Height of the heatmap's cells area for L layers. */
function heatmapPlotHeight(L: number): number {
  return Math.min(256, Math.max(96, L * 16));
}

/**
 * Layer × step heatmap of a per-layer norm on a log colour scale, on a canvas:
 * rows are layers (input at the top), columns recorded steps (decimated), with
 * the layer names, a step axis and a colour bar. With shared scales every
 * run's heatmap uses one colour range.
 */
export function LayerHeatmap({ run, field = 'gradNorm', testId = 'layer-heatmap' }: { run: number; field?: LayerField; testId?: string }) {
  const figRef = useRef<HTMLElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const shared = useSharedScales();
  const version = useMetricsVersion(500, figRef, shared ? undefined : run);
  const ref = useRef<HTMLCanvasElement>(null);
  const width = useWidth(boxRef);
  const s = metrics.get(run);
  const names = s?.layerNames ?? [];
  const height = heatmapPlotHeight(names.length) + HEAT_PAD.top + HEAT_PAD.bottom;
  const { grid, range, clipped } = useMemo(() => {
    const grid = heatGrid(metrics.get(run), field);
    const runs = shared ? metrics.all() : [metrics.get(run)];
    const { range, clipped } = logColorRange(
      runs.map((o) => ({ series: gridSeries(o?.run === run ? grid : heatGrid(o, field)), diverged: o !== undefined && o.divergedAt !== null })),
    );
    return { grid, range, clipped };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, run, field, shared]);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    canvas.dataset.columns = String(grid.steps.length);
    canvas.dataset.colorMin = String(10 ** range[0]);
    canvas.dataset.colorMax = String(10 ** range[1]);
    canvas.dataset.colorClipped = String(clipped);
    if (width > 0) drawHeatmap(canvas, width, height, grid, metrics.get(run)?.layerNames ?? [], range, clipped);
  }, [grid, range, clipped, width, height, run]);
  return (
    <figure ref={figRef} className="chart heatmap" data-testid={testId} data-shared-scale={shared ? 'true' : 'false'} aria-label="Layer by step heatmap of the gradient norm">
      <figcaption>
        <span>
          Layer × step heatmap of ‖∂L/∂W‖, log colour scale (dark small → yellow large; red: not finite)
          {shared ? <span className="muted"> · one colour scale for all runs</span> : null}
          {clipped ? <span className="muted"> · values above the scale (▲) in its top colour</span> : null}
        </span>
        <PngButton name={testId} />
      </figcaption>
      <div ref={boxRef} style={{ width: '100%' }}>
        <canvas ref={ref} className="heatmap-plot" style={{ display: 'block', width: '100%', height }} role="img" aria-label={`Heatmap of ${names.length} layers over ${grid.steps.length} recorded steps`} />
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
    ctx.fillStyle = chartPalette().background;
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
            img.data.set(boundaryRgba(q), o);
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
      ctx.strokeStyle = chartPalette().background;
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
