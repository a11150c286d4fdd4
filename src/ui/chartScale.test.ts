import { describe, expect, test } from 'vitest';
import { countAbove, extent, headroom, logColorRange, quantile, robustUpper, runsUpper, runsYRange, yRange, type RangeSeries } from './chartScale.ts';

const line = (values: (number | null)[], hidden = false): RangeSeries => ({ values, hidden });
/** A loss falling from 0.7 to about 0.05 over n steps, with a little noise. */
const falling = (n: number, from = 0.7, to = 0.05) => Array.from({ length: n }, (_, i) => from * (to / from) ** (i / (n - 1)) * (1 + 0.1 * Math.sin(i)));

describe('quantile and the robust fence', () => {
  test('quantiles interpolate between order statistics', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
  test('a spike far above the bulk is fenced off; a noisy curve is not', () => {
    const bulk = falling(100);
    expect(robustUpper([...bulk, 1e19], true)).toBeLessThan(1e3);
    expect(robustUpper(bulk, true)).toBe(Math.max(...bulk));
    expect(robustUpper([1, 2, 3, NaN, Infinity, -1, null], true)).toBe(3);
    expect(robustUpper([], true)).toBe(Infinity);
  });
});

describe('one y range over several runs', () => {
  test('covers every run (hidden lines excepted) while none has diverged', () => {
    const a = { series: [line([1, 2, 3])], diverged: false };
    const b = { series: [line([0.01, 50]), line([1e9], true)], diverged: false };
    const { range, clipAbove } = runsYRange([a, b], true);
    expect(clipAbove).toBeNull();
    expect(range[0]).toBeLessThanOrEqual(0.01);
    expect(range[1]).toBeGreaterThanOrEqual(50);
    expect(range[1]).toBeLessThan(100);
    // the same answer for each run's chart: the runs' order does not matter
    expect(runsYRange([b, a], true)).toEqual(runsYRange([a, b], true));
    // a run that explodes but has not diverged yet is still in view
    expect(runsUpper([a, { series: [line([1, 1e12])], diverged: false }], true)).toBe(Infinity);
  });

  test("a diverged run's spike does not squash the others: the axis stops a decade above them", () => {
    const healthy = { series: [line(falling(300, 300, 10))], diverged: false };
    const diverged = { series: [line([400, 3000, 500, 1e10, 1e19, NaN])], diverged: true };
    const hMax = Math.max(...(healthy.series[0].values as number[]));
    const { range, clipAbove } = runsYRange([healthy, diverged], true);
    expect(clipAbove).not.toBeNull();
    expect(range[1]).toBeGreaterThanOrEqual(hMax * 10);
    expect(range[1]).toBeLessThan(hMax * 10 * 1.5); // only the padding above the headroom
    expect(range[0]).toBeLessThanOrEqual(10);
    // the healthy run's axis is what it would be beside any diverging run
    const worse = { series: [line([400, 1e30])], diverged: true };
    expect(runsYRange([healthy, worse], true).range[1]).toBeCloseTo(range[1]);
    // the diverged run's values above the axis are the ones drawn at the edge
    expect(countAbove(diverged.series, clipAbove, true)).toBe(2);
    expect(countAbove(healthy.series, clipAbove, true)).toBe(0);
  });

  test('reference lines stay in view; a lone diverged run falls back to the robust fence', () => {
    const healthy = { series: [line([1, 2])], refs: [{ y: 1000 }], diverged: false };
    const diverged = { series: [line([1, 1e20])], diverged: true };
    expect(runsUpper([healthy, diverged], true)).toBe(1000);
    const alone = [{ series: [line([...falling(50, 3, 1), 1e8, 1e19])], diverged: true }];
    const u = runsUpper(alone, true);
    expect(u).toBeLessThan(1e8);
    expect(u).toBeGreaterThanOrEqual(3);
  });

  test('linear axes get half the healthy span as headroom; nothing to show gives a default range', () => {
    expect(headroom(10, 0, false)).toBe(15);
    expect(headroom(2, 1, true)).toBe(20);
    expect(runsYRange([{ series: [line([NaN, null])], diverged: true }], true)).toEqual({ range: [0.1, 10], clipAbove: null });
    expect(runsYRange([], false)).toEqual({ range: [0, 1], clipAbove: null });
  });
});

describe('single-chart y range', () => {
  test('extent ignores hidden lines, NaN, Infinity and (log) values ≤ 0', () => {
    expect(extent([line([0, -1, 2, NaN, Infinity, 8]), line([100], true)], true)).toEqual([2, 8]);
    expect(extent([line([0, -1])], false, [{ y: 3 }])).toEqual([-1, 3]);
    expect(yRange([line([1, 2])], false, [], [0, 1])).toEqual([0, 1]);
  });
});

describe('heatmap colour range', () => {
  test('log10 of the smallest and largest positive finite values; clamped above once a run diverged', () => {
    expect(logColorRange([{ values: [0.01, 0, NaN, 100], diverged: false }])).toEqual({ range: [-2, 2], clipped: false });
    const shared = logColorRange([
      { values: [1, 10, 100], diverged: false },
      { values: [1, 1e20, Infinity], diverged: true },
    ]);
    expect(shared.clipped).toBe(true);
    expect(shared.range[0]).toBe(0);
    expect(shared.range[1]).toBeCloseTo(3);
  });
  test('no values or a single value still give a usable range', () => {
    expect(logColorRange([{ values: [], diverged: false }])).toEqual({ range: [-3, 0], clipped: false });
    const r = logColorRange([{ values: [10, 10], diverged: false }]).range;
    expect(r[1] - r[0]).toBeCloseTo(1);
  });
});
