/**
 * A line chart drawn on a canvas, for the charts that update while training.
 *
 * recharts renders every point as SVG through React and its own store; with
 * seven layer lines on three charts that cost 100–300 ms of main-thread time
 * per update here, far over the 50 ms budget of a frame. This component draws
 * the same picture (log or linear y axis, grid, reference lines, labelled
 * step markers, dots for sparse series) in one canvas pass of a few
 * milliseconds, and keeps what a reader needs in the DOM: the legend (click to
 * hide a line), a tooltip with exact values under the pointer or the arrow
 * keys, and the markers' labels (also drawn, so that a PNG of the canvas
 * carries them).
 *
 * The y range is the data's, or a given one (`yDomain`: a range shared by
 * several runs' charts, or the loss axis clamped below a diverging run's
 * spike). Values beyond it are drawn at the edge with a triangle mark and a
 * note; the tooltip shows their true values. The canvas carries the range as
 * `data-y-min` / `data-y-max` and the number of such points as `data-clipped`.
 */
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { CHART_FONT, CHART_FONT_PX, boxedText, context2d, fitCanvas } from './canvas.ts';
import { chartPalette } from './colors.ts';
import { logTicks, niceTicks, yRange, type Range } from './chartScale.ts';

export { logTicks, niceTicks, yRange };

export interface LineSeries {
  key: string;
  name: string;
  color: string;
  /** One value per x; null or a non-finite value leaves a gap. */
  values: readonly (number | null)[];
  width?: number;
  dash?: number[];
  /** Draw dots instead of a line (sparse series, e.g. test metrics). */
  dots?: boolean;
  hidden?: boolean;
}

export interface RefLine {
  y: number;
  label: string;
}

export interface XMarker {
  x: number;
  label: string;
  color: string;
}

export interface LineCanvasProps {
  xs: readonly number[];
  series: readonly LineSeries[];
  log: boolean;
  height: number;
  /** Fixed y range: [0, 1] for accuracy, a range shared across runs, or a clamped loss axis. */
  yDomain?: Range;
  refLines?: readonly RefLine[];
  markers?: readonly XMarker[];
  onToggle?: (key: string) => void;
  format: (v: number) => string;
  formatTick: (v: number) => string;
  /** Name of the x quantity in the tooltip. */
  xName?: string;
  /** Shown before the legend entries (not an entry itself). */
  legendNote?: ReactNode;
}

const PAD = { left: 60, right: 14, top: 12, bottom: 24 };

/** Hidden from sight, kept for screen readers and tests. */
export const VISUALLY_HIDDEN: CSSProperties = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
};

interface Scale {
  toPx: (v: number) => number;
  ticks: number[];
}

function yScale(lo: number, hi: number, log: boolean, top: number, bottom: number): Scale {
  if (log) {
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    const span = l1 - l0 || 1;
    return { toPx: (v) => bottom - ((Math.log10(v) - l0) / span) * (bottom - top), ticks: logTicks(lo, hi) };
  }
  const span = hi - lo || 1;
  return { toPx: (v) => bottom - ((v - lo) / span) * (bottom - top), ticks: niceTicks(lo, hi) };
}

/** Index of the x nearest to `x` in an ascending array. */
function nearest(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
}

/** Boxes already taken by labels at the top of the plot: a new label goes to the first free row. */
class LabelRows {
  private boxes: { x0: number; x1: number; row: number }[] = [];
  place(x0: number, x1: number): number {
    for (let row = 0; ; row++) {
      if (!this.boxes.some((b) => b.row === row && b.x0 < x1 + 4 && x0 < b.x1 + 4)) {
        this.boxes.push({ x0, x1, row });
        return row;
      }
    }
  }
}

