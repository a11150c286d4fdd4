/**
 * The network view's picture, on one canvas (so that its PNG is the canvas):
 * layers as columns of units, input on the left; edges between drawn units
 * coloured by sign, their thickness by |value| on a log scale shared by every
 * layer; each unit filled by its back-propagated signal |∂L/∂h| (batch RMS) on a
 * log scale shared by every layer, a dead unit hollow; conv layers as a strip
 * of cells, one per filter; under each column the layer's norms; a legend with
 * the numbers. Layout and scales are pure functions (networkDraw.test.ts); the
 * component is NetworkView.tsx.
 */
import type { EdgeQuantity, LayerUnits, UnitSnapshot } from '../engine/unitSnapshot.ts';
import { PLANE_N } from '../engine/unitSnapshot.ts';
import { outlinedDot } from './canvas.ts';

export const FONT_FAMILY = 'system-ui, sans-serif';
/** Columns narrower than this make the canvas wider than its box (it scrolls sideways). */
export const MIN_COLUMN_PX = 66;
/** Width of the row labels of the norms, left of the first column. */
export const LABEL_PX = 76;
/** Decades of the log scales below their maximum. */
export const EDGE_DECADES = 3;
export const SIGNAL_DECADES = 4;

export const POSITIVE = '#d55e00';
export const NEGATIVE = '#0072b2';
export const DIVERGED = '#d00000';
/** Unit fill, small → large |∂L/∂h| (light → dark red, readable at both ends against white). */
export const SIGNAL_STOPS = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704'] as const;

export interface LogScale {
  lo: number;
  hi: number;
}

/** A log scale over the finite non-zero magnitudes of `values`, `decades` below the largest (null: none). */
export function logScaleOf(values: Iterable<number>, decades: number): LogScale | null {
  let hi = 0;
  for (const v of values) {
    const a = Math.abs(v);
    if (Number.isFinite(a) && a > hi) hi = a;
  }
  if (!(hi > 0)) return null;
  return { lo: hi / 10 ** decades, hi };
}

/** Position of |v| on the scale, 0 (at or below lo) … 1 (hi); NaN for a non-finite v. */
export function logPosition(v: number, s: LogScale | null): number {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return NaN;
  if (!s || a <= s.lo) return 0;
  if (a >= s.hi) return 1;
  return Math.log10(a / s.lo) / Math.log10(s.hi / s.lo);
}

/** Colour of an edge by the sign of its value. */
export function signColor(v: number): string {
  return v < 0 ? NEGATIVE : POSITIVE;
}

/** Line width (CSS px) of an edge at scale position t. */
export function edgeWidth(t: number): number {
  return 0.35 + 3.65 * t;
}

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

function hexRgb(h: string): [number, number, number] {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Fill of a unit at scale position t (NaN: a non-finite signal, drawn red). */
export function signalColor(t: number): string {
  if (Number.isNaN(t)) return DIVERGED;
  const x = Math.min(1, Math.max(0, t)) * (SIGNAL_STOPS.length - 1);
  const i = Math.min(SIGNAL_STOPS.length - 2, Math.floor(x));
  const a = hexRgb(SIGNAL_STOPS[i]);
  const b = hexRgb(SIGNAL_STOPS[i + 1]);
  const f = x - i;
  return `rgb(${Math.round(lerp(a[0], b[0], f))}, ${Math.round(lerp(a[1], b[1], f))}, ${Math.round(lerp(a[2], b[2], f))})`;
}

/** A number in at most 7 characters: 0.012, 3.4, 1.2e-5, 3.1e+4, NaN, ∞. */
export function fmtShort(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 0.01 && a < 1000) return String(Number(v.toPrecision(2)));
  return v.toExponential(1).replace('e+', 'e');
}

export interface UnitSpot {
  /** Index of the unit in the layer (or input feature). */
  index: number;
  /** Index among the drawn ones. */
  k: number;
  x: number;
  y: number;
}

