/**
 * Sweeps that train real (small) nets in Node on the wasm backend:
 *  - Bayesian search over the learning rate reaches the grid's best objective
 *    (within 5%) with a third of the grid's trials, on average over seeds;
 *  - the stability map of lr × init gain of a deep ReLU MLP diverges at high lr
 *    and high gain, and global-norm clipping shrinks the diverged region.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../../node/tf-node.ts';
import type { RunConfigInput } from '../config.ts';
import { runSweep } from './runner.ts';
import { sweepOrThrow } from './schema.ts';
import { runTrial, type TrialResult } from './trial.ts';

beforeAll(async () => {
  await setNodeBackend('wasm');
});

const exec = (s: Parameters<typeof runTrial>[0]) => runTrial(s);

describe('Bayesian search vs the grid (learning rate of a small net, fixed seed)', () => {
  // Two overlapping Gaussian blobs: the held-out loss has a broad minimum near
  // lr ≈ 0.05 (the Bayes error of the overlap), rises slowly for small rates and
  // steeply past lr ≈ 3, where plain SGD becomes unstable.
  const base: RunConfigInput = {
    seed: 1,
    data: { name: 'gauss', samples: 512, noise: 0.6 },
    model: { hidden: [16, 16] },
    optimizer: { name: 'sgd' },
    train: { batchSize: 32, evalEvery: 0 },
  };
  const lr = { path: 'optimizer.lr', scale: 'log', min: 1e-3, max: 30 } as const;
  const GRID_STEPS = 18;
  const BUDGET = GRID_STEPS / 3;
  const SEEDS = [1, 2, 3];

  test(`bayes with ${BUDGET} trials gets within 5% of an ${GRID_STEPS}-point grid's best, averaged over ${SEEDS.length} seeds`, async () => {
    const grid = await runSweep(sweepOrThrow({ base, params: [{ ...lr, steps: GRID_STEPS }], method: 'grid', stepsPerTrial: 80 }), exec, { concurrency: 2 });
    expect(grid.results).toHaveLength(GRID_STEPS);
    const gridBest = grid.summary.best!;
    // A known optimum: inside the range, far from both ends.
    expect(gridBest.values[0]).toBeGreaterThan(0.01);
    expect(gridBest.values[0]).toBeLessThan(0.5);
    const bests: number[] = [];
    for (const seed of SEEDS) {
      const cfg = sweepOrThrow({ base, params: [lr], method: 'bayes', budget: BUDGET, seed, stepsPerTrial: 80 });
      const { results, summary } = await runSweep(cfg, exec, { concurrency: 2 });
      expect(results).toHaveLength(BUDGET);
      bests.push(summary.best!.objective);
    }
    const mean = bests.reduce((a, b) => a + b, 0) / bests.length;
    process.stdout.write(
      `# lr sweep: grid best ${gridBest.objective.toFixed(4)} at lr ${gridBest.values[0].toPrecision(3)} (${GRID_STEPS} trials); ` +
        `bayes best per seed ${bests.map((b) => b.toFixed(4)).join(', ')} (${BUDGET} trials each), mean ratio ${(mean / gridBest.objective).toFixed(3)}\n`,
    );
    expect(mean).toBeLessThanOrEqual(1.05 * gridBest.objective);
  });
});

describe('stability map: lr × init gain of a deep ReLU MLP, with and without clipping', () => {
  let results: TrialResult[] = [];
  const N = 4;

  beforeAll(async () => {
    const cfg = sweepOrThrow({
      base: {
        seed: 1,
        data: { name: 'spiral', samples: 256 },
        model: { hidden: [16, 16, 16, 16, 16, 16], activation: 'relu', init: 'he_normal' },
        optimizer: { name: 'sgd' },
        train: { batchSize: 32, evalEvery: 0 },
      },
      params: [
        { path: 'optimizer.lr', scale: 'log', min: 1e-3, max: 1, steps: N },
        { path: 'model.initGain', scale: 'log', min: 0.5, max: 4, steps: N },
      ],
      method: 'grid',
      stepsPerTrial: 30,
      compare: { 'stabilizers.clip': { mode: 'global_norm', threshold: 1 } },
    });
    results = (await runSweep(cfg, exec, { concurrency: 2 })).results;
  });

  const map = (variant: number) => {
    const m: boolean[][] = Array.from({ length: N }, () => Array(N).fill(false));
    for (const r of results) if (r.variant === variant) m[r.cell![0]][r.cell![1]] = r.diverged;
    return m;
  };
  const count = (m: boolean[][]) => m.flat().filter(Boolean).length;
  const draw = (m: boolean[][]) =>
    Array.from({ length: N }, (_, j) => m.map((col) => (col[N - 1 - j] ? 'X' : '.')).join('')).join(' / ');

  test('every point trained twice; each record has its parameters, outcome and config', () => {
    expect(results).toHaveLength(2 * N * N);
    for (const r of results) {
      expect(r.status === 'ok' || r.status === 'diverged').toBe(true);
      expect(r.config!.optimizer.lr).toBe(r.params['optimizer.lr']);
      expect(r.config!.model.initGain).toBe(r.params['model.initGain']);
      expect(r.config!.stabilizers.clip.mode).toBe(r.variant === 0 ? 'none' : 'global_norm');
      if (r.diverged) {
        expect(r.objective).toBe(Infinity);
        expect(r.divergedAt).toBeGreaterThanOrEqual(0);
        expect(r.stepsRun).toBe(r.divergedAt! + 1);
      } else {
        expect(Number.isFinite(r.objective)).toBe(true);
        expect(r.divergedAt).toBeNull();
        expect(r.stepsRun).toBe(30);
        expect(Number.isFinite(r.maxGradNorm)).toBe(true);
      }
    }
  });

  test('without clipping: diverges at high lr and high gain, and only there', () => {
    const m = map(0);
    process.stdout.write(`# stability map (gain rows high→low, lr columns low→high): no clip ${draw(m)}; clip ${draw(map(1))}\n`);
    expect(m[N - 1][N - 1]).toBe(true); // highest lr, highest gain
    expect(m[0][0]).toBe(false); // lowest lr, lowest gain
    // The diverged region is closed upwards: raising lr or gain never makes a diverged cell stable.
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
      if (m[i][j]) {
        if (i + 1 < N) expect(m[i + 1][j], `lr ${i + 1}, gain ${j}`).toBe(true);
        if (j + 1 < N) expect(m[i][j + 1], `lr ${i}, gain ${j + 1}`).toBe(true);
      }
    }
    // Low rates and low gains are stable.
    for (let k = 0; k < N; k++) {
      expect(m[0][k]).toBe(false);
      expect(m[k][0]).toBe(false);
    }
  });

  test('clipping shrinks the diverged area', () => {
    const a = map(0);
    const b = map(1);
    expect(count(b)).toBeLessThan(count(a));
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (b[i][j]) expect(a[i][j]).toBe(true);
  });
});
