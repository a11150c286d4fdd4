/**
 * Sweeps run by several `gradscope agent` processes on one store, the embedded
 * one (PGlite in a directory) and a real Postgres server (Debian's `postgresql`,
 * started here on a free port; skipped, with the reason, where it is missing):
 *  - 3 agents finish a 30-trial sweep, every trial run exactly once;
 *  - an agent killed (SIGKILL) mid-trial: its trial is handed to another agent
 *    once its heartbeat timeout has passed, and the result set is complete;
 *  - (embedded) the process holding the database killed: another takes it over;
 *  - a sweep stopped (SIGINT) and started again continues where it stopped;
 *  - (embedded) a Bayesian search run by 3 agents reaches the grid's best within
 *    the tolerance of the single-process test (sweep.train.test.ts: 5%).
 * Trials are tiny: a few steps of a small MLP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSweepLine } from '../../engine/sweep/format.ts';
import type { SweepInput } from '../../engine/sweep/schema.ts';
import { openStore } from './open.ts';
import { EmbeddedStore } from './embedded.ts';
import type { Progress } from './sql.ts';
import { startPostgres, type TestPostgres } from './testPostgres.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/gradscope.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-agents-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const SLOW = { timeout: 400_000 };

interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exit: Promise<number | string>;
}

function gradscope(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stderr: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts.filter(Boolean));
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exit = new Promise<number | string>((done) => child.on('close', (code, signal) => done(code ?? signal ?? -1)));
  return { child, lines, stderr, exit };
}

async function run(args: string[]): Promise<{ code: number | string; lines: string[]; stderr: string }> {
  const p = gradscope(args);
  const code = await p.exit;
  return { code, lines: p.lines, stderr: p.stderr.join('') };
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A grid of `lrSteps` × `gains.length` trials of a small MLP. */
function grid(lrSteps: number, gains: number[], steps: number, seed: number): SweepInput {
  return {
    v: 1,
    base: { seed, data: { name: 'moons', samples: 64 }, model: { hidden: [8, 8] }, optimizer: { name: 'sgd' }, train: { batchSize: 16, evalEvery: 0 } },
    params: [
      { path: 'optimizer.lr', scale: 'log', min: 0.01, max: 1, steps: lrSteps },
      { path: 'model.initGain', scale: 'list', values: gains },
    ],
    stepsPerTrial: steps,
    seed,
  };
}

async function create(store: string, sweep: SweepInput): Promise<{ sweep: string; trials: number }> {
  const r = await run(['sweep', JSON.stringify(sweep), '--store', store, '--create-only']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.lines).toHaveLength(1);
  return JSON.parse(r.lines[0]) as { sweep: string; trials: number };
}

async function status(store: string, id: string): Promise<Progress> {
  const r = await run(['sweep', 'status', id, '--store', store]);
  expect(r.code).toBe(0);
  return JSON.parse(r.lines[0]) as Progress;
}

async function resultIndices(store: string, id: string): Promise<number[]> {
  const r = await run(['sweep', 'results', id, '--store', store]);
  expect(r.code).toBe(0);
  return r.lines.map((l) => parseSweepLine(l).trial as number);
}

/**
 * Holds an embedded store in this process for the length of a test, so that the
 * commands it starts use it as clients instead of each opening the database
 * (seconds per process on a busy machine). Nothing for a server.
 */
async function keep(store: string): Promise<{ close(): Promise<void> }> {
  return store.startsWith('postgres') ? { close: async () => {} } : EmbeddedStore.open(store);
}

const agent = (store: string, ...more: string[]) => gradscope(['agent', '--store', store, '--threads', '1', ...more]);

let pg: TestPostgres | null = null;
let pgSkip = '';
beforeAll(async () => {
  const r = await startPostgres();
  if ('skip' in r) {
    pgSkip = r.skip;
    process.stdout.write(`# real-Postgres sweep tests skipped: ${r.skip}\n`);
  } else pg = r;
}, 120_000);
afterAll(() => pg?.stop());

const KINDS = [
  { kind: 'embedded', store: (name: string) => join(TMP, name) },
  { kind: 'postgres', store: () => pg?.url ?? '' },
] as const;

