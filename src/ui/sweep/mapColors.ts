/**
 * The stability map's colours. One meaning across the page: the layer heatmap's
 * viridis yellow means a large gradient, so the map never uses yellow for a good
 * trial. The objective runs from pale (worse) to dark blue (better), a
 * single-hue scale (ColorBrewer Blues) that reads in grey and with the common
 * colour-vision deficiencies; diverged trials are hatched red.
 */
const BLUES = ['#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

function rgb(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** The colour of a trial whose goodness is t (0 = worst in the range, 1 = best). */
export function mapColorRgb(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(x));
  const f = x - i;
  const a = rgb(BLUES[i]);
  const b = rgb(BLUES[i + 1]);
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export function mapColor(t: number): string {
  const [r, g, b] = mapColorRgb(t);
  return `rgb(${r},${g},${b})`;
}

/** Text drawn on a cell of goodness t: dark on the pale end, white on the dark end. */
export function mapTextColor(t: number): string {
  const [r, g, b] = mapColorRgb(t);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#1d1d1f' : '#fff';
}

/** A colour is "yellow" when its hue is 40°–75° with some saturation: the map has none. */
export function isYellowish([r, g, b]: [number, number, number]): boolean {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max - min < 30) return false;
  let h: number;
  if (max === r) h = (60 * (g - b)) / (max - min);
  else if (max === g) h = 120 + (60 * (b - r)) / (max - min);
  else h = 240 + (60 * (r - g)) / (max - min);
  h = (h + 360) % 360;
  return h >= 40 && h <= 75;
}
