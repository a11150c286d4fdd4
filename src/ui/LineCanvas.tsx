/**
 * A line chart drawn on a canvas, for the charts that update while training.
 *
 * recharts renders every point as SVG through React and its own store; with
 * seven layer lines on three charts that cost 100–300 ms of main-thread time
 * per update here, far over the 50 ms budget of a frame. This component draws
 * the same picture (log or linear y axis, grid, reference lines, a marked
 * step, dots for sparse series) in one canvas pass of a few milliseconds, and
 * keeps what a reader needs in the DOM: the legend (click to hide a line), a
 * tooltip with exact values under the pointer or the arrow keys, and the
 * marker's label.
 */
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { context2d } from './canvas.ts';

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
  /** Fixed y range (linear axes), e.g. [0, 1] for accuracy. */
  yDomain?: [number, number];
  refLines?: readonly RefLine[];
  markers?: readonly XMarker[];
  onToggle?: (key: string) => void;
  format: (v: number) => string;
  formatTick: (v: number) => string;
  /** Name of the x quantity in the tooltip. */
  xName?: string;
}

const PAD = { left: 58, right: 12, top: 8, bottom: 22 };
const GRID = '#e3e3e3';
const AXIS_TEXT = '#555';
const FONT = '11px system-ui, sans-serif';

interface Scale {
  toPx: (v: number) => number;
  ticks: number[];
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

/** The y range covering every visible finite value (and the reference lines), padded a little. */
export function yRange(series: readonly LineSeries[], log: boolean, refs: readonly RefLine[], fixed?: [number, number]): [number, number] {
  if (fixed) return fixed;
  let lo = Infinity;
  let hi = -Infinity;
  const see = (v: number | null) => {
    if (v === null || !Number.isFinite(v) || (log && v <= 0)) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  };
  for (const s of series) if (!s.hidden) for (const v of s.values) see(v);
  for (const r of refs) see(r.y);
  if (!(lo <= hi)) return log ? [0.1, 10] : [0, 1];
  if (log) {
    if (lo === hi) return [lo / 2, hi * 2];
    const pad = (Math.log10(hi) - Math.log10(lo)) * 0.04;
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (lo === hi) return [lo - (Math.abs(lo) || 1) / 2, hi + (Math.abs(hi) || 1) / 2];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
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

function draw(canvas: HTMLCanvasElement, width: number, p: LineCanvasProps, cursor: number | null): void {
  const { xs, series, log, height } = p;
  const dpr = Math.min(3, window.devicePixelRatio || 1);
  const W = Math.max(1, Math.round(width * dpr));
  const H = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  const ctx = context2d(canvas);
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const left = PAD.left;
  const right = width - PAD.right;
  const top = PAD.top;
  const bottom = height - PAD.bottom;
  if (right <= left || bottom <= top) return;

  const refs = p.refLines ?? [];
  const [ylo, yhi] = yRange(series, log, refs, p.yDomain);
  const ys = yScale(ylo, yhi, log, top, bottom);
  const x0 = xs.length ? xs[0] : 0;
  const x1 = xs.length ? xs[xs.length - 1] : 1;
  const xspan = x1 - x0 || 1;
  const xPx = (x: number) => left + ((x - x0) / xspan) * (right - left);
  const xticks = xs.length > 1 ? niceTicks(x0, x1, Math.max(2, Math.floor((right - left) / 70))).filter((t) => Number.isInteger(t)) : xs.slice(0, 1);

  // grid and axes
  ctx.font = FONT;
  ctx.lineWidth = 1;
  ctx.strokeStyle = GRID;
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
  ctx.strokeStyle = '#999';
  ctx.beginPath();
  ctx.moveTo(left + 0.5, top);
  ctx.lineTo(left + 0.5, bottom + 0.5);
  ctx.lineTo(right, bottom + 0.5);
  ctx.stroke();
  ctx.fillStyle = AXIS_TEXT;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of ys.ticks) ctx.fillText(p.formatTick(t), left - 5, ys.toPx(t));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xticks) ctx.fillText(String(t), xPx(t), bottom + 5);

  // data, clipped to the plot area
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top - 1, right - left + 1, bottom - top + 2);
  ctx.clip();
  const ok = (v: number | null): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);
  for (const s of series) {
    if (s.hidden) continue;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    if (s.dots) {
      for (let i = 0; i < xs.length; i++) {
        const v = s.values[i];
        if (!ok(v)) continue;
        ctx.beginPath();
        ctx.arc(xPx(xs[i]), ys.toPx(v), 3.5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.lineWidth = 1;
        ctx.strokeStyle = '#fff';
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
      const y = ys.toPx(v);
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([2, 4]);
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#7a7a7a';
  ctx.fillStyle = '#7a7a7a';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  for (const r of refs) {
    if (log && r.y <= 0) continue;
    const y = Math.round(ys.toPx(r.y)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.fillText(r.label, right - 2, y - 2);
  }
  ctx.setLineDash([4, 2]);
  for (const m of p.markers ?? []) {
    const x = Math.round(xPx(m.x)) + 0.5;
    ctx.strokeStyle = m.color;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  if (cursor !== null && cursor < xs.length) {
    const x = Math.round(xPx(xs[cursor])) + 0.5;
    ctx.strokeStyle = '#888';
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    for (const s of series) {
      const v = s.values[cursor];
      if (s.hidden || !ok(v)) continue;
      ctx.fillStyle = s.color;
      ctx.beginPath();
      ctx.arc(x, ys.toPx(v), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}

export function LineCanvas(props: LineCanvasProps) {
  const { xs, series, height, onToggle, format } = props;
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [cursor, setCursor] = useState<number | null>(null);
  const c = cursor !== null && cursor < xs.length ? cursor : null;

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
    if (canvas && width > 0) draw(canvas, width, props, c);
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
        {(props.markers ?? []).filter((m) => m.label).map((m) => (
          <span
            key={`${m.x}-${m.label}`}
            className="line-canvas-marker"
            style={{ color: m.color, left: Math.max(PAD.left + 90, PAD.left + ((m.x - (xs[0] ?? 0)) / ((xs[xs.length - 1] ?? 1) - (xs[0] ?? 0) || 1)) * (width - PAD.left - PAD.right) - 3) }}
          >
            {m.label}
          </span>
        ))}
        {c !== null ? (
          <div className="line-canvas-tip" role="status" style={tipLeft > width / 2 ? { right: width - tipLeft + 8 } : { left: tipLeft + 8 }}>
            <div className="tip-x">
              {props.xName ?? 'step'} {xs[c]}
            </div>
            {series
              .filter((s) => !s.hidden && s.values[c] !== null && s.values[c] !== undefined)
              .map((s) => (
                <div key={s.key}>
                  <span className="swatch" style={{ background: s.color }} /> {s.name}: {format(s.values[c] as number)}
                </div>
              ))}
          </div>
        ) : null}
      </div>
      <ul className="legend" aria-label="Lines (click to hide or show)">
        {series
          .filter((s) => !s.key.startsWith('_'))
          .map((s) => (
            <li key={s.key} className={`legend-item${s.hidden ? ' inactive' : ''}`} data-color={s.color}>
              <button type="button" aria-pressed={!s.hidden} onClick={() => onToggle?.(s.key)} disabled={!onToggle}>
                <span className={`swatch${s.dots ? ' dot' : ''}${s.dash ? ' dash' : ''}`} style={{ background: s.dash ? undefined : s.color, borderColor: s.color }} />
                {s.name}
              </button>
            </li>
          ))}
      </ul>
    </div>
  );
}