export interface Column {
  /** -1: the input column; else the layer's index. */
  layer: number;
  name: string;
  /** "2 inputs", "64 units (16 drawn)", "32 filters". */
  caption: string;
  /** A third header line: "16 shown" for a layer wider than the units drawn. */
  note: string;
  kind: 'input' | 'dense' | 'conv';
  x: number;
  /** Left and right edge of the column's band. */
  x0: number;
  x1: number;
  units: UnitSpot[];
  /** Conv strip: cells of `cell` px in `cols` columns from (cellX, top). */
  cell: number;
  cellCols: number;
  cellX: number;
}

export interface NetLayout {
  width: number;
  height: number;
  font: number;
  radius: number;
  columns: Column[];
  /** y of the first unit row and the last one. */
  top: number;
  bottom: number;
  /** y of the first norms line (three lines, `line` apart), the clip line and the legend. */
  normsY: number;
  clipY: number;
  legendY: number;
  line: number;
  legend: PlacedItem[];
}

/** Where everything goes at a box width of `boxWidth` CSS px (the canvas is wider when the columns need it). */
export function layoutNetwork(snap: UnitSnapshot, boxWidth: number, font = 13, legend: LegendItem[] = [], measure: Measure = roughMeasure): NetLayout {
  const line = Math.round(font * 1.35);
  const n = snap.layers.length + 1;
  const width = Math.max(boxWidth, LABEL_PX + n * MIN_COLUMN_PX + 8);
  const colW = (width - LABEL_PX - 8) / n;
  const radius = Math.max(5, Math.min(9, Math.floor(colW / 7)));
  const pitch = 2 * radius + 5;
  const maxDrawn = Math.max(snap.input.drawn.length, ...snap.layers.map((l) => (l.kind === 'conv' ? Math.min(16, l.drawn.length) : l.drawn.length)));
  const wide = snap.layers.some((l) => l.kind === 'dense' && l.units > l.drawn.length) || snap.input.size > snap.input.drawn.length;
  const top = 8 + (wide ? 3 : 2) * line + radius + 4;
  const span = (maxDrawn - 1) * pitch;
  const bottom = top + span;
  const mid = (top + bottom) / 2;
  const columns: Column[] = [];
  const place = (layer: number, count: number) => {
    const x0 = LABEL_PX + (layer + 1) * colW;
    return { x0, x1: x0 + colW, x: x0 + colW / 2, ys: Array.from({ length: count }, (_, k) => mid + (k - (count - 1) / 2) * pitch) };
  };
  {
    const p = place(-1, snap.input.drawn.length);
    const size = snap.input.size;
    columns.push({
      layer: -1,
      name: 'input',
      caption: snap.input.image ? `${size} pixels` : `${size} feature${size === 1 ? '' : 's'}`,
      note: size > snap.input.drawn.length ? `${snap.input.drawn.length} shown` : '',
      kind: 'input',
      x: p.x,
      x0: p.x0,
      x1: p.x1,
      units: snap.input.drawn.map((index, k) => ({ index, k, x: p.x, y: p.ys[k] })),
      cell: 0,
      cellCols: 0,
      cellX: 0,
    });
  }
  snap.layers.forEach((l, li) => {
    if (l.kind === 'conv') {
      const rows = Math.min(16, l.drawn.length);
      const cols = Math.ceil(l.drawn.length / rows);
      const cell = Math.max(4, Math.min(pitch, Math.floor((colW - 12) / cols)));
      const p = place(li, rows);
      const cellX = p.x - (cols * cell) / 2;
      const cellTop = mid - (rows * cell) / 2;
      columns.push({
        layer: li,
        name: l.name,
        caption: `${l.units} filters`,
        note: '',
        kind: 'conv',
        x: p.x,
        x0: p.x0,
        x1: p.x1,
        // A filter's spot is its cell's centre (edges of the dense head start there).
        units: l.drawn.map((index, k) => ({ index, k, x: cellX + (Math.floor(k / rows) + 0.5) * cell, y: cellTop + ((k % rows) + 0.5) * cell })),
        cell,
        cellCols: cols,
        cellX,
      });
      return;
    }
    const p = place(li, l.drawn.length);
    columns.push({
      layer: li,
      name: l.name,
      caption: `${l.units} unit${l.units === 1 ? '' : 's'}`,
      note: l.units > l.drawn.length ? `${l.drawn.length} shown` : '',
      kind: 'dense',
      x: p.x,
      x0: p.x0,
      x1: p.x1,
      units: l.drawn.map((index, k) => ({ index, k, x: p.x, y: p.ys[k] })),
      cell: 0,
      cellCols: 0,
      cellX: 0,
    });
  });
  const normsY = bottom + radius + 10;
  const clipY = normsY + 3 * line + 6;
  const legendY = clipY + line + 6;
  // The legend flows in rows no wider than the box (the part of the canvas in view).
  const rowW = Math.max(200, Math.min(width, boxWidth) - 8);
  const placed: PlacedItem[] = [];
  let x = 4;
  let row = 0;
  for (const item of legend) {
    const w = itemWidth(item, font, measure);
    if (x > 4 && (x + w > rowW || item.newRow)) {
      x = 4;
      row++;
    }
    placed.push({ item, x, y: legendY + row * line });
    x += w + 14;
  }
  const height = legendY + (legend.length ? row + 1 : 0) * line + 8;
  return { width, height, font, radius, columns, top, bottom, normsY, clipY, legendY, line, legend: placed };
}