describe.each(KINDS)('sweep store: $kind', ({ kind, store: storeFor }) => {
  const skip = () => kind === 'postgres' && !pg;

  test('3 agents finish a sweep of 30 trials, every trial run exactly once', SLOW, async (ctx) => {
    if (skip()) return ctx.skip(pgSkip);
    const store = storeFor('three');
    const keeper = await keep(store);
    const { sweep: id, trials } = await create(store, grid(10, [0.5, 1, 2], 10, 11));
    expect(trials).toBe(30);
    const agents = [0, 1, 2].map(() => agent(store, '--sweep', id, '--heartbeat-timeout', '30'));
    const codes = await Promise.all(agents.map((a) => a.exit));
    expect(codes, agents.map((a) => a.stderr.join('')).join('')).toEqual([0, 0, 0]);
    const ran = agents.flatMap((a) => a.lines.map((l) => parseSweepLine(l)));
    expect(ran.every((r) => r.sweep === id)).toBe(true);
    const indices = ran.map((r) => r.trial as number).sort((a, b) => a - b);
    expect(indices).toEqual([...Array(30).keys()]);
    const p = await status(store, id);
    expect(p).toMatchObject({ trials: 30, finished: 30, failed: 0, claimed: 0, planned: 0, reclaimed: 0, done: true });
    expect(await resultIndices(store, id)).toEqual([...Array(30).keys()]);
    await keeper.close();
    process.stdout.write(`# ${kind}: trials per agent ${agents.map((a) => a.lines.length).join(', ')}\n`);
  });

  test('an agent killed mid-trial: its trial runs again on another agent after the heartbeat timeout; the results are complete', SLOW, async (ctx) => {
    if (skip()) return ctx.skip(pgSkip);
    const store = storeFor('killed');
    // This process holds an embedded store (the next test kills a holder), so it can look while an agent is stopped.
    const keeper = await keep(store);
    const s = await openStore(store);
    try {
      // Trials of a few thousand steps, so the kill lands in one.
      const { sweep: id, trials } = await create(store, grid(5, [1, 2], 4000, 12));
      const a = agent(store, '--sweep', id, '--heartbeat-timeout', '2');
      await until('the first agent to finish a trial', () => a.lines.length >= 1);
      const b = agent(store, '--sweep', id, '--heartbeat-timeout', '2');
      // Stop the first agent, and kill it once it is stopped holding a claim (not between two trials).
      const mine = (p: Progress) => p.agents.some((g) => g.includes(`:${a.child.pid}:`));
      await until('the first agent to be stopped holding a claim', async () => {
        a.child.kill('SIGSTOP');
        if (mine(await s.progress(id))) return true;
        a.child.kill('SIGCONT');
        return false;
      });
      a.child.kill('SIGKILL');
      expect(await a.exit).toBe('SIGKILL');
      expect(await b.exit).toBe(0);
      const p = await status(store, id);
      expect(p).toMatchObject({ finished: trials, claimed: 0, done: true, reclaimed: 1 });
      expect(await resultIndices(store, id)).toEqual([...Array(trials).keys()]);
      // The killed agent's trial is among the second agent's.
      const byA = new Set(a.lines.map((l) => parseSweepLine(l).trial as number));
      const byB = b.lines.map((l) => parseSweepLine(l).trial as number);
      expect(byB.filter((t) => byA.has(t))).toEqual([]);
      expect(byA.size + byB.length).toBe(trials);
    } finally {
      await s.close();
      await keeper.close();
    }
  });

  test('the process holding the embedded store killed: another takes the database over, nothing is lost', SLOW, async (ctx) => {
    if (kind !== 'embedded') return ctx.skip('a server has no holder');
    const store = storeFor('holder');
    const { sweep: id, trials } = await create(store, grid(4, [1, 2], 10, 14));
    // The agent opens the store first: it holds the database (PGlite) and serves this process.
    const a = agent(store, '--sweep', id, '--heartbeat-timeout', '2');
    await until('the agent to finish a trial', () => a.lines.length >= 1);
    const s = await EmbeddedStore.open(store);
    try {
      expect(s.holding).toBe(false);
      a.child.kill('SIGKILL');
      expect(await a.exit).toBe('SIGKILL');
      // The next request takes the database over (Postgres recovers it after the crash).
      const p = await s.progress(id);
      expect(s.holding).toBe(true);
      expect(p.finished).toBeGreaterThanOrEqual(a.lines.length);
      const b = agent(store, '--sweep', id, '--heartbeat-timeout', '2');
      expect(await b.exit).toBe(0);
      expect(await s.results(id).then((rs) => rs.map((r) => r.index))).toEqual([...Array(trials).keys()]);
      expect((await s.progress(id)).done).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('a sweep stopped with SIGINT continues where it stopped when started again', SLOW, async (ctx) => {
    if (skip()) return ctx.skip(pgSkip);
    const store = storeFor('resume');
    const keeper = await keep(store);
    const cfg = JSON.stringify(grid(6, [1, 2], 400, 13));
    const first = gradscope(['sweep', cfg, '--store', store, '--workers', '1']);
    await until('three trials of the first run', () => first.lines.length >= 3);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(130);
    const id = (parseSweepLine(first.lines.at(-1)!) as { sweep?: string }).sweep!;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const before = await status(store, id);
    expect(before.claimed).toBe(0); // the interrupted trial was given back
    expect(before.finished).toBeGreaterThanOrEqual(3);
    expect(before.finished).toBeLessThan(12);
    const again = await run(['sweep', cfg, '--store', store, '--workers', '1']);
    expect(again.code).toBe(0);
    const objs = again.lines.map(parseSweepLine);
    const trialsOut = objs.filter((o) => o.type === 'trial').map((o) => o.index as number);
    expect(trialsOut.sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    const summary = objs.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', trials: 12, finished: 12, sweep: id });
    const after = await status(store, id);
    expect(after).toMatchObject({ finished: 12, reclaimed: 0, done: true });
    await keeper.close();
    // The same lines as a sweep without a store (but for the times; the summary adds the sweep's id).
    const plain = await run(['sweep', cfg, '--workers', '2']);
    expect(plain.code).toBe(0);
    const strip = (l: string) => JSON.parse(JSON.stringify(parseSweepLine(l)), (k, v: unknown) => (k === 'ms' || k === 'sweep' || k === 'workers' ? undefined : v)) as unknown;
    const byIndex = (ls: string[]) => [...ls.slice(0, -1)].sort((x, y) => (parseSweepLine(x).index as number) - (parseSweepLine(y).index as number));
    expect(byIndex(again.lines).map(strip)).toEqual(byIndex(plain.lines).map(strip));
    expect(strip(again.lines.at(-1)!)).toEqual(strip(plain.lines.at(-1)!));
  });
});

describe('Bayesian search with 3 agents on the embedded store', () => {
  // The single-process test's problem (sweep.train.test.ts): the learning rate of a
  // small net on two overlapping Gaussian blobs, a third of the grid's trials.
  const base = {
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

  test(`3 agents, ${BUDGET} trials per search: within 5% of an ${GRID_STEPS}-point grid's best, averaged over ${SEEDS.length} seeds`, SLOW, async () => {
    const gridRun = await run(['sweep', JSON.stringify({ v: 1, base, params: [{ ...lr, steps: GRID_STEPS }], method: 'grid', stepsPerTrial: 80 }), '--workers', '2']);
    expect(gridRun.code).toBe(0);
    const gridBest = (parseSweepLine(gridRun.lines.at(-1)!).best as { objective: number }).objective;
    const store = join(TMP, 'bayes');
    const keeper = await keep(store);
    const ids: string[] = [];
    for (const seed of SEEDS) ids.push((await create(store, { v: 1, base, params: [lr], method: 'bayes', budget: BUDGET, seed, stepsPerTrial: 80 })).sweep);
    // Agents without --sweep take every open sweep in turn.
    const agents = [0, 1, 2].map(() => agent(store, '--heartbeat-timeout', '30'));
    const codes = await Promise.all(agents.map((a) => a.exit));
    expect(codes, agents.map((a) => a.stderr.join('')).join('')).toEqual([0, 0, 0]);
    const bests: number[] = [];
    for (const id of ids) {
      const r = await run(['sweep', 'results', id, '--store', store]);
      const trials = r.lines.map(parseSweepLine);
      expect(trials.map((t) => t.trial)).toEqual([...Array(BUDGET).keys()]);
      expect(trials.slice(3).every((t) => t.chosenBy === 'bayes')).toBe(true);
      // No two agents probed the same point.
      expect(new Set(trials.map((t) => (t.values as number[])[0])).size).toBe(BUDGET);
      bests.push(Math.min(...trials.filter((t) => t.status === 'ok').map((t) => t.objective as number)));
    }
    await keeper.close();
    const mean = bests.reduce((a, b) => a + b, 0) / bests.length;
    process.stdout.write(
      `# lr sweep, 3 agents: grid best ${gridBest.toFixed(4)} (${GRID_STEPS} trials); bayes best per seed ${bests.map((b) => b.toFixed(4)).join(', ')} ` +
        `(${BUDGET} trials each), mean ratio ${(mean / gridBest).toFixed(3)}\n`,
    );
    expect(mean).toBeLessThanOrEqual(1.05 * gridBest);
  });
});
