/**
 * The colours of chart lines, for the page as it is and for presentation
 * mode (a projector washes out pale colours: the last viridis colours are
 * about 1.4:1 against white). The charts ask here; nothing else picks.
 *
 * High contrast: every colour has a WCAG contrast ratio of at least 4.5:1
 * on white (3:1 is the bar for lines, 4.5:1 the bar for text, so a run's
 * colour can also be its label's). Layers stay ordered input → output, dark
 * purple through blue, teal and green to dark orange, like viridis without
 * its pale end; runs are Okabe–Ito darkened to the same bar.
 *
 * Pure functions, no DOM: palette.test.ts computes the ratios.
 */
import { RUN_COLORS, STANDARD_PALETTE, hexToRgb, layerColor, type ChartPalette } from './colors.ts';

/** Presentation layer colours, input → output; interpolated in between (sRGB). */
export const HIGH_CONTRAST_LAYERS = ['#440154', '#3e4989', '#1f6e8c', '#00796b', '#3a7d1a', '#7a6500', '#b04e00'] as const;

/** Presentation run colours: Okabe–Ito blue, vermilion, bluish green, reddish purple, darkened. */
export const HIGH_CONTRAST_RUNS = ['#005f94', '#a84300', '#00785a', '#9c3d7f'] as const;

/** Text size of chart axes, legends and tooltips, in CSS px. */
export function chartTextPx(presentation: boolean): number {
  return presentation ? 16 : 13;
}

function toHex(rgb: readonly number[]): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function highContrastAt(t: number): string {
  const stops = HIGH_CONTRAST_LAYERS;
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(stops[i]);
  const b = hexToRgb(stops[i + 1]);
  return toHex(a.map((c, k) => c + (b[k] - c) * f));
}

/**
 * The charts' palette in presentation mode: high-contrast runs and layers (the
 * heatmap's scale too), darker text, axes and reference lines.
 */
export const PRESENTATION_PALETTE: ChartPalette = {
  ...STANDARD_PALETTE,
  runs: HIGH_CONTRAST_RUNS,
  sequential: HIGH_CONTRAST_LAYERS,
  layerSpan: 1,
  text: '#000000',
  axis: '#555555',
  grid: '#cccccc',
  reference: '#333333',
  global: '#000000',
};

/** The colours of n layer lines, input → output. */
export function lineColors(n: number, presentation: boolean): string[] {
  return Array.from({ length: Math.max(0, n) }, (_, l) => (presentation ? highContrastAt(n <= 1 ? 0 : l / (n - 1)) : layerColor(l, n)));
}

/** The colour of run i's lines and label. */
export function runColor(i: number, presentation: boolean): string {
  const colors = presentation ? HIGH_CONTRAST_RUNS : RUN_COLORS;
  return colors[((i % colors.length) + colors.length) % colors.length];
}

/** WCAG 2 relative luminance of a colour: '#rrggbb' or 'rgb(r,g,b)'. */
export function relativeLuminance(color: string): number {
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(color);
  const rgb = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : hexToRgb(color);
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours (1 … 21). */
export function contrastRatio(a: string, b: string): number {
  const la = relativeLuminance(a);
  const lb = relativeLuminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
