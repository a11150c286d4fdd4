/**
 * A regression's loss and R² (loss.ts) on hand-made batches, against values worked
 * out by hand: R² = 1 − Σ(p − t)²/Σ(t − mean t)² is 1 for a perfect predictor, 0 for
 * the mean predictor and 0 when the targets are all equal; the loss is the mean of
 * (p − t)² and ∂L/∂p = 2(p − t)/n. In float32 (as the engine runs) and float64.
 */
import { describe, expect, test } from 'vitest';
import { meanSquaredErrorRows, sumSquaredErrors } from './loss.ts';

const ROUNDINGS = [
  { name: 'float32', r: Math.fround },
  { name: 'float64', r: (x: number) => x },
];

// targets with mean 3: Σ(t − 3)² = 4 + 1 + 0 + 9 = 14
const T = [1, 2, 3, 6];

function run(pred: number[], targets: number[], r: (x: number) => number, start = 0) {
  const out = new Float64Array(2);
  const grad = new Float32Array(pred.length);
  meanSquaredErrorRows(Float32Array.from(pred), targets, start, pred.length, grad, r, out);
  return { loss: out[0], r2: out[1], grad: [...grad] };
}

describe.each(ROUNDINGS)('mean squared error and R², $name', ({ r }) => {
  test('a perfect predictor: loss 0, R² 1, no gradient', () => {
    const { loss, r2, grad } = run(T, T, r);
    expect(loss).toBe(0);
    expect(r2).toBe(1);
    expect(grad.every((g) => g === 0)).toBe(true);
  });

  test('the mean predictor: R² 0; loss Σ(t − mean)²/n = 14/4', () => {
    const { loss, r2, grad } = run([3, 3, 3, 3], T, r);
    expect(r2).toBe(0);
    expect(loss).toBe(3.5);
    // 2(p − t)/n = (3 − t)/2
    expect(grad).toEqual([1, 0.5, 0, -1.5]);
  });

  test('one prediction off by 2: loss 4/4 = 1, R² = 1 − 4/14 = 5/7, ∂L/∂p = 2(4 − 6)/4 = −1 at that example only', () => {
    const { loss, r2, grad } = run([1, 2, 3, 4], T, r);
    expect(loss).toBe(1);
    expect(r2).toBeCloseTo(5 / 7, 6);
    expect(grad).toEqual([0, 0, 0, -1]);
  });

  test('a predictor worse than the mean: R² < 0', () => {
    // Σ(p − t)² = 4 + 4 + 4 + 16 = 28 = 2·14: R² = −1
    const { r2 } = run([3, 4, 1, 2], T, r);
    expect(r2).toBeCloseTo(-1, 6);
  });

  test('targets all equal: R² 0 whatever the predictions (nothing to explain)', () => {
    expect(run([5, 5, 5], [5, 5, 5], r).r2).toBe(0);
    expect(run([1, 9, -3], [5, 5, 5], r).r2).toBe(0);
    expect(run([1, 9, -3], [5, 5, 5], r).loss).toBeCloseTo((16 + 16 + 64) / 3, 5);
  });

  test('targets read from `start` on; a held-out chunk’s Σ(p − t)²', () => {
    const { loss, r2 } = run([1, 2, 3, 4], [100, -7, ...T], r, 2);
    expect(loss).toBe(1);
    expect(r2).toBeCloseTo(5 / 7, 6);
    expect(sumSquaredErrors(Float32Array.of(1, 2, 3, 4), [0, ...T], 1, 4, r)).toBe(4);
    expect(sumSquaredErrors(Float32Array.of(0.5, -1), [1, 1], 0, 2, r)).toBe(0.25 + 4);
  });

  test('a non-finite prediction gives a non-finite loss and R²', () => {
    const { loss, r2 } = run([1, Infinity, 3, 6], T, r);
    expect(loss).toBe(Infinity);
    expect(r2).toBe(-Infinity);
    const nan = run([1, NaN, 3, 6], T, r);
    expect(nan.loss).toBeNaN();
    expect(nan.r2).toBeNaN();
  });
});
