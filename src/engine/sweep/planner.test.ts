/**
 * Which trials a sweep runs: grid covers exactly the grid, random stays inside the
 * bounds and is log-uniform on log scales, the same config gives the same trials
 * (also for the Bayesian search, whatever the number of workers), and the
 * scheduler reports invalid trials instead of crashing. A synthetic objective
 * stands in for training here; sweep.train.test.ts trains real nets.
 */
import { describe, expect, test } from 'vitest';
import { SweepPlanner, type TrialSpec } from './planner.ts';
import { runSweep } from './runner.ts';
import { sweepOrThrow, type SweepInput } from './schema.ts';
import { baseResult, scoreOf, type TrialResult } from './result.ts';
import { trialsToCsv, trialToJson, parseSweepLine, summaryToJson } from './format.ts';

function allSpecs(p: SweepPlanner): TrialSpec[] {
  const out: TrialSpec[] = [];
  for (let s = p.next(); s !== null; s = p.next()) {
    if (s === 'wait') throw new Error('grid/random never wait');
    out.push(s);
  }
  return out;
}

/** A fake trial result from a function of the parameter values (lower is better). */
function fake(f: (v: number[]) => number, delayMs = 0) {
  return async (spec: TrialSpec): Promise<TrialResult> => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs * ((spec.index * 7919) % 5)));
    const y = f(spec.values);
    const diverged = !Number.isFinite(y);
    return {
      ...baseResult(spec),
      objective: diverged ? Infinity : y,
      status: diverged ? 'diverged' : 'ok',
      diverged,
      divergedAt: diverged ? 3 : null,
      finalLoss: diverged ? Infinity : y,
      testAcc: null,
      trainLoss: y,
      trainAcc: 0.5,
      maxGradNorm: 1,
      stepsRun: diverged ? 4 : 10,
      ms: 0,
    };
  };
}

const GRID: SweepInput = {
  params: [
    { path: 'optimizer.lr', scale: 'log', min: 0.001, max: 1, steps: 4 },
    { path: 'model.initGain', scale: 'linear', min: 0.5, max: 2, steps: 3 },
    { path: 'model.hidden.length', scale: 'list', values: [2, 6] },
  ],
  method: 'grid',
};

describe('grid', () => {
  test('exactly the grid: every combination once, first parameter fastest', () => {
    const specs = allSpecs(new SweepPlanner(sweepOrThrow(GRID)));
    expect(specs).toHaveLength(4 * 3 * 2);
    const lr = [0.001, 0.01, 0.1, 1];
    const gain = [0.5, 1.25, 2];
    const keys = new Set(specs.map((s) => s.values.join(',')));
    expect(keys.size).toBe(24);
    for (const a of lr) for (const g of gain) for (const d of [2, 6]) {
      const hit = specs.filter((s) => Math.abs(s.values[0] / a - 1) < 1e-12 && s.values[1] === g && s.values[2] === d);
      expect(hit, `${a},${g},${d}`).toHaveLength(1);
    }
    expect(specs.slice(0, 5).map((s) => s.cell)).toEqual([[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0], [0, 1, 0]]);
    expect(specs.map((s) => s.index)).toEqual(specs.map((_, i) => i));
    for (const s of specs) {
      expect(s.config!.optimizer.lr).toBe(s.values[0]);
      expect(s.config!.model.initGain).toBe(s.values[1]);
      expect(s.config!.model.hidden).toHaveLength(s.values[2]);
      expect(s.config!.train.steps).toBe(200);
      expect(s.chosenBy).toBe('grid');
    }
  });

  test('compare: each point twice, base then variant, same values', () => {
    const specs = allSpecs(new SweepPlanner(sweepOrThrow({ ...GRID, params: GRID.params.slice(0, 1), compare: { 'stabilizers.clip': { mode: 'global_norm' } } })));
    expect(specs).toHaveLength(8);
    for (let p = 0; p < 4; p++) {
      const [a, b] = specs.filter((s) => s.point === p);
      expect([a.variant, b.variant]).toEqual([0, 1]);
      expect(a.values).toEqual(b.values);
      expect(a.config!.stabilizers.clip.mode).toBe('none');
      expect(b.config!.stabilizers.clip.mode).toBe('global_norm');
    }
  });
});

