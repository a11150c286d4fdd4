import { afterEach, describe, expect, test } from 'vitest';
import { STANDARD_PALETTE, boundaryRgba, chartPalette, heatRgb, layerColor, runColor, setChartPalette } from './colors.ts';

afterEach(() => setChartPalette(STANDARD_PALETTE));

describe('chart colours', () => {
  test('runs cycle through the palette; layers run from the dark end toward the light end', () => {
    expect(runColor(0)).toBe('#0072B2');
    expect(runColor(5)).toBe(runColor(1));
    expect(layerColor(0, 5)).toBe('rgb(68,1,84)');
    expect(heatRgb(0)).toEqual([68, 1, 84]);
    expect(heatRgb(1)).toEqual([253, 231, 37]);
  });
  test('decision-boundary shading blends the class colours by the probability', () => {
    expect(boundaryRgba(0)).toEqual([0, 69, 178, 140]);
    expect(boundaryRgba(1)).toEqual([230, 159, 0, 140]);
    expect(boundaryRgba(NaN)).toEqual(boundaryRgba(0.5));
  });
  test('one call switches every chart colour', () => {
    setChartPalette({ ...STANDARD_PALETTE, runs: ['#000000'], sequential: ['#000000', '#ffffff'], layerSpan: 1 });
    expect(chartPalette().runs).toEqual(['#000000']);
    expect(runColor(3)).toBe('#000000');
    expect(layerColor(1, 2)).toBe('rgb(255,255,255)');
    expect(heatRgb(0.5)).toEqual([128, 128, 128]);
  });
});
