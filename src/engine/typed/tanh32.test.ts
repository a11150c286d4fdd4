import { describe, expect, it } from 'vitest';
import { TANH32_LIMIT, tanh32, tanhInto32, tanhPoly } from './tanh32.ts';

const f = Math.fround;
const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
const float32 = (b: number) => {
  bits[0] = b >>> 0;
  return asFloat[0];
};
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Deterministic pseudo-random 32-bit patterns (xorshift32). */
function* patterns(n: number, seed = 0x9e3779b9): Generator<number> {
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    yield s;
  }
}

// Every one of the 2³² float32 inputs is checked by bench/node/tanh32All.ts (80 s);
// these tests check the stretches where the method changes and a random sample.
describe('tanh32: fround(Math.tanh(x)) bit for bit', () => {
  it('special values: ±0, NaN, ±Infinity, the limit, tiny and huge inputs', () => {
    const xs = [0, -0, NaN, Infinity, -Infinity, TANH32_LIMIT, -TANH32_LIMIT, f(TANH32_LIMIT - 1e-6), 1e-45, -1e-45, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 1 / 16, -1 / 16, f(1 / 16 - 1e-9), 0.5, -0.5, 1, -1, 20, -20];
    for (const x of xs) {
      expect(same(tanh32(x), f(Math.tanh(x))), `tanh32(${x})`).toBe(true);
      const y = new Float32Array(1);
      tanhInto32([x], y, 1);
      expect(same(y[0], f(Math.tanh(x))), `tanhInto32(${x})`).toBe(true);
    }
    expect(Object.is(tanh32(-0), -0)).toBe(true);
  });

  it('every float32 in stretches where the method changes: near 0, at 1/16, at interval edges, near ±9', () => {
    const starts = [0x00000000, 0x3d7fff00 /* just below 1/16 */, 0x3f000000 /* 0.5 */, 0x3f7ffc00 /* just below 1 */, 0x410fff00 /* just below 9 */, 0x3e000000 /* 0.125 */];
    let checked = 0;
    for (const start of starts) {
      for (let b = start; b < start + 0x2000; b++) {
        for (const sign of [0, 0x80000000]) {
          const x = float32(b | sign);
          expect(same(tanh32(x), f(Math.tanh(x))), `x = ${x}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBe(starts.length * 0x4000);
  });

  it('half a million random float32 inputs below the limit, in place and into another array', () => {
    const n = 1 << 19;
    const x = new Float32Array(n);
    let i = 0;
    for (const p of patterns(n)) {
      // every sign and exponent below 9: a random mantissa, exponent spread over 2⁻³⁰ … 8
      const e = 97 + (p % 33);
      x[i++] = float32(((p & 0x80000000) | (e << 23) | ((p >>> 1) & 0x7fffff)) >>> 0);
    }
    const y = new Float32Array(n);
    tanhInto32(x, y, n);
    let wrong = 0;
    for (let k = 0; k < n; k++) if (!same(y[k], f(Math.tanh(x[k])))) wrong++;
    expect(wrong).toBe(0);
    const inPlace = Float32Array.from(x);
    tanhInto32(inPlace, inPlace, n);
    let differ = 0;
    for (let k = 0; k < n; k++) if (!same(inPlace[k], y[k])) differ++;
    expect(differ).toBe(0);
  });

  it('the polynomial stays within 2⁻⁴⁴ of Math.tanh, far inside the 2⁻³⁶ band that decides when to trust it', () => {
    let worst = 0;
    for (const p of patterns(1 << 19, 12345)) {
      const x = float32(p & 0x7fffffff);
      if (!(x < TANH32_LIMIT) || x === 0) continue;
      const m = Math.tanh(x);
      worst = Math.max(worst, Math.abs(tanhPoly(x) - m) / m);
    }
    for (let x = 1 / 64; x < TANH32_LIMIT; x += 1 / 1024) worst = Math.max(worst, Math.abs(tanhPoly(x) - Math.tanh(x)) / Math.tanh(x));
    expect(worst).toBeLessThan(2 ** -44);
    expect(worst).toBeGreaterThan(0);
  });
});
