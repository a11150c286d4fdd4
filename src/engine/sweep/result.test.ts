/**
 * The best-trial rule (`better`, `bestTrial`): only finished trials with a finite
 * objective count, the lower loss or the higher accuracy wins exactly, and a tie goes
 * to the lower trial index whatever the order the trials finish in.
 */
import { describe, expect, test } from 'vitest';
import { makeRng } from '../rng.ts';
import { baseResult, bestTrial, better, failedResult, type TrialResult, type TrialStatus } from './result.ts';
import type { TrialSpec } from './planner.ts';
import type { Objective } from './schema.ts';

function spec(index: number, objective: Objective): TrialSpec {
  return { index, point: index, variant: 0, variantLabel: 'A', params: {}, values: [], unit: [], chosenBy: 'grid', round: 0, objective, config: null };
}

function trial(index: number, value: number, status: TrialStatus = 'ok', objective: Objective = 'final_loss'): TrialResult {
  return {
    ...baseResult(spec(index, objective)),
    objective: value,
    status,
    diverged: status === 'diverged',
    divergedAt: status === 'diverged' ? 3 : null,
    finalLoss: value,
    testAcc: null,
    trainLoss: value,
    trainAcc: 0.5,
    maxGradNorm: 1,
    stepsRun: 10,
    ms: 1,
  };
}

function shuffled<T>(xs: readonly T[], seed: string): T[] {
  const rng = makeRng(seed);
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('better', () => {
  test('final_loss: lower wins; test_acc: higher wins', () => {
    expect(better(trial(1, 0.2), trial(0, 0.3))).toBe(true);
    expect(better(trial(1, 0.3), trial(0, 0.2))).toBe(false);
    expect(better(trial(1, 0.9, 'ok', 'test_acc'), trial(0, 0.8, 'ok', 'test_acc'))).toBe(true);
    expect(better(trial(1, 0.8, 'ok', 'test_acc'), trial(0, 0.9, 'ok', 'test_acc'))).toBe(false);
  });

  test('a tie goes to the lower index, in either order', () => {
    expect(better(trial(2, 0.5), trial(5, 0.5))).toBe(true);
    expect(better(trial(5, 0.5), trial(2, 0.5))).toBe(false);
    expect(better(trial(3, 0, 'ok', 'test_acc'), trial(4, -0, 'ok', 'test_acc'))).toBe(true);
  });

  test('losses under 1e-12 are still told apart', () => {
    expect(better(trial(1, 1e-15), trial(0, 1e-13))).toBe(true);
    expect(better(trial(0, 1e-13), trial(1, 1e-15))).toBe(false);
  });

  test('diverged, invalid, failed and cancelled trials and NaN objectives are never best, and lose to any eligible one', () => {
    const ok = trial(9, 5);
    const never = [
      trial(0, Infinity, 'diverged'),
      trial(0, 0, 'diverged', 'test_acc'),
      failedResult(spec(0, 'final_loss'), 'invalid', 'bad'),
      failedResult(spec(0, 'final_loss'), 'error', 'crashed'),
      failedResult(spec(0, 'final_loss'), 'cancelled', 'cancelled'),
      trial(0, NaN),
      trial(0, Infinity),
      trial(0, -Infinity),
    ];
    for (const n of never) {
      expect(better(n, null), n.status).toBe(false);
      expect(better(n, ok), n.status).toBe(false);
      expect(better(ok, n), n.status).toBe(true);
    }
    expect(better(ok, null)).toBe(true);
  });
});

describe('bestTrial', () => {
  test('the same best trial whatever the order the trials finish in', () => {
    const results = [
      trial(0, 0.4),
      trial(1, NaN),
      trial(2, 0.25),
      trial(3, Infinity, 'diverged'),
      trial(4, 0.25),
      failedResult(spec(5, 'final_loss'), 'error', 'x'),
      trial(6, 0.3),
    ];
    for (let k = 0; k < 20; k++) expect(bestTrial(shuffled(results, `order ${k}`))?.index).toBe(2);
  });

  test('null when no trial can be best', () => {
    expect(bestTrial([])).toBeNull();
    expect(bestTrial([trial(0, Infinity, 'diverged'), trial(1, NaN)])).toBeNull();
  });
});
