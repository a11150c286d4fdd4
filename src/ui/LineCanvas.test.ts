import { describe, expect, test } from 'vitest';
import { logTicks, niceTicks, yRange, type LineSeries } from './LineCanvas.tsx';
import { pickLine } from './lineCanvasDraw.ts';

const series = (values: (number | null)[], hidden = false): LineSeries => ({ key: 'k', name: 'k', color: '#000', values, hidden });

describe('axis ticks', () => {
  test('linear ticks step by 1, 2 or 5 × 10^k and stay inside the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 500, 5)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(0.107, 0.248, 4)).toEqual([0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.24]);
    for (const t of niceTicks(-3.7, 12.2, 6)) expect(t >= -3.7 && t <= 12.2).toBe(true);
  });
  test('log ticks: decades over a wide range, 1-2-5 over two decades, linear steps inside one', () => {
    expect(logTicks(1e-6, 1e6)).toEqual([1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6]);
    expect(logTicks(0.01, 1)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(logTicks(0.575, 0.827)).toEqual(niceTicks(0.575, 0.827, 4));
  });
});

describe('y range', () => {
  test('covers the visible finite values; hidden series, NaN, Infinity and (on log axes) values ≤ 0 do not count', () => {
    const [lo, hi] = yRange([series([1, 10, NaN, Infinity, null]), series([1e6], true)], true, []);
    expect(lo).toBeLessThanOrEqual(1);
    expect(lo).toBeGreaterThan(0.8);
    expect(hi).toBeGreaterThanOrEqual(10);
    expect(hi).toBeLessThan(12);
    expect(yRange([series([0, 5])], true, [])).toEqual([2.5, 10]); // one positive value: a factor 2 either side
    expect(yRange([series([0, 5])], false, [])[0]).toBeLessThanOrEqual(0);
  });
  test('reference lines are kept in view; a fixed domain wins', () => {
    const [, hi] = yRange([series([0.1, 0.2])], true, [{ y: 5, label: 'τ' }]);
    expect(hi).toBeGreaterThanOrEqual(5);
    expect(yRange([series([0.3, 0.4])], false, [], [0, 1])).toEqual([0, 1]);
  });
  test('nothing to show gives a default range, never NaN', () => {
    expect(yRange([series([NaN, null])], true, [])).toEqual([0.1, 10]);
    expect(yRange([], false, [])).toEqual([0, 1]);
  });
});

describe('pickLine: a click on a chart picks the line under the pointer', () => {
  const series = [
    { key: 'dense1', values: [1, 10, 100] },
    { key: 'dense2', values: [0.01, 0.1, 1] },
    { key: 'hidden', values: [10, 10, 10], hidden: true },
  ];
  // height 224: the plot spans y 12 … 200 (PAD top 12, bottom 24); log range 1e-2 … 1e2 (4 decades, 47 px each)
  const range: [number, number] = [0.01, 100];
  test('the nearest visible line within 12 px, on a log axis', () => {
    expect(pickLine(series, 1, 12 + 47, range, true, 224)).toBe('dense1'); // 10 at x index 1
    expect(pickLine(series, 1, 12 + 3 * 47 - 5, range, true, 224)).toBe('dense2'); // 0.1, 5 px off
    expect(pickLine(series, 1, 12 + 2 * 47, range, true, 224)).toBeNull(); // 1: no line there
    expect(pickLine(series, 0, 12 + 47, range, true, 224)).toBeNull(); // the hidden line is not picked
  });
});