/** Text width in CSS px (a canvas's measureText in the page). */
export type Measure = (text: string, font: string) => number;
const roughMeasure: Measure = (text, font) => text.length * 0.6 * (parseFloat(font.replace(/^\D*/, '')) || 13);

/** One legend entry: a mark (a swatch drawn before the text) and its text. */
export interface LegendItem {
  mark: 'none' | 'ramp' | 'thin' | 'thick' | 'positive' | 'negative' | 'dead' | 'diverged';
  text: string;
  /** Ramp: the numbers at its ends. */
  lo?: string;
  hi?: string;
  newRow?: boolean;
}

interface PlacedItem {
  item: LegendItem;
  x: number;
  y: number;
}

const RAMP_W = 80;

function itemWidth(item: LegendItem, font: number, measure: Measure): number {
  const f = `${font}px ${FONT_FAMILY}`;
  const text = measure(item.text, f);
  if (item.mark === 'ramp') return measure(item.lo ?? '', f) + 4 + RAMP_W + 4 + measure(item.hi ?? '', f);
  if (item.mark === 'none') return text;
  return 22 + text;
}

/** The legend of a picture: what colour and thickness mean, with the numbers of both scales. */
export function legendItems(snap: UnitSnapshot, q: EdgeQuantity): LegendItem[] {
  const { edge, signal } = scalesOf(snap, q);
  const wide = snap.layers.find((l) => l.kind === 'dense' && l.units > l.drawn.length);
  const update = q === 'update' ? (snap.updateSteps > 1 ? ` (per step, mean of the last ${snap.updateSteps})` : snap.updateSteps === 0 ? ' (none yet)' : '') : '';
  return [
    { mark: 'none', text: 'Unit fill: |∂L/∂h|, RMS over the batch (log):' },
    { mark: 'ramp', text: '', lo: signal ? fmtShort(signal.lo) : '–', hi: signal ? fmtShort(signal.hi) : '–' },
    { mark: 'none', text: `Lines: ${QUANTITY_LABEL[q]}${update}, thickness = |value| (log):`, newRow: true },
    { mark: 'thin', text: edge ? fmtShort(edge.lo) : '–' },
    { mark: 'thick', text: edge ? fmtShort(edge.hi) : '–' },
    { mark: 'positive', text: 'positive' },
    { mark: 'negative', text: 'negative' },
    { mark: 'dead', text: 'dead unit (0 on every example)', newRow: true },
    { mark: 'diverged', text: 'diverged layer' },
    ...(wide ? [{ mark: 'none' as const, text: `Layers over ${wide.drawn.length} units: ${wide.drawn.length} evenly spread units shown.` }] : []),
  ];
}

