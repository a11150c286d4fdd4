/**
 * The Gaussian-process surrogate: the normal CDF against known values, expected
 * improvement against its closed form, and a fit that interpolates its data and
 * grows uncertain away from it.
 */
import { describe, expect, test } from 'vitest';
import { erfc, normCdf as normalCdf } from '../theory.ts';
import { expectedImprovement, fitGp } from './gp.ts';

describe('normal distribution', () => {
  test.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1.96, 0.024997895148220435],
    [3, 0.9986501019683699],
    [-5, 2.866515718791939e-7],
  ])('Φ(%d)', (z, p) => {
    expect(Math.abs(normalCdf(z) - p) / p).toBeLessThan(2e-7);
  });
  test('erfc(0) = 1, erfc(-x) = 2 - erfc(x)', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(-0.7) + erfc(0.7)).toBeCloseTo(2, 12);
  });
});

describe('expected improvement', () => {
  test('closed form: at mean = best it is sd·φ(0)', () => {
    expect(expectedImprovement(1, 2, 1)).toBeCloseTo(2 / Math.sqrt(2 * Math.PI), 7);
  });
  test('without uncertainty it is the plain improvement', () => {
    expect(expectedImprovement(0.3, 0, 1)).toBeCloseTo(0.7, 12);
    expect(expectedImprovement(1.3, 0, 1)).toBe(0);
  });
  test('grows with the uncertainty and with a lower mean', () => {
    expect(expectedImprovement(1, 0.5, 1)).toBeGreaterThan(expectedImprovement(1, 0.2, 1));
    expect(expectedImprovement(0.8, 0.2, 1)).toBeGreaterThan(expectedImprovement(1, 0.2, 1));
  });
});

describe('fitGp', () => {
  const X = [0.05, 0.2, 0.4, 0.55, 0.7, 0.95].map((x) => [x]);
  const f = (x: number) => Math.sin(6 * x) + 0.5 * x;
  const y = X.map(([x]) => f(x));
  const gp = fitGp(X, y);

  test('interpolates the data with small uncertainty there', () => {
    const p = gp.predict(X);
    X.forEach((_, i) => {
      expect(p.mean[i]).toBeCloseTo(y[i], 1);
      expect(p.sd[i]).toBeLessThan(0.1);
    });
  });

  test('predicts between the points and is less sure away from them', () => {
    const p = gp.predict([[0.3], [0.475], [0.3]]);
    expect(Math.abs(p.mean[1] - f(0.475))).toBeLessThan(0.25);
    expect(p.sd[0]).toBeGreaterThan(gp.predict([[0.4]]).sd[0]);
    expect(p.mean[0]).toBe(p.mean[2]);
  });

  test('two dimensions; a believed observation shrinks the uncertainty there', () => {
    const X2 = [[0.1, 0.1], [0.9, 0.2], [0.5, 0.5], [0.2, 0.8], [0.8, 0.9]];
    const g = fitGp(X2, X2.map(([a, b]) => a * a + b));
    expect(g.lengthScales).toHaveLength(2);
    const at = [[0.5, 0.1]];
    const before = g.predict(at);
    const after = g.withObservation(at[0], before.mean[0]).predict(at);
    expect(after.sd[0]).toBeLessThan(before.sd[0] / 3);
    expect(after.mean[0]).toBeCloseTo(before.mean[0], 3);
  });

  test('constant data do not break the fit', () => {
    const g = fitGp([[0.1], [0.5], [0.9]], [2, 2, 2]);
    const p = g.predict([[0.3]]);
    expect(p.mean[0]).toBeCloseTo(2, 6);
    expect(Number.isFinite(p.sd[0])).toBe(true);
  });
});
