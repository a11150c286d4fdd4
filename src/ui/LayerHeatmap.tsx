/**
 * The layer × step heatmap of a per-layer norm: the component, and its drawing
 * on a canvas (cells, layer labels, step axis, colour bar).
 */
import { context2d, CHART_FONT, CHART_FONT_PX, fitCanvas } from './canvas.ts';
import { useLayoutEffect, useMemo, useRef } from 'react';
import { metrics, type LayerField } from './metrics.ts';
import { chartPalette, heatRgb, nonFiniteRgb } from './colors.ts';
import { logColorRange, niceTicks } from './chartScale.ts';
import { columnOf, fmtTick, gridSeries, heatGrid, labelledLayers, layerLabel, type HeatGrid } from './chartData.ts';
import { useMetricsVersion } from './useMetrics.ts';
import { PngButton } from './PngButton.tsx';
import { useSharedScales } from './Charts.tsx';
import { useWidth } from './useWidth.ts';
import { useStore } from './store.ts';

const HEAT_PAD = { top: 10, bottom: 24, gap: 8, bar: 14 };

/** Layer × step heatmap on its canvas: layer labels, step axis, colour bar (all drawn, so the PNG has them). */
function drawHeatmap(canvas: HTMLCanvasElement, width: number, height: number, grid: HeatGrid, names: readonly string[], range: [number, number], clipped: boolean, highlight = -1): void {
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
  // The layer picked in the network view or a chart: its row outlined, its name in bold.
  if (highlight >= 0 && highlight < L) {
    const y0 = top + (highlight * plotH) / L;
    ctx.strokeStyle = pal.text;
    ctx.lineWidth = 2;
    ctx.strokeRect(left - 1, y0 - 1, right - left + 2, plotH / L + 2);
    ctx.font = `bold ${CHART_FONT}`;
    ctx.fillText(layerLabel(names, highlight), left - 6, y0 + plotH / L / 2);
    ctx.font = CHART_FONT;
    ctx.lineWidth = 1;
  }

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
  const highlightName = useStore((st) => st.highlightLayer);
  const highlight = highlightName === null ? -1 : names.indexOf(highlightName);
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
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    canvas.dataset.columns = String(grid.steps.length);
    canvas.dataset.colorMin = String(10 ** range[0]);
    canvas.dataset.colorMax = String(10 ** range[1]);
    canvas.dataset.colorClipped = String(clipped);
    canvas.dataset.highlight = String(highlight);
    if (width > 0) drawHeatmap(canvas, width, height, grid, metrics.get(run)?.layerNames ?? [], range, clipped, highlight);
  }, [grid, range, clipped, width, height, run, highlight]);
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
