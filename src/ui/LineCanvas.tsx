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
 * The canvas pass itself is in lineCanvasDraw.ts.
 */
import { useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { useWidth } from './useWidth.ts';
import { CHART_FONT_PX } from './canvas.ts';
import { chartPalette } from './colors.ts';
import { logTicks, niceTicks, yRange, type Range } from './chartScale.ts';
import { PAD, draw, pickLine } from './lineCanvasDraw.ts';

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
  /** Key of a line to draw bold (the others faint); none when null or absent. */
  highlight?: string | null;
  /** A click on the plot picks the visible line nearest to the pointer (within 12 px). */
  onPick?: (key: string) => void;
}

/** Hidden from sight, kept for screen readers and tests. */
export const VISUALLY_HIDDEN: CSSProperties = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
};

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
  const width = useWidth(boxRef);
  const [cursor, setCursor] = useState<number | null>(null);
  const c = cursor !== null && cursor < xs.length ? cursor : null;
  const range = yRange(series, log, props.refLines ?? [], props.yDomain);

  useLayoutEffect(() => {
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
  const onClick = (e: PointerEvent<HTMLCanvasElement>) => {
    if (!props.onPick || !xs.length || width <= PAD.left + PAD.right) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const f = (e.clientX - rect.left - PAD.left) / (width - PAD.left - PAD.right);
    const i = nearest(xs, xs[0] + Math.min(1, Math.max(0, f)) * (xs[xs.length - 1] - xs[0]));
    const best = pickLine(series, i, e.clientY - rect.top, range, log, height);
    if (best !== null) props.onPick(best);
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
          onClick={onClick}
          data-highlight={props.highlight ?? undefined}
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