/** The unit (or filter) under a point, within its radius plus a few px; null: none. */
export function unitAt(layout: NetLayout, x: number, y: number): { column: Column; unit: UnitSpot } | null {
  const reach = Math.max(layout.radius + 4, 8);
  let best: { column: Column; unit: UnitSpot } | null = null;
  let bestD = Infinity;
  for (const column of layout.columns)
    for (const unit of column.units) {
      const d = Math.hypot(unit.x - x, unit.y - y);
      if (d <= reach && d < bestD) {
        bestD = d;
        best = { column, unit };
      }
    }
  return best;
}

/** The column whose band holds x (null: the label margin or beyond). */
export function columnAt(layout: NetLayout, x: number): Column | null {
  return layout.columns.find((c) => x >= c.x0 && x < c.x1) ?? null;
}

/** The layer's norms at the snapshot's step, from the run's history (null where there is no row). */
export interface LayerNorms {
  grad: number;
  act: number;
  ratio: number;
}

export interface NetPicture {
  snap: UnitSnapshot;
  quantity: EdgeQuantity;
  norms: (LayerNorms | null)[];
  /** Layers outlined in red (non-finite numbers at the shown step). */
  diverged: ReadonlySet<number>;
  highlight: number | null;
  /** "clip: global norm ≤ 1 · this step clipped (‖g‖ 12 → 1)". */
  clipText: string;
  text: string;
  muted: string;
  background: string;
  band: string;
}

/** The edge values of a layer for a quantity. */
export function edgeValues(l: LayerUnits, q: EdgeQuantity): Float32Array | null {
  return q === 'weight' ? l.weight : q === 'grad' ? l.grad : l.update;
}

/** The per-filter norm of a conv layer for a quantity. */
export function filterValues(l: LayerUnits, q: EdgeQuantity): Float32Array | null {
  return q === 'weight' ? l.filterW : q === 'grad' ? l.filterG : l.filterU;
}

export const QUANTITY_LABEL: Record<EdgeQuantity, string> = { weight: 'weight W', grad: 'gradient ∂L/∂W', update: 'update ΔW' };

/** The two scales of a picture: edges (the chosen quantity, every layer) and unit signals (every layer). */
export function scalesOf(snap: UnitSnapshot, q: EdgeQuantity): { edge: LogScale | null; signal: LogScale | null } {
  function* edges() {
    for (const l of snap.layers) {
      const v = edgeValues(l, q);
      if (v) yield* v;
    }
  }
  function* signals() {
    for (const l of snap.layers) yield* l.signal;
  }
  return { edge: logScaleOf(edges(), EDGE_DECADES), signal: logScaleOf(signals(), SIGNAL_DECADES) };
}

/** Per layer, the RMS of its drawn units' signals (what tests and the aria label read). */
export function layerSignals(snap: UnitSnapshot): number[] {
  return snap.layers.map((l) => Math.sqrt(l.signal.reduce((a, v) => a + v * v, 0) / Math.max(1, l.signal.length)));
}

