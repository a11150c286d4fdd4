/**
 * Every colour the charts use, behind functions: the charts ask `chartPalette()`
 * (or the helpers below) at draw time, so a single call to `setChartPalette`
 * switches every chart to another palette (e.g. a high-contrast one for a
 * projector). Layers use viridis (perceptually ordered, readable with the
 * common colour-vision deficiencies): input layers dark purple, output yellow.
 * Runs use the Okabe–Ito palette.
 */
export type Rgb = [number, number, number];

export interface ChartPalette {
  /** One colour per run (cycled). */
  runs: readonly string[];
  /** Sequential scale for layers (input → output) and the heatmap, as stops from low to high. */
  sequential: readonly string[];
  /** Part of the sequential scale that layer lines use (the pale end is hard to see on white). */
  layerSpan: number;
  /** Diverged-step markers and non-finite values. */
  diverged: string;
  background: string;
  text: string;
  axis: string;
  grid: string;
  /** Reference lines (τ, 1e-3) and their labels. */
  reference: string;
  /** Global gradient norm lines. */
  global: string;
  /** Gradient-flow bars: weight gradients, back-propagated signal, theory line. */
  grad: string;
  act: string;
  theory: string;
  /** The mark drawn where a value lies beyond the axis. */
  clippedMark: string;
  /** The read-out line under the pointer. */
  cursor: string;
  /** A hidden line's legend swatch. */
  inactive: string;
  /** Behind labels drawn over the data. */
  labelBackground: string;
  /** Decision boundary shading: class 0 and class 1 (mixed by the predicted probability), and its opacity (0..255). */
  boundary: readonly [string, string];
  boundaryAlpha: number;
}

const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'] as const;

export const STANDARD_PALETTE: ChartPalette = {
  runs: ['#0072B2', '#D55E00', '#009E73', '#CC79A7'],
  sequential: VIRIDIS,
  layerSpan: 0.9,
  diverged: '#c0392b',
  background: '#ffffff',
  text: '#333333',
  axis: '#999999',
  grid: '#e3e3e3',
  reference: '#6b6b6b',
  global: '#222222',
  // Okabe–Ito sky blue and orange: distinct for the common colour-vision deficiencies.
  grad: '#56B4E9',
  act: '#E69F00',
  theory: '#000000',
  clippedMark: '#c0392b',
  cursor: '#888888',
  inactive: '#bbbbbb',
  labelBackground: 'rgba(255,255,255,0.88)',
  boundary: ['#0045b2', '#e69f00'],
  boundaryAlpha: 140,
};

let active: ChartPalette = STANDARD_PALETTE;

/** The palette the charts draw with now. */
export function chartPalette(): ChartPalette {
  return active;
}

/** Switches the charts' palette (they pick it up at their next draw). */
export function setChartPalette(p: ChartPalette): void {
  active = p;
}

export function hexToRgb(h: string): Rgb {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** The sequential scale at t in [0, 1], as [r, g, b]. */
export function sequentialRgb(t: number, stops: readonly string[] = active.sequential): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(stops[i]);
  const b = hexToRgb(stops[i + 1]);
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as Rgb;
}

/** Viridis at t in [0, 1], as [r, g, b]. */
export function viridisRgb(t: number): Rgb {
  return sequentialRgb(t, VIRIDIS);
}

export function viridis(t: number): string {
  const [r, g, b] = viridisRgb(t);
  return `rgb(${r},${g},${b})`;
}

/** Heatmap colour at t in [0, 1] (low → high). */
export function heatRgb(t: number): Rgb {
  return sequentialRgb(t);
}

/** Heatmap colour of a non-finite value. */
export function nonFiniteRgb(): Rgb {
  return hexToRgb(active.diverged);
}

/** Colour of layer l of n (input → output), kept away from the pale end for contrast on white. */
export function layerColor(l: number, n: number): string {
  const [r, g, b] = sequentialRgb(n <= 1 ? 0 : (l / (n - 1)) * active.layerSpan);
  return `rgb(${r},${g},${b})`;
}

/** CSS gradient of the layer colours, input → output (for a legend swatch). */
export function layerGradientCss(): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const [r, g, b] = sequentialRgb(t * active.layerSpan);
    return `rgb(${r},${g},${b})`;
  });
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** Decision-boundary shading at class-1 probability q, as [r, g, b, a]. */
export function boundaryRgba(q: number): [number, number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(q) ? q : 0.5));
  const a = hexToRgb(active.boundary[0]);
  const b = hexToRgb(active.boundary[1]);
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t), active.boundaryAlpha];
}

/** Colour of run i. */
export function runColor(i: number): string {
  return active.runs[((i % active.runs.length) + active.runs.length) % active.runs.length];
}

/** The standard run colours (for code outside the charts; charts call runColor). */
export const RUN_COLORS = STANDARD_PALETTE.runs;
export const DIVERGED_COLOR = STANDARD_PALETTE.diverged;

/** A colour of the blue ↔ orange scale (boundaryRgba) as opaque CSS, for a regression target in 0..1. */
export function valueColor(q: number): string {
  const [r, g, b] = boundaryRgba(q);
  return `rgb(${r},${g},${b})`;
}