function draw(canvas: HTMLCanvasElement, width: number, p: LineCanvasProps, range: Range, cursor: number | null): number {
  const { xs, series, log, height } = p;
  const pal = chartPalette();
  const dpr = fitCanvas(canvas, width, height);
  const ctx = context2d(canvas);
  if (!ctx) return 0;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = pal.background;
  ctx.fillRect(0, 0, width, height);
  const left = PAD.left;
  const right = width - PAD.right;
  const top = PAD.top;
  const bottom = height - PAD.bottom;
  if (right <= left || bottom <= top) return 0;

  const refs = p.refLines ?? [];
  const [ylo, yhi] = range;
  const ys = yScale(ylo, yhi, log, top, bottom);
  const x0 = xs.length ? xs[0] : 0;
  const x1 = xs.length ? xs[xs.length - 1] : 1;
  const xspan = x1 - x0 || 1;
  const xPx = (x: number) => left + ((x - x0) / xspan) * (right - left);
  const xticks = xs.length > 1 ? niceTicks(x0, x1, Math.max(2, Math.floor((right - left) / 80))).filter((t) => Number.isInteger(t)) : xs.slice(0, 1);

  // grid and axes
  ctx.font = CHART_FONT;
  ctx.lineWidth = 1;
  ctx.strokeStyle = pal.grid;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  for (const t of ys.ticks) {
    const y = Math.round(ys.toPx(t)) + 0.5;
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
  }
  for (const t of xticks) {
    const x = Math.round(xPx(t)) + 0.5;
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = pal.axis;
  ctx.beginPath();
  ctx.moveTo(left + 0.5, top);
  ctx.lineTo(left + 0.5, bottom + 0.5);
  ctx.lineTo(right, bottom + 0.5);
  ctx.stroke();
  ctx.fillStyle = pal.text;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of ys.ticks) ctx.fillText(p.formatTick(t), left - 5, ys.toPx(t));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xticks) ctx.fillText(String(t), xPx(t), bottom + 5);

  // data: values beyond the y range are drawn at the edge and marked
  const ok = (v: number | null): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);
  const yPx = (v: number) => (v > yhi ? top : v < ylo ? bottom : ys.toPx(v));
  const beyond: { x: number; up: boolean; color: string }[] = [];
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top - 1, right - left + 1, bottom - top + 2);
  ctx.clip();
  for (const s of series) {
    if (s.hidden) continue;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    for (let i = 0; i < xs.length; i++) {
      const v = s.values[i];
      if (ok(v) && (v > yhi || v < ylo)) beyond.push({ x: xPx(xs[i]), up: v > yhi, color: s.color });
    }
    if (s.dots) {
      for (let i = 0; i < xs.length; i++) {
        const v = s.values[i];
        if (!ok(v) || v > yhi || v < ylo) continue;
        ctx.beginPath();
        ctx.arc(xPx(xs[i]), yPx(v), 3.5, 0, 2 * Math.PI);
        ctx.fillStyle = s.color;
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = pal.background;
        ctx.stroke();
      }
      continue;
    }
    ctx.lineWidth = s.width ?? 1.5;
    ctx.setLineDash(s.dash ?? []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const v = s.values[i];
      if (!ok(v)) {
        pen = false;
        continue;
      }
      const x = xPx(xs[i]);
      const y = yPx(v);
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();
  // the marks of clipped values: a triangle at the edge, one per few pixels
  let lastX = -Infinity;
  for (const b of beyond.sort((a, c) => a.x - c.x)) {
    if (b.x - lastX < 5) continue;
    lastX = b.x;
    const y = b.up ? top : bottom;
    const d = b.up ? -1 : 1;
    ctx.beginPath();
    ctx.moveTo(b.x - 5, y);
    ctx.lineTo(b.x + 5, y);
    ctx.lineTo(b.x, y + d * 8);
    ctx.closePath();
    ctx.fillStyle = b.color;
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = pal.clippedMark;
    ctx.stroke();
  }

  // reference lines, their labels on top of the data
  ctx.font = CHART_FONT;
  for (const r of refs) {
    if (log && r.y <= 0) continue;
    if (r.y > yhi || r.y < ylo) continue;
    const y = Math.round(ys.toPx(r.y)) + 0.5;
    ctx.setLineDash([2, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = pal.reference;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.setLineDash([]);
    const w = ctx.measureText(r.label).width;
    const above = y - top > CHART_FONT_PX + 6;
    boxedText(ctx, r.label, right - 4 - w, above ? y - CHART_FONT_PX - 3 : y + 3, { color: pal.reference, background: pal.labelBackground });
  }

  // step markers: the line, then the label at the top, beside the line
  const rows = new LabelRows();
  const labelAt = (text: string, x: number, color: string, prefer: 'left' | 'right') => {
    const w = ctx.measureText(text).width;
    const leftSide = prefer === 'left' ? x - 6 - w >= left + 2 : x + 6 + w > right - 2;
    const tx = leftSide ? x - 6 - w : x + 6;
    const row = rows.place(tx, tx + w);
    boxedText(ctx, text, tx, top + 2 + row * (CHART_FONT_PX + 5), { color, background: pal.labelBackground });
  };
  ctx.setLineDash([4, 2]);
  ctx.lineWidth = 1.5;
  for (const m of p.markers ?? []) {
    const x = Math.round(xPx(m.x)) + 0.5;
    ctx.strokeStyle = m.color;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  if (beyond.length) {
    const up = beyond.some((b) => b.up);
    const text = `${up ? '▲' : '▼'} clipped: ${beyond.length === 1 ? 'a value' : `${beyond.length} values`} ${up ? 'above' : 'below'} the axis`;
    const w = ctx.measureText(text).width;
    rows.place(right - w - 4, right);
    boxedText(ctx, text, right - 4, top + 2, { color: pal.clippedMark, align: 'right', background: pal.labelBackground });
  }
  for (const m of p.markers ?? []) if (m.label) labelAt(m.label, Math.round(xPx(m.x)) + 0.5, m.color, 'left');

  if (cursor !== null && cursor < xs.length) {
    const x = Math.round(xPx(xs[cursor])) + 0.5;
    ctx.strokeStyle = pal.cursor;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    for (const s of series) {
      const v = s.values[cursor];
      if (s.hidden || !ok(v)) continue;
      ctx.fillStyle = s.color;
      ctx.beginPath();
      ctx.arc(x, yPx(v), 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  return beyond.length;
}

/** A legend swatch drawn like its line: solid, dashed (same dash pattern) or a dot. */
export function Swatch({ color, dash, dots, width }: { color: string; dash?: number[]; dots?: boolean; width?: number }) {
  return (
    <svg className="legend-swatch" width={20} height={10} viewBox="0 0 20 10" aria-hidden="true" style={{ verticalAlign: 'middle', marginRight: 4, flex: 'none' }}>
      {dots ? (
        <circle cx={10} cy={5} r={4} fill={color} />
      ) : (
        <line x1={0} y1={5} x2={20} y2={5} stroke={color} strokeWidth={Math.max(2, width ?? 1.5)} strokeDasharray={dash?.join(' ')} />
      )}
    </svg>
  );
}

export function LineCanvas(props: LineCanvasProps) {
  const { xs, series, height, onToggle, format, log } = props;
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [cursor, setCursor] = useState<number | null>(null);
  const c = cursor !== null && cursor < xs.length ? cursor : null;
  const range = yRange(series, log, props.refLines ?? [], props.yDomain);

  useLayoutEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver !== 'function') return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    canvas.dataset.yMin = String(range[0]);
    canvas.dataset.yMax = String(range[1]);
    if (width > 0) canvas.dataset.clipped = String(draw(canvas, width, props, range, c));
  });

  const onPointer = (e: PointerEvent<HTMLCanvasElement>) => {
    if (!xs.length || width <= PAD.left + PAD.right) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const f = (e.clientX - rect.left - PAD.left) / (width - PAD.left - PAD.right);
    const x = xs[0] + Math.min(1, Math.max(0, f)) * (xs[xs.length - 1] - xs[0]);
    setCursor(nearest(xs, x));
  };
  const onKey = (e: KeyboardEvent<HTMLCanvasElement>) => {
    if (!xs.length) return;
    const last = xs.length - 1;
    const step = e.shiftKey ? 10 : 1;
    if (e.key === 'ArrowLeft') setCursor(Math.max(0, (c ?? last) - step));
    else if (e.key === 'ArrowRight') setCursor(Math.min(last, (c ?? 0) + step));
    else if (e.key === 'Home') setCursor(0);
    else if (e.key === 'End') setCursor(last);
    else if (e.key === 'Escape') setCursor(null);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  const tipLeft = c !== null && width > 0 ? PAD.left + ((xs[c] - xs[0]) / (xs[xs.length - 1] - xs[0] || 1)) * (width - PAD.left - PAD.right) : 0;
  const offAxis = (v: number) => Number.isFinite(v) && (v > range[1] || v < range[0]) && (!log || v > 0);
  const markers = (props.markers ?? []).filter((m) => m.label);
  return (
    <div className="line-canvas">
      <div ref={boxRef} className="line-canvas-plot" style={{ height }}>
        <canvas
          ref={canvasRef}
          style={{ width: '100%', height }}
          tabIndex={0}
          aria-label="Chart; arrow keys move the read-out"
          onPointerMove={onPointer}
          onPointerLeave={() => setCursor(null)}
          onKeyDown={onKey}
          onBlur={() => setCursor(null)}
        />
        {markers.length ? (
          <ul style={VISUALLY_HIDDEN} aria-label="Marked steps">
            {markers.map((m) => (
              <li key={`${m.x}-${m.label}`} className="line-canvas-marker-label" data-testid="chart-marker" data-x={m.x}>
                {m.label}
              </li>
            ))}
          </ul>
        ) : null}
        {c !== null ? (
          <div
            className="line-canvas-tip"
            role="status"
            style={{ fontSize: CHART_FONT_PX, ...(tipLeft > width / 2 ? { right: width - tipLeft + 8 } : { left: tipLeft + 8 }) }}
          >
            <div className="tip-x">
              {props.xName ?? 'step'} {xs[c]}
            </div>
            {series
              .filter((s) => !s.hidden && s.values[c] !== null && s.values[c] !== undefined)
              .map((s) => {
                const v = s.values[c] as number;
                return (
                  <div key={s.key}>
                    <Swatch color={s.color} dash={s.dash} dots={s.dots} width={s.width} /> {s.name}: {format(v)}
                    {offAxis(v) ? <span style={{ color: chartPalette().clippedMark }}> (off the axis)</span> : null}
                  </div>
                );
              })}
          </div>
        ) : null}
      </div>
      <ul className="legend" aria-label="Lines (click to hide or show)" style={{ fontSize: CHART_FONT_PX }}>
        {props.legendNote ? (
          <li className="legend-note" style={{ display: 'inline-flex', alignItems: 'center', padding: '1px 2px' }}>
            {props.legendNote}
          </li>
        ) : null}
        {series
          .filter((s) => !s.key.startsWith('_'))
          .map((s) => (
            <li key={s.key} className={`legend-item${s.hidden ? ' inactive' : ''}`} data-color={s.color} data-dash={s.dash?.join(' ')} data-dots={s.dots ? '' : undefined}>
              <button type="button" aria-pressed={!s.hidden} onClick={() => onToggle?.(s.key)} disabled={!onToggle} style={{ display: 'inline-flex', alignItems: 'center' }}>
                <Swatch color={s.hidden ? chartPalette().inactive : s.color} dash={s.dash} dots={s.dots} width={s.width} />
                {s.name}
              </button>
            </li>
          ))}
      </ul>
    </div>
  );
}