describe('random', () => {
  const cfg = sweepOrThrow({
    params: [
      { path: 'optimizer.lr', scale: 'log', min: 1e-4, max: 1 },
      { path: 'optimizer.momentum', scale: 'linear', min: 0.5, max: 0.9 },
      { path: 'train.batchSize', scale: 'log', min: 4, max: 64 },
    ],
    method: 'random',
    budget: 1000,
    seed: 3,
  });
  const specs = allSpecs(new SweepPlanner(cfg));

  test('inside the bounds; integers stay integers', () => {
    expect(specs).toHaveLength(1000);
    for (const s of specs) {
      expect(s.values[0]).toBeGreaterThanOrEqual(1e-4);
      expect(s.values[0]).toBeLessThanOrEqual(1);
      expect(s.values[1]).toBeGreaterThanOrEqual(0.5);
      expect(s.values[1]).toBeLessThanOrEqual(0.9);
      expect(Number.isInteger(s.values[2])).toBe(true);
      expect(s.values[2]).toBeGreaterThanOrEqual(4);
      expect(s.values[2]).toBeLessThanOrEqual(64);
      expect(s.chosenBy).toBe('random');
    }
  });

  test('log scale is log-uniform: each decade gets about a quarter; linear scale is uniform', () => {
    const decades = [0, 0, 0, 0];
    for (const s of specs) decades[Math.min(3, Math.floor(Math.log10(s.values[0]) + 4))]++;
    // Binomial(1000, 1/4): sd ≈ 14; a linear draw would put ~90% in the top decade.
    for (const n of decades) expect(Math.abs(n - 250)).toBeLessThan(60);
    const low = specs.filter((s) => s.values[1] < 0.7).length;
    expect(Math.abs(low - 500)).toBeLessThan(60);
  });

  test('seeded: the same config gives the same trials; another seed other trials', () => {
    const again = allSpecs(new SweepPlanner(cfg));
    expect(again.map((s) => s.values)).toEqual(specs.map((s) => s.values));
    const other = allSpecs(new SweepPlanner({ ...cfg, seed: 4 }));
    expect(other.map((s) => s.values)).not.toEqual(specs.map((s) => s.values));
  });

  test('list parameters draw only listed values', () => {
    const s = allSpecs(new SweepPlanner(sweepOrThrow({ params: [{ path: 'model.hidden.width', scale: 'list', values: [8, 16, 32] }], method: 'random', budget: 60 })));
    expect(new Set(s.map((x) => x.values[0]))).toEqual(new Set([8, 16, 32]));
  });
});

