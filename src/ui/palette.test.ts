/**
 * Presentation mode's colours against white, by the WCAG 2 contrast ratio:
 * at least 3:1 for every line (the bar for graphics), and the palette's own
 * bar of 4.5:1 (text), for every number of layers a model can have.
 */
import { describe, expect, test } from 'vitest';
import { HIGH_CONTRAST_LAYERS, HIGH_CONTRAST_RUNS, chartTextPx, contrastRatio, lineColors, relativeLuminance, runColor } from './palette.ts';
import { RUN_COLORS, layerColor } from './colors.ts';

const WHITE = '#ffffff';

describe('WCAG contrast', () => {
  test('known ratios', () => {
    expect(contrastRatio('#000000', WHITE)).toBeCloseTo(21, 6);
    expect(contrastRatio(WHITE, WHITE)).toBe(1);
    expect(contrastRatio('#767676', WHITE)).toBeCloseTo(4.54, 2);
    expect(contrastRatio('#aaaaaa', WHITE)).toBeCloseTo(2.32, 2);
    expect(relativeLuminance('rgb(255,255,255)')).toBeCloseTo(1, 9);
  });

  test('the issue: the pale end of viridis is about 1.4:1 on white', () => {
    const last = layerColor(9, 10);
    expect(contrastRatio(last, WHITE)).toBeLessThan(1.6);
  });
});

describe('presentation palette', () => {
  test('every layer colour has at least 3:1 (indeed 4.5:1) on white, for 1 … 64 layers', () => {
    let worst = Infinity;
    for (let n = 1; n <= 65; n++) {
      const colors = lineColors(n, true);
      expect(colors).toHaveLength(n);
      for (const c of colors) {
        expect(c).toMatch(/^#[0-9a-f]{6}$/);
        worst = Math.min(worst, contrastRatio(c, WHITE));
      }
    }
    expect(worst).toBeGreaterThanOrEqual(4.5);
    for (const c of HIGH_CONTRAST_LAYERS) expect(contrastRatio(c, WHITE)).toBeGreaterThanOrEqual(4.5);
  });

  test('run colours: at least 4.5:1 on white, and four distinct ones', () => {
    for (const c of HIGH_CONTRAST_RUNS) expect(contrastRatio(c, WHITE), c).toBeGreaterThanOrEqual(4.5);
    expect(new Set([0, 1, 2, 3].map((i) => runColor(i, true))).size).toBe(4);
    expect(runColor(5, true)).toBe(runColor(1, true));
  });

  test('layers stay ordered and tell apart: the first and last differ, neighbours of 8 layers differ', () => {
    const c = lineColors(8, true);
    expect(c[0]).toBe(HIGH_CONTRAST_LAYERS[0]);
    expect(c[7]).toBe(HIGH_CONTRAST_LAYERS.at(-1));
    expect(new Set(c).size).toBe(8);
  });

  test('outside presentation mode the charts keep viridis and Okabe–Ito', () => {
    expect(lineColors(5, false)).toEqual([0, 1, 2, 3, 4].map((l) => layerColor(l, 5)));
    expect(runColor(2, false)).toBe(RUN_COLORS[2]);
    expect(lineColors(0, true)).toEqual([]);
  });

  test('chart text is at least 13 px, larger when presenting', () => {
    expect(chartTextPx(false)).toBeGreaterThanOrEqual(13);
    expect(chartTextPx(true)).toBeGreaterThan(chartTextPx(false));
  });
});
