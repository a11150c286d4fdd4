/**
 * The sweep store's SQL on an in-memory PGlite: creating a sweep (and finding it
 * again), claims that never hand one trial to two agents, leases that run out,
 * repeated requests, progress, results, and the Bayesian search planning its
 * points from the results in the store with pending points as fantasies. Then the
 * embedded store shared by several clients in one directory, and a holder that
 * goes away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sweepOrThrow, sweepToJson, type SweepInput } from '../../engine/sweep/schema.ts';
import type { TrialSpec } from '../../engine/sweep/planner.ts';
import { openPglite } from './pglite.ts';
import { SqlStore, type SweepStore, type TrialOutcomeRow } from './sql.ts';
import { EmbeddedStore } from './embedded.ts';
import { sweepId } from './id.ts';
import { retrying, workOn } from './work.ts';
import { baseResult, type TrialResult } from '../../engine/sweep/result.ts';

const TMP = mkdtempSync(join(tmpdir(), 'gradscope-store-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const GRID: SweepInput = {
  v: 1,
  params: [
    { path: 'optimizer.lr', scale: 'log', min: 0.01, max: 1, steps: 3 },
    { path: 'model.initGain', scale: 'list', values: [1, 2] },
  ],
  stepsPerTrial: 5,
};

function outcome(spec: TrialSpec, score: number): TrialOutcomeRow {
  return { state: 'finished', result: JSON.stringify({ type: 'trial', index: spec.index, objective: score }), score, diverged: false, error: null };
}

// One in-memory database for these tests (starting one takes seconds); each test has its own sweep.
let shared: SqlStore | null = null;
async function memoryStore(): Promise<SqlStore> {
  shared ??= new SqlStore(await openPglite(undefined));
  return shared;
}
afterAll(async () => {
  await shared?.close();
});

describe('SqlStore', () => {
  test('the same config is the same sweep: id from the normalized config, created once', async () => {
    const cfg = sweepOrThrow(GRID);
    const again = sweepOrThrow({ ...sweepToJson(cfg), stepsPerTrial: 5 });
    expect(sweepId(again)).toBe(sweepId(cfg));
    expect(sweepId(sweepOrThrow({ ...GRID, stepsPerTrial: 6 }))).not.toBe(sweepId(cfg));
    const store = await memoryStore();
    expect(await store.createSweep(sweepId(cfg), sweepToJson(cfg))).toEqual({ created: true, trials: 6 });
    expect(await store.createSweep(sweepId(cfg), sweepToJson(cfg))).toEqual({ created: false, trials: 6 });
    expect(await store.openSweeps()).toContain(sweepId(cfg));
    const p = await store.progress(sweepId(cfg));
    expect(p).toMatchObject({ trials: 6, planned: 6, claimed: 0, finished: 0, done: false });
  });

  test('claims: each trial to one agent, the own claim again on a repeated request, leases that run out are handed out again', async () => {
    const cfg = sweepOrThrow({ ...GRID, seed: 2 });
    const id = sweepId(cfg);
    const store = await memoryStore();
    await store.createSweep(id, sweepToJson(cfg));
    const a = await store.claim(id, 'a', 60_000);
    const a2 = await store.claim(id, 'a', 60_000);
    expect(a.kind === 'trial' && a2.kind === 'trial' && a2.spec.index === a.spec.index).toBe(true);
    const claims = await Promise.all(['b', 'c', 'd', 'e', 'f', 'g'].map((g) => store.claim(id, g, 60_000)));
    const got = claims.flatMap((c) => (c.kind === 'trial' ? [c.spec.index] : []));
    expect(got).toHaveLength(5);
    expect(new Set([a.kind === 'trial' ? a.spec.index : -1, ...got]).size).toBe(6);
    expect(claims.at(-1)!.kind).toBe('wait');
    // b's lease (moved on by 1 ms only) runs out: its trial goes to h, and b can no longer finish it.
    expect(await store.heartbeat(id, claims[0].kind === 'trial' ? claims[0].spec.index : -1, 'b', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    const h = await store.claim(id, 'h', 60_000);
    const bTrial = claims[0].kind === 'trial' ? claims[0].spec : null;
    expect(h.kind === 'trial' && h.spec.index === bTrial!.index && h.attempts === 2).toBe(true);
    expect(await store.heartbeat(id, bTrial!.index, 'b', 1000)).toBe(false);
    expect(await store.finish(id, bTrial!.index, 'b', outcome(bTrial!, 1))).toBe(false);
    expect(await store.finish(id, bTrial!.index, 'h', outcome(bTrial!, 1))).toBe(true);
    expect(await store.finish(id, bTrial!.index, 'h', outcome(bTrial!, 1))).toBe(true); // repeated: still one record
    expect((await store.results(id)).map((r) => r.index)).toEqual([bTrial!.index]);
    const p = await store.progress(id);
    expect(p).toMatchObject({ finished: 1, claimed: 5, reclaimed: 1, done: false });
    expect(p.agents).toHaveLength(5);
    // A released claim is planned again.
    const c = claims[1].kind === 'trial' ? claims[1].spec : null;
    await store.release(id, c!.index, 'c');
    expect((await store.progress(id)).planned).toBe(1);
  });

  test('done once every trial is finished or failed; results in index order, `after` skips the ones seen', async () => {
    const cfg = sweepOrThrow({ ...GRID, seed: 3 });
    const id = sweepId(cfg);
    const store = await memoryStore();
    await store.createSweep(id, sweepToJson(cfg));
    for (;;) {
      const c = await store.claim(id, 'x', 60_000);
      if (c.kind !== 'trial') {
        expect(c.kind).toBe('done');
        break;
      }
      const o = c.spec.index === 3 ? { ...outcome(c.spec, NaN), state: 'failed' as const, score: null, error: 'boom' } : outcome(c.spec, c.spec.index);
      expect(await store.finish(id, c.spec.index, 'x', o)).toBe(true);
    }
    const rs = await store.results(id);
    expect(rs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rs[3].state).toBe('failed');
    expect((await store.results(id, [0, 1, 2])).map((r) => r.index)).toEqual([3, 4, 5]);
    expect(await store.progress(id)).toMatchObject({ finished: 5, failed: 1, done: true });
    expect(await store.openSweeps()).not.toContain(id);
  });

  test('bayes: initial points planned at creation, the next ones from the results in the store, pending points as fantasies', async () => {
    const bowl = (lr: number) => (Math.log10(lr) - Math.log10(0.03)) ** 2;
    const cfg = sweepOrThrow({ params: [{ path: 'optimizer.lr', scale: 'log', min: 1e-4, max: 10 }], method: 'bayes', budget: 12, seed: 3 });
    const id = sweepId(cfg);
    const store = await memoryStore();
    expect(await store.createSweep(id, sweepToJson(cfg))).toEqual({ created: true, trials: 12 });
    expect(await store.progress(id)).toMatchObject({ planned: 3, unplanned: 9 });
    // Three agents claim the initial points, then wait: nothing to model yet.
    const first = await Promise.all(['a', 'b', 'c'].map((g) => store.claim(id, g, 60_000)));
    expect(first.every((c) => c.kind === 'trial')).toBe(true);
    expect((await store.claim(id, 'd', 60_000)).kind).toBe('wait');
    const specs = first.map((c) => (c.kind === 'trial' ? c.spec : null)!);
    await store.finish(id, specs[0].index, 'a', outcome(specs[0], bowl(specs[0].values[0])));
    // With one result and two pending points, two agents get two different new points.
    const d = await store.claim(id, 'd', 60_000);
    const e = await store.claim(id, 'e', 60_000);
    expect(d.kind === 'trial' && e.kind === 'trial').toBe(true);
    const [sd, se] = [d, e].map((c) => (c.kind === 'trial' ? c.spec : null)!);
    expect(sd.chosenBy).toBe('bayes');
    expect([sd.index, se.index]).toEqual([3, 4]);
    expect(sd.values[0]).not.toBe(se.values[0]);
    // Run the rest one by one: the search finds the bowl's minimum.
    const open = new Map<string, TrialSpec>([
      ['b', specs[1]],
      ['c', specs[2]],
      ['d', sd],
      ['e', se],
    ]);
    let best = Infinity;
    while (open.size) {
      for (const [agent, spec] of [...open]) {
        const v = bowl(spec.values[0]);
        best = Math.min(best, v);
        await store.finish(id, spec.index, agent, outcome(spec, v));
        open.delete(agent);
        const c = await store.claim(id, agent, 60_000);
        if (c.kind === 'trial') open.set(agent, c.spec);
      }
    }
    expect(await store.progress(id)).toMatchObject({ finished: 12, done: true, unplanned: 0 });
    expect(best).toBeLessThan(0.25 ** 2);
    const units = (await store.results(id)).map((r) => r.index);
    expect(units).toEqual([...Array(12).keys()]);
  });
});

describe('an agent\'s work (workOn)', () => {
  const fakeRun = async (spec: TrialSpec): Promise<TrialResult> => ({
    ...baseResult(spec),
    objective: spec.index,
    status: 'ok',
    diverged: false,
    divergedAt: null,
    finalLoss: spec.index,
    testAcc: null,
    trainLoss: 1,
    trainAcc: 0.5,
    maxGradNorm: 1,
    stepsRun: 5,
    ms: 1,
  });

  test('slots claim, run and record every trial once; a server that drops out for a moment costs nothing', async () => {
    const cfg = sweepOrThrow({ ...GRID, seed: 4 });
    const id = sweepId(cfg);
    const store = await memoryStore();
    await store.createSweep(id, sweepToJson(cfg));
    // A store whose every third claim fails as a dropped connection would.
    let calls = 0;
    const flaky: SweepStore = Object.create(store) as SweepStore;
    flaky.claim = (...a) => (++calls % 3 === 0 ? Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })) : store.claim(...a));
    const seen: number[] = [];
    const n = await workOn({ store: flaky, sweepId: id, execute: fakeRun, threads: 3, agent: 'w', leaseMs: 5000, onTrial: (r) => seen.push(r.index) });
    expect(n).toBe(6);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await store.progress(id)).toMatchObject({ finished: 6, reclaimed: 0, done: true });
  });

  test('retrying: other failures are thrown at once', async () => {
    let n = 0;
    await expect(retrying(() => (n++, Promise.reject(new Error('no sweep x in the store'))), 5000)).rejects.toThrow('no sweep x');
    expect(n).toBe(1);
  });
});

describe('EmbeddedStore: one directory, many users', () => {
  test('the first opener holds the database and serves the others; when it closes, another takes over', async () => {
    const dir = join(TMP, 'shared');
    const cfg = sweepOrThrow(GRID);
    const id = sweepId(cfg);
    const a = await EmbeddedStore.open(dir);
    const b = await EmbeddedStore.open(dir);
    const c = await EmbeddedStore.open(dir);
    const stores: SweepStore[] = [a, b, c];
    try {
      expect([a.holding, b.holding, c.holding]).toEqual([true, false, false]);
      expect((await b.createSweep(id, sweepToJson(cfg))).trials).toBe(6);
      const claims = await Promise.all(stores.map((s, i) => s.claim(id, `agent${i}`, 60_000)));
      const idx = claims.map((x) => (x.kind === 'trial' ? x.spec.index : -1));
      expect(new Set(idx).size).toBe(3);
      // The holder leaves: b's next request reaches the new holder (b or c), nothing is lost.
      await a.close();
      const bSpec = claims[1].kind === 'trial' ? claims[1].spec : null;
      expect(await b.finish(id, bSpec!.index, 'agent1', outcome(bSpec!, 1))).toBe(true);
      expect(b.holding || c.holding).toBe(true);
      const p = await c.progress(id);
      expect(p).toMatchObject({ finished: 1, claimed: 2 });
      // A new user of the directory finds the sweep.
      const d = await EmbeddedStore.open(dir);
      stores.push(d);
      expect(d.holding).toBe(false);
      expect((await d.getSweep(id))?.trials).toBe(6);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