/** Draws the whole picture (the context is in CSS px). */
export function drawNetwork(ctx: CanvasRenderingContext2D, L: NetLayout, p: NetPicture): void {
  const { snap, quantity } = p;
  const font = `${L.font}px ${FONT_FAMILY}`;
  const bold = `600 ${L.font}px ${FONT_FAMILY}`;
  ctx.fillStyle = p.background;
  ctx.fillRect(0, 0, L.width, L.height);
  const { edge, signal } = scalesOf(snap, quantity);

  // The highlighted layer's band.
  for (const c of L.columns) {
    if (c.layer !== p.highlight || c.layer < 0) continue;
    ctx.fillStyle = p.band;
    ctx.fillRect(c.x0 + 2, 4, c.x1 - c.x0 - 4, L.clipY - 8);
  }

  // Edges, faint ones first.
  for (let li = 0; li < snap.layers.length; li++) {
    const l = snap.layers[li];
    const vals = edgeValues(l, quantity);
    if (!vals) continue;
    const from = L.columns[li].units;
    const to = L.columns[li + 1].units;
    const order = Array.from(vals.keys()).sort((a, b) => Math.abs(vals[a]) - Math.abs(vals[b]) || 0);
    for (const e of order) {
      const v = vals[e];
      const i = Math.floor(e / to.length);
      const k = e % to.length;
      const a = from[i];
      const b = to[k];
      if (!a || !b) continue;
      const t = logPosition(v, edge);
      if (Number.isNaN(t)) {
        ctx.strokeStyle = DIVERGED;
        ctx.globalAlpha = 0.9;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([3, 3]);
      } else {
        if (t === 0 && v === 0) continue;
        ctx.strokeStyle = signColor(v);
        ctx.globalAlpha = 0.2 + 0.7 * t;
        ctx.lineWidth = edgeWidth(t);
        ctx.setLineDash([]);
      }
      ctx.beginPath();
      ctx.moveTo(a.x + L.radius, a.y);
      ctx.lineTo(b.x - L.radius, b.y);
      ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);

  // Columns: name, caption, units or filter cells, outline of a diverged layer.
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const c of L.columns) {
    ctx.font = c.layer === p.highlight ? bold : font;
    ctx.fillStyle = p.text;
    ctx.fillText(c.name, c.x, 6, c.x1 - c.x0 - 2);
    ctx.font = `${Math.max(11, L.font - 2)}px ${FONT_FAMILY}`;
    ctx.fillStyle = p.muted;
    ctx.fillText(c.caption, c.x, 6 + L.line, c.x1 - c.x0 - 2);
    if (c.note) ctx.fillText(c.note, c.x, 6 + 2 * L.line, c.x1 - c.x0 - 2);
    if (c.kind === 'input') {
      for (const u of c.units) outlinedDot(ctx, u.x, u.y, L.radius, p.background, p.muted);
      continue;
    }
    const l = snap.layers[c.layer];
    if (c.kind === 'conv') {
      const norms = filterValues(l, quantity);
      const ns = norms ? logScaleOf(norms, EDGE_DECADES) : null;
      for (const u of c.units) {
        const x = u.x - c.cell / 2;
        const y = u.y - c.cell / 2;
        ctx.fillStyle = signalColor(logPosition(l.signal[u.k], signal));
        ctx.fillRect(x, y, c.cell - 1, c.cell - 1);
        // The filter's norm of the chosen quantity: a dark bar along the cell's bottom.
        if (norms) {
          const t = logPosition(norms[u.k], ns);
          ctx.fillStyle = Number.isNaN(t) ? DIVERGED : p.text;
          ctx.fillRect(x, y + c.cell - 3, Math.max(1, (c.cell - 1) * (Number.isNaN(t) ? 1 : t)), 2);
        }
        if (l.dead[u.k]) {
          ctx.strokeStyle = p.muted;
          ctx.lineWidth = 1;
          ctx.strokeRect(x + 0.5, y + 0.5, c.cell - 2, c.cell - 2);
        }
      }
    } else {
      for (const u of c.units) {
        ctx.beginPath();
        ctx.arc(u.x, u.y, L.radius, 0, 2 * Math.PI);
        if (l.dead[u.k]) {
          ctx.fillStyle = p.background;
          ctx.fill();
          ctx.setLineDash([2, 2]);
          ctx.strokeStyle = p.muted;
        } else {
          ctx.fillStyle = signalColor(logPosition(l.signal[u.k], signal));
          ctx.fill();
          ctx.strokeStyle = p.text;
        }
        ctx.lineWidth = 1;
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }
    if (p.diverged.has(c.layer)) {
      ctx.strokeStyle = DIVERGED;
      ctx.lineWidth = 3;
      ctx.strokeRect(c.x0 + 3, L.top - L.radius - 6, c.x1 - c.x0 - 6, L.bottom - L.top + 2 * L.radius + 12);
    }
  }

  // Norms under each column, their names in the margin.
  ctx.font = font;
  const rows: [string, keyof LayerNorms][] = [
    ['‖∂L/∂W‖', 'grad'],
    ['‖∂L/∂h‖', 'act'],
    ['‖ΔW‖/‖W‖', 'ratio'],
  ];
  rows.forEach(([label, key], r) => {
    const y = L.normsY + r * L.line;
    ctx.textAlign = 'left';
    ctx.fillStyle = p.muted;
    ctx.fillText(label, 4, y, LABEL_PX - 6);
    ctx.textAlign = 'center';
    for (const c of L.columns) {
      if (c.layer < 0) continue;
      const n = p.norms[c.layer];
      const v = n ? n[key] : NaN;
      ctx.fillStyle = n && !Number.isFinite(v) ? DIVERGED : p.text;
      ctx.fillText(n ? fmtShort(v) : '–', c.x, y, c.x1 - c.x0 - 2);
    }
  });

  // The clip line and the legend, with the numbers of both scales.
  ctx.textAlign = 'left';
  ctx.fillStyle = p.text;
  ctx.fillText(p.clipText, 4, L.clipY, L.width - 8);
  for (const { item, x: x0, y } of L.legend) drawLegendItem(ctx, item, x0, y, L.font, p);
}

function drawLegendItem(ctx: CanvasRenderingContext2D, item: LegendItem, x0: number, y: number, font: number, p: NetPicture): void {
  let x = x0;
  const mid = y + font / 2;
  ctx.fillStyle = p.text;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  const line = (color: string, width: number) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(x, mid);
    ctx.lineTo(x + 18, mid);
    ctx.stroke();
    x += 22;
  };
  switch (item.mark) {
    case 'ramp': {
      ctx.fillText(item.lo ?? '', x, y);
      x += ctx.measureText(item.lo ?? '').width + 4;
      for (let i = 0; i < RAMP_W; i++) {
        ctx.fillStyle = signalColor(i / (RAMP_W - 1));
        ctx.fillRect(x + i, y + 1, 1, font);
      }
      ctx.strokeStyle = p.muted;
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 1.5, RAMP_W - 1, font - 1);
      x += RAMP_W + 4;
      ctx.fillStyle = p.text;
      ctx.fillText(item.hi ?? '', x, y);
      return;
    }
    case 'thin':
      line(p.text, edgeWidth(0));
      break;
    case 'thick':
      line(p.text, edgeWidth(1));
      break;
    case 'positive':
      line(POSITIVE, 3);
      break;
    case 'negative':
      line(NEGATIVE, 3);
      break;
    case 'dead':
      ctx.beginPath();
      ctx.arc(x + 7, mid, 6, 0, 2 * Math.PI);
      ctx.setLineDash([2, 2]);
      ctx.strokeStyle = p.muted;
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.setLineDash([]);
      x += 22;
      break;
    case 'diverged':
      ctx.strokeStyle = DIVERGED;
      ctx.lineWidth = 3;
      ctx.strokeRect(x + 1, y + 1, 14, font - 2);
      x += 22;
      break;
    case 'none':
      break;
  }
  ctx.fillStyle = p.text;
  ctx.fillText(item.text, x, y);
}

/** A unit's output over the input plane as RGBA pixels (PLANE_N², y up): orange positive, blue negative, white 0. */
export function planePixels(plane: Float32Array, k: number): Uint8ClampedArray {
  const P = PLANE_N * PLANE_N;
  const out = new Uint8ClampedArray(P * 4);
  let max = 0;
  for (let i = 0; i < P; i++) {
    const a = Math.abs(plane[k * P + i]);
    if (Number.isFinite(a) && a > max) max = a;
  }
  const pos = hexRgb(POSITIVE);
  const neg = hexRgb(NEGATIVE);
  for (let r = 0; r < PLANE_N; r++)
    for (let c = 0; c < PLANE_N; c++) {
      const v = plane[k * P + r * PLANE_N + c];
      const o = ((PLANE_N - 1 - r) * PLANE_N + c) * 4;
      if (!Number.isFinite(v)) {
        out.set([208, 0, 0, 255], o);
        continue;
      }
      const t = max > 0 ? Math.min(1, Math.abs(v) / max) : 0;
      const col = v < 0 ? neg : pos;
      out.set([Math.round(lerp(255, col[0], t)), Math.round(lerp(255, col[1], t)), Math.round(lerp(255, col[2], t)), 255], o);
    }
  return out;
}
