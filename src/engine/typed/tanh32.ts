/**
 * tanh for float32 storage, the same bit for bit as `Math.fround(Math.tanh(x))`
 * (what tfjs's cpu backend stores), in about 13 ns a value instead of 22.
 *
 * Why hand-written: `Math.tanh` is a call into the engine's C library, and a tanh
 * net's forward pass and held-out evaluation spent a third of a Playground-sized
 * step in it. No library offers a float32-exact tanh. Here tanh is a table of
 * Taylor polynomials of degree 9 around the centres of intervals of width 1/16
 * over [−9, 9), their coefficients built at load from `Math.tanh` at the centres
 * through T' = 1 − T² (so (n+1)·a[n+1] = [n = 0] − Σ a[k]·a[n−k]); below 1/16 in
 * size it is the odd Maclaurin series. Either is within 2⁻⁵⁰ of `Math.tanh`,
 * relative (measured; tests require 2⁻⁴⁴).
 *
 * Exactness: p is the polynomial's value and E = |p|·2⁻³⁶ a bound on its distance
 * from `Math.tanh(x)`. When p − E and p + E round to the same float32, so does
 * every number between them, `Math.tanh`'s value included, and that float32 is the
 * answer; otherwise (p within E of a rounding boundary: about one input in 3,000)
 * the value comes from `Math.tanh`. Inputs at or beyond ±9, ±0, NaN and the
 * infinities go to `Math.tanh` as well. bench/node/tanh32All.ts checks all 2³²
 * float32 inputs (none differs).
 */

const f = Math.fround;

/** Interval width 1/16 over [−9, 9): the interval of x is ⌊16·(x + 9)⌋. */
const PER_UNIT = 16;
const LIMIT = 9;
const INTERVALS = 2 * LIMIT * PER_UNIT;
/** Taylor degree per interval: the remainder is about (2/π)¹⁰·(1/32)¹⁰ ≈ 1e-17 (poles of tanh at ±iπ/2). */
const DEGREE = 9;
const STRIDE = DEGREE + 1;
/** 2⁻³⁶: the relative distance from Math.tanh taken as certain. */
const BAND = 2 ** -36;
/** Below this |x| the odd Maclaurin series, accurate relative to tanh x however small x is. */
const SMALL = 1 / PER_UNIT;
/** 1/16, exact: a product, not a division, on the path of every value. */
const WIDTH = 1 / PER_UNIT;

/**
 * Taylor coefficients of tanh around each interval's centre, STRIDE per interval,
 * lowest first; negative centres too, so that no branch depends on x's sign (a
 * random sign mispredicts and costs more than the polynomial).
 */
const COEF = buildTable();

function buildTable(): Float64Array {
  const table = new Float64Array(INTERVALS * STRIDE);
  const a = new Float64Array(STRIDE);
  const half = LIMIT * PER_UNIT;
  for (let i = 0; i < half; i++) {
    a[0] = Math.tanh((i + 0.5) / PER_UNIT);
    for (let n = 0; n < DEGREE; n++) {
      let s = n === 0 ? 1 : 0;
      for (let k = 0; k <= n; k++) s -= a[k] * a[n - k];
      a[n + 1] = s / (n + 1);
    }
    // centre c = (i + ½)/16 is interval half + i; centre −c is interval half − 1 − i,
    // where tanh(−c + u) = −tanh(c − u): coefficient n times (−1)ⁿ⁺¹.
    table.set(a, (half + i) * STRIDE);
    for (let n = 0; n <= DEGREE; n++) table[(half - 1 - i) * STRIDE + n] = n % 2 ? a[n] : -a[n];
  }
  return table;
}

/** tanh(x) in float64, for |x| < 9: a polynomial of the table, or the series near 0. */
function poly(x: number): number {
  // One comparison of |x|: `x > −SMALL && x < SMALL` would branch on x's sign.
  if (Math.abs(x) < SMALL) {
    // tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925 + … (next term < 1e-17·|x|)
    const x2 = x * x;
    return x + x * x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835 + x2 * (-1382 / 155925)))));
  }
  // x + 9, its 16-fold, the centre and u are exact in float64 for a float32 x.
  const i = ((x + LIMIT) * PER_UNIT) | 0;
  const u = x - ((i + 0.5) * WIDTH - LIMIT);
  const o = i * STRIDE;
  const c = COEF;
  // Estrin's scheme: four levels of independent products instead of nine dependent steps.
  const u2 = u * u;
  const u4 = u2 * u2;
  return c[o] + u * c[o + 1] + u2 * (c[o + 2] + u * c[o + 3]) + u4 * (c[o + 4] + u * c[o + 5] + u2 * (c[o + 6] + u * c[o + 7])) + u4 * u4 * (c[o + 8] + u * c[o + 9]);
}

/** The table's tanh in float64, before rounding (tests measure its distance from Math.tanh). */
export function tanhPoly(x: number): number {
  return x > -LIMIT && x < LIMIT ? poly(x) : Math.tanh(x);
}

/**
 * The float32 of the polynomial's value p at x when no float32 rounding boundary
 * lies within p's band (then it is Math.tanh's float32 too), else Math.tanh's.
 */
function rounded(p: number, x: number): number {
  const e = p * BAND;
  const r = f(p);
  return f(p - e) === r && f(p + e) === r ? r : f(Math.tanh(x));
}

/** Math.fround(Math.tanh(x)), bit for bit (±0, NaN and the infinities included). */
export function tanh32(x: number): number {
  return x > -LIMIT && x < LIMIT && x !== 0 ? rounded(poly(x), x) : f(Math.tanh(x));
}

/** y[i] = fround(tanh(a[i])) for i < n, as tanh32 (`a` and `y` may be the same array). */
export function tanhInto32(a: ArrayLike<number>, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i];
    // |x| ≥ 9, ±Infinity, NaN and ±0 from Math.tanh; the rest from the table.
    y[i] = Math.abs(x) < LIMIT && x !== 0 ? rounded(poly(x), x) : Math.tanh(x);
  }
}

/** |x| from which every value comes from Math.tanh (tests sweep below it). */
export const TANH32_LIMIT = LIMIT;
