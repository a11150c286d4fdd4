/**
 * The drawing of a line chart (LineCanvas.tsx) on its canvas, in one pass: the
 * grid and axes, the lines and dots, the marks of values beyond the y range,
 * reference lines, step markers with their labels, and the cursor's read-out
 * line and dots.
 */
import { CHART_FONT, CHART_FONT_PX, boxedText, context2d, fitCanvas, outlinedDot } from './canvas.ts';
import { chartPalette } from './colors.ts';
import { logTicks, niceTicks, type Range } from './chartScale.ts';
import type { LineCanvasProps } from './LineCanvas.tsx';

export const PAD = { left: 60, right: 14, top: 12, bottom: 24 };

interface Scale {
  toPx: (v: number) => number;
  ticks: number[];
}

export function yScale(lo: number, hi: number, log: boolean, top: number, bottom: number): Scale {
  if (log) {
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    const span = l1 - l0 || 1;
    return { toPx: (v) => bottom - ((Math.log10(v) - l0) / span) * (bottom - top), ticks: logTicks(lo, hi) };
  }
  const span = hi - lo || 1;
  return { toPx: (v) => bottom - ((v - lo) / span) * (bottom - top), ticks: niceTicks(lo, hi) };
}

/**
 * The key of the visible line nearest to the pointer's y (CSS px from the top of
 * a chart `height` px tall) at x index `i`, within `reach` px; null: none.
 */
export function pickLine(
  series: readonly { key: string; values: readonly (number | null)[]; hidden?: boolean }[],
  i: number,
  y: number,
  range: Range,
  log: boolean,
  height: number,
  reach = 12,
): string | null {
  const ys = yScale(range[0], range[1], log, PAD.top, height - PAD.bottom);
  let best: string | null = null;
  let bestD = reach;
  for (const s of series) {
    const v = s.values[i];
    if (s.hidden || v === null || v === undefined || !Number.isFinite(v) || (log && v <= 0)) continue;
    const d = Math.abs(ys.toPx(Math.min(range[1], Math.max(range[0], v))) - y);
    if (d < bestD) {
      bestD = d;
      best = s.key;
    }
  }
  return best;
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

/** Draws the chart; returns the number of values drawn at the edge (beyond the y range). */
export function draw(canvas: HTMLCanvasElement, width: number, p: LineCanvasProps, range: Range, cursor: number | null): number {
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
  // A highlighted line (a layer picked in the network view or a chart) is drawn last and bold, the others faint.
  const hl = p.highlight != null && series.some((s) => s.key === p.highlight && !s.hidden) ? p.highlight : null;
  const ordered = hl === null ? series : [...series.filter((s) => s.key !== hl), ...series.filter((s) => s.key === hl)];
  for (const s of ordered) {
    if (s.hidden) continue;
    ctx.globalAlpha = hl !== null && s.key !== hl ? 0.3 : 1;
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
        outlinedDot(ctx, xPx(xs[i]), yPx(v), 3.5, s.color, pal.background);
      }
      continue;
    }
    ctx.lineWidth = (s.width ?? 1.5) * (s.key === hl ? 2.4 : 1);
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
  ctx.globalAlpha = 1;
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