describe('bayes (synthetic objective)', () => {
  // A smooth bowl in log10(lr) with its minimum at lr = 0.03, and divergence above lr = 2.
  const bowl = ([lr]: number[]) => (lr > 2 ? Infinity : 0.2 + (Math.log10(lr) - Math.log10(0.03)) ** 2);
  const cfg = sweepOrThrow({ params: [{ path: 'optimizer.lr', scale: 'log', min: 1e-4, max: 10 }], method: 'bayes', budget: 10, seed: 5, bayes: { batch: 2 } });

  test('the same trials whatever the number of workers and the order results arrive in', async () => {
    const a = await runSweep(cfg, fake(bowl), { concurrency: 1 });
    const b = await runSweep(cfg, fake(bowl, 3), { concurrency: 4 });
    const byIndex = (rs: TrialResult[]) => [...rs].sort((x, y) => x.index - y.index).map((r) => r.values[0]);
    expect(byIndex(b.results)).toEqual(byIndex(a.results));
    expect(a.results).toHaveLength(10);
  });

  test('initial points are random (a Latin hypercube), then rounds chosen by expected improvement', async () => {
    const { results } = await runSweep(cfg, fake(bowl));
    const sorted = [...results].sort((x, y) => x.index - y.index);
    expect(sorted.slice(0, 3).map((r) => r.chosenBy)).toEqual(['random', 'random', 'random']);
    expect(sorted.slice(3).every((r) => r.chosenBy === 'bayes')).toBe(true);
    expect(sorted.map((r) => r.round)).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 3, 4]);
    // Latin hypercube: one initial point in each third of the log range.
    const thirds = sorted.slice(0, 3).map((r) => Math.floor(((Math.log10(r.values[0]) + 4) / 5) * 3));
    expect(new Set(thirds)).toEqual(new Set([0, 1, 2]));
  });

  test('finds the bowl’s minimum closely, diverged points count as bad', async () => {
    const { summary, results } = await runSweep(cfg, fake(bowl));
    expect(summary.best).not.toBeNull();
    expect(Math.abs(Math.log10(summary.best!.values[0]) - Math.log10(0.03))).toBeLessThan(0.25);
    expect(Number.isNaN(scoreOf({ objective: Infinity, objectiveName: 'final_loss', status: 'diverged' }))).toBe(true);
    expect(results.every((r) => r.diverged === r.values[0] > 2)).toBe(true);
  });

  test('two parameters: finds a tilted valley’s minimum', async () => {
    const f = ([lr, g]: number[]) => (Math.log10(lr) + 2) ** 2 + 2 * (Math.log2(g) - 0.5) ** 2 + 0.1;
    const c = sweepOrThrow({
      params: [
        { path: 'optimizer.lr', scale: 'log', min: 1e-4, max: 1 },
        { path: 'model.initGain', scale: 'log', min: 0.25, max: 4 },
      ],
      method: 'bayes',
      budget: 20,
      seed: 2,
    });
    const { summary } = await runSweep(c, fake(f));
    expect(summary.best!.objective).toBeLessThan(0.1 + 0.15);
  });

  test('every result is reported once; invalid trials are reported as invalid, not run', async () => {
    const c = sweepOrThrow({
      base: { data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [4] } },
      params: [{ path: 'model.hidden.width', scale: 'list', values: [4, 8, 300] }],
    });
    let ran = 0;
    const { results, summary } = await runSweep(c, async (s) => {
      ran++;
      return fake(() => 1)(s);
    });
    expect(ran).toBe(2);
    expect(results).toHaveLength(3);
    const bad = results.find((r) => r.values[0] === 300)!;
    expect(bad.status).toBe('invalid');
    expect(bad.config).toBeNull();
    expect(bad.error).toMatch(/model\.hidden\[0\]: must be an integer 1\.\.128/);
    expect(summary).toMatchObject({ trials: 3, finished: 3, invalid: 1, diverged: 0 });
  });

  test('an executor that throws gives an error result, and the sweep goes on', async () => {
    const c = sweepOrThrow({ params: [{ path: 'optimizer.lr', scale: 'list', values: [0.1, 0.2, 0.3] }] });
    const { results, summary } = await runSweep(c, async (s) => {
      if (s.values[0] === 0.2) throw new Error('worker crashed');
      return fake(() => 1)(s);
    });
    expect(results.map((r) => r.status).sort()).toEqual(['error', 'ok', 'ok']);
    expect(results.find((r) => r.status === 'error')!.error).toBe('worker crashed');
    expect(summary.errors).toBe(1);
  });

  test('cancelling stops scheduling; finished trials are kept', async () => {
    const c = sweepOrThrow({ params: [{ path: 'optimizer.lr', scale: 'log', min: 0.01, max: 1, steps: 20 }] });
    const signal = { aborted: false };
    const { results, summary } = await runSweep(c, fake(() => 1, 1), {
      concurrency: 2,
      signal,
      onTrial: (_r, done) => {
        if (done === 5) signal.aborted = true;
      },
    });
    expect(summary.cancelled).toBe(true);
    expect(results.length).toBeGreaterThanOrEqual(5);
    expect(results.length).toBeLessThan(20);
  });
});

describe('formats', () => {
  test('JSON lines keep non-finite numbers as strings; CSV has one column per parameter and a share URL', async () => {
    const c = sweepOrThrow({ params: [{ path: 'optimizer.lr', scale: 'list', values: [0.1, 5] }] });
    const { results, summary } = await runSweep(c, fake(([lr]) => (lr > 1 ? Infinity : 0.3)));
    const line = trialToJson(results.find((r) => r.diverged)!);
    expect(line).toContain('"objective":"Infinity"');
    expect(parseSweepLine(line).objective).toBe(Infinity);
    expect(Object.keys(JSON.parse(line)).at(-1)).toBe('config');
    expect(JSON.parse(summaryToJson(summary)).best.params).toEqual({ 'optimizer.lr': 0.1 });
    const csv = trialsToCsv(results, ['optimizer.lr']).trim().split('\n');
    expect(csv[0]).toBe(
      'index,point,variant,variantLabel,chosenBy,round,optimizer.lr,objectiveName,objective,status,diverged,divergedAt,finalLoss,testAcc,trainLoss,trainAcc,maxGradNorm,stepsRun,ms,url',
    );
    expect(csv).toHaveLength(3);
    expect(csv[2]).toMatch(/,5,final_loss,Infinity,diverged,true,3,.*,http:\/\/127\.0\.0\.1:5173\/#e=/);
  });
});
