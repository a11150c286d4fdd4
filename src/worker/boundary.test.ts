import { describe, expect, test } from 'vitest';
import { defaultRunConfig } from '../engine/config.ts';
import { estimateRun } from '../engine/estimate.ts';
import { BOUNDARY_N, BoundaryPolicy, MAX_GRID_FLOPS } from './boundary.ts';

const policy = (hidden: number[], batch = 32) => {
  const cfg = defaultRunConfig({ model: { hidden }, train: { batchSize: batch } });
  return BoundaryPolicy.forRun(estimateRun(cfg).flopsPerStep, batch);
};

describe('when the decision boundary is drawn', () => {
  test('at most every 500 ms, forced after a build or a step', () => {
    const p = policy([16, 16, 16]);
    expect(p.due(0, true)).toBe(true);
    expect(p.due(100, false)).toBe(false);
    expect(p.due(600, false)).toBe(true);
    expect(p.due(700, true)).toBe(true);
  });

  test('a grid that took long waits ten times as long: at most a tenth of the worker time', () => {
    const p = policy([64, 64]);
    expect(p.due(0, false)).toBe(true);
    p.took(200);
    expect(p.due(1500, false)).toBe(false);
    expect(p.due(2001, false)).toBe(true);
  });

  test('never for a model whose grid costs more than the bound (16 layers of 1024)', () => {
    // one forward pass per grid point: 2 × multiply-adds
    const macs = 2 * 1024 + 15 * 1024 * 1024 + 1024 * 2;
    expect(BOUNDARY_N * BOUNDARY_N * 2 * macs).toBeGreaterThan(MAX_GRID_FLOPS);
    const p = policy(Array(16).fill(1024));
    expect(p.due(0, true)).toBe(false);
    expect(policy([128, 128]).due(0, true)).toBe(true);
  });
});
