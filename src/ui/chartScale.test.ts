import { describe, expect, test } from 'vitest';
import { countAbove, divergedLevel, extent, headroom, logColorRange, quantile, runsUpper, runsYRange, yRange, type RangeSeries } from './chartScale.ts';

const line = (values: (number | null)[], hidden = false): RangeSeries => ({ values, hidden });
/** A curve falling from `from` to `to` over n steps, with a little noise. */
const falling = (n: number, from = 0.7, to = 0.05) => Array.from({ length: n }, (_, i) => from * (to / from) ** (i / (n - 1)) * (1 + 0.1 * Math.sin(i)));
/** The loss of the exploding net of the "Rescue it with clipping" preset: large at init, then overflowing. */
const EXPLOSION = [400, 3000, 500, 1e10, 1e19, NaN];

describe("quantiles and a diverged run's level", () => {
  test('quantiles interpolate between order statistics', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
  test('its highest value before its last steps (the explosion), or at its first step', () => {
    expect(divergedLevel([line(EXPLOSION)], true)).toBe(3000);
    expect(divergedLevel([line([500, 1e20, NaN])], true)).toBe(500);
    expect(divergedLevel([line([5, 1e30])], true)).toBe(5);
    // a long run: its last tenth counts as the explosion
    const long = [...falling(95, 2, 1), 1e3, 1e5, 1e7, 1e9, 1e12];
    expect(divergedLevel([line(long)], true)).toBeCloseTo(Math.max(...long.slice(0, 90)));
    expect(divergedLevel([line([NaN]), line([5], true)], true)).toBeNull();
  });
});

describe('one y range over several runs', () => {
  test('covers every run (hidden lines excepted) while none has diverged, or with one run', () => {
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
    // a lone run is never clipped: there is no other run to squash
    expect(runsUpper([{ series: [line(EXPLOSION)], diverged: true }], true)).toBe(Infinity);
  });

  test("a diverged run's explosion does not squash the others: the axis stops a decade above them", () => {
    const healthy = { series: [line(falling(300, 300, 10))], diverged: false };
    const diverged = { series: [line(EXPLOSION)], diverged: true };
    const { range, clipAbove } = runsYRange([healthy, diverged], true);
    // a decade above the diverged run's own level (3000: larger than the healthy run's 330)
    expect(clipAbove).not.toBeNull();
    expect(range[1]).toBeGreaterThanOrEqual(3e4);
    expect(range[1]).toBeLessThan(3e4 * 1.5); // only the padding above the headroom
    expect(range[0]).toBeLessThanOrEqual(10);
    // the diverged run's values up to its explosion are in view, the explosion is drawn at the edge
    expect(countAbove(diverged.series, clipAbove, true)).toBe(2);
    expect(countAbove(healthy.series, clipAbove, true)).toBe(0);
    // how far the explosion went does not move the axis
    const worse = { series: [line([...EXPLOSION.slice(0, 4), 1e35])], diverged: true };
    expect(runsYRange([healthy, worse], true)).toEqual({ range, clipAbove });
  });

  test('a healthy run far below a diverged one: both stay in view, only the explosion is clipped', () => {
    // BatchNorm beside the plain exploding net: gradient norms of order 1 vs 100s before the overflow
    const batchNorm = { series: [line(falling(100, 3, 0.5))], diverged: false };
    const plain = { series: [line([200, 800, 1500, 1e9, 1e18]), line([150, 600, 2000, 1e8, Infinity])], diverged: true };
    const { range, clipAbove } = runsYRange([batchNorm, plain], true);
    expect(range[0]).toBeLessThanOrEqual(0.5);
    expect(range[1]).toBeGreaterThanOrEqual(2000);
    expect(range[1]).toBeLessThan(1e5);
    expect(countAbove(plain.series, clipAbove, true)).toBe(3);
  });

  test('reference lines stay in view; every run diverged still clamps each explosion', () => {
    const healthy = { series: [line([1, 2])], refs: [{ y: 1e6 }], diverged: false };
    const diverged = { series: [line([1, 1e20])], diverged: true };
    expect(runsUpper([healthy, diverged], true)).toBe(1e6);
    const both = [
      { series: [line(EXPLOSION)], diverged: true },
      { series: [line([10, 20, 30, 1e25])], diverged: true },
    ];
    expect(runsUpper(both, true)).toBe(3e4);
  });

  test('linear axes get half the span as headroom; nothing to show gives a default range', () => {
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
    expect(logColorRange([{ series: [line([0.01, 0, NaN, 100])], diverged: false }])).toEqual({ range: [-2, 2], clipped: false });
    const shared = logColorRange([
      { series: [line([1, 10, 100])], diverged: false },
      { series: [line([1, 5, 1e20, Infinity])], diverged: true },
    ]);
    expect(shared.clipped).toBe(true);
    expect(shared.range[0]).toBe(0);
    expect(shared.range[1]).toBeCloseTo(3);
  });
  test('typed arrays are read as series; no values or a single value still give a usable range', () => {
    expect(logColorRange([{ series: [{ values: new Float64Array([0.1, 10]) }], diverged: false }]).range).toEqual([-1, 1]);
    expect(logColorRange([{ series: [], diverged: false }])).toEqual({ range: [-3, 0], clipped: false });
    const r = logColorRange([{ series: [line([10, 10])], diverged: false }]).range;
    expect(r[1] - r[0]).toBeCloseTo(1);
  });
});
