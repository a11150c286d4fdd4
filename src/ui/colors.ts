/**
 * Colour scales. Layers use viridis (perceptually ordered, readable with the
 * common colour-vision deficiencies): input layers dark purple, output yellow.
 * Runs use the Okabe–Ito palette.
 */
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

function hexToRgb(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** Viridis at t in [0, 1], as [r, g, b]. */
export function viridisRgb(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(VIRIDIS[i]);
  const b = hexToRgb(VIRIDIS[i + 1]);
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export function viridis(t: number): string {
  const [r, g, b] = viridisRgb(t);
  return `rgb(${r},${g},${b})`;
}

/** Colour of layer l of n (input → output), kept away from the pale end for contrast on white. */
export function layerColor(l: number, n: number): string {
  return viridis(n <= 1 ? 0 : (l / (n - 1)) * 0.9);
}

export const RUN_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7'];
export const DIVERGED_COLOR = '#c0392b';
