/**
 * Round tick values for the stability map's axes and colour bar: 1, 2, 5 × 10^k
 * (never 0.0031622776, the geometric midpoint of a log range).
 */

/** x rounded to 12 significant digits: 0.30000000000000004 → 0.3. */
function clean(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

/** The round step (1, 2 or 5 × 10^k) that cuts span into the number of parts closest to target. */
function niceStep(span: number, target: number): number {
  const k = Math.floor(Math.log10(span / Math.max(1, target)));
  let best = 10 ** k;
  for (const step of [1, 2, 5, 10, 20].map((m) => m * 10 ** k)) if (Math.abs(span / step - target) < Math.abs(span / best - target)) best = step;
  return best;
}

/** Round ticks in [lo, hi] on a linear scale: about `target` of them, at multiples of a 1/2/5 step. */
export function linearTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [clean(lo)];
  const step = niceStep(hi - lo, target);
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi * (1 + 1e-12) + 1e-12 * step; i++) out.push(clean(i * step));
  return out;
}

/**
 * Round ticks in [lo, hi] (both > 0) on a log scale: 1, 2, 5 × 10^k, thinned to
 * 1 × 10^k (then every other decade) when there are too many; a range narrower
 * than that gets linear round ticks.
 */
export function logTicks(lo: number, hi: number, target = 6): number[] {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  const inRange = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const k0 = Math.floor(Math.log10(lo));
  const k1 = Math.ceil(Math.log10(hi));
  for (const mantissas of [[1, 2, 5], [1]]) {
    const out: number[] = [];
    for (let k = k0; k <= k1; k++) for (const m of mantissas) if (inRange(clean(m * 10 ** k))) out.push(clean(m * 10 ** k));
    if (out.length >= 2 && out.length <= target) return out;
    if (out.length > target && mantissas.length === 1) {
      const every = Math.ceil(out.length / target);
      return out.filter((_, i) => i % every === 0);
    }
    if (out.length < 2) break;
  }
  return linearTicks(lo, hi, 4).filter((v) => v > 0);
}

/** Short tick text: 0.001, 0.02, 5, 1e-5, 2e+4 → "1e-5", "2e4". */
export function tickLabel(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) {
    const [m, e] = x.toExponential().split('e');
    return `${Number(Number(m).toPrecision(3))}e${Number(e)}`;
  }
  return String(clean(x));
}
