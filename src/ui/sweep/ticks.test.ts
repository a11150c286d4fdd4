import { describe, expect, test } from 'vitest';
import { isYellowish, mapColorRgb } from './mapColors.ts';
import { linearTicks, logTicks, tickLabel } from './ticks.ts';
import { viridisRgb } from '../colors.ts';

const round = (v: number) => {
  const m = v / 10 ** Math.floor(Math.log10(Math.abs(v)));
  return [1, 2, 5].some((x) => Math.abs(m - x) < 1e-9);
};

describe('round ticks', () => {
  test('log ranges: 1, 2, 5 × 10^k inside the range, a handful of them', () => {
    expect(logTicks(0.001, 10)).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(logTicks(0.25, 4)).toEqual([0.5, 1, 2]);
    expect(logTicks(0.001, 3)).toEqual([0.001, 0.01, 0.1, 1]);
    expect(logTicks(1e-8, 1e4)).toEqual([1e-8, 1e-5, 0.01, 10, 1e4]);
    expect(logTicks(0.3, 0.69)).toEqual([0.3, 0.4, 0.5, 0.6]);
    for (const [lo, hi] of [
      [0.001, 3],
      [0.05, 0.7],
      [1e-6, 1],
      [2, 9],
      [0.0031622776, 0.031622776],
    ]) {
      const t = logTicks(lo, hi);
      expect(t.length, `${lo}..${hi}: ${t}`).toBeGreaterThanOrEqual(2);
      expect(t.length).toBeLessThanOrEqual(7);
      for (const v of t) {
        expect(v).toBeGreaterThanOrEqual(lo * (1 - 1e-9));
        expect(v).toBeLessThanOrEqual(hi * (1 + 1e-9));
        expect(String(v).replace(/^0\.0*|e.*$|\./g, '').length, `${v}`).toBeLessThanOrEqual(1);
      }
    }
  });

  test('linear ranges: multiples of a 1/2/5 step', () => {
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(0.42, 0.97)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(linearTicks(1, 12)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(linearTicks(-3, 3)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(linearTicks(5, 5)).toEqual([5]);
    const t = linearTicks(0.013, 0.0871);
    const step = t[1] - t[0];
    expect(round(step), `${t}`).toBe(true);
    for (const v of t) expect(Math.abs(v / step - Math.round(v / step)), `${v}`).toBeLessThan(1e-9);
  });

  test('labels', () => {
    expect([0.001, 0.02, 5, 1e-5, 2e5, 0.3, 0].map(tickLabel)).toEqual(['0.001', '0.02', '5', '1e-5', '2e5', '0.3', '0']);
  });
});

describe('the map never paints a good trial yellow', () => {
  test('no yellow anywhere on its scale; viridis (the heatmap) is yellow at its top', () => {
    for (let i = 0; i <= 100; i++) expect(isYellowish(mapColorRgb(i / 100)), `t=${i / 100}`).toBe(false);
    expect(isYellowish(viridisRgb(1))).toBe(true);
  });

  test('darker is better', () => {
    const lum = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
    for (let i = 1; i <= 20; i++) expect(lum(mapColorRgb(i / 20))).toBeLessThan(lum(mapColorRgb((i - 1) / 20)));
  });
});
