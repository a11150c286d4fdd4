/**
 * The store commands' arguments: `gradscope agent`, `gradscope sweep status|results`
 * and `gradscope sweep … --store/--create-only`: every one has --help, bad arguments
 * give one line on stderr and exit 2, no stack trace. Then a stored sweep's results
 * as JSON lines and CSV, from records put in an embedded store directly (no training).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { sweepOrThrow, sweepToJson, type SweepInput } from '../engine/sweep/schema.ts';
import { pointSpecs } from '../engine/sweep/planner.ts';
import { failedResult, type TrialResult } from '../engine/sweep/result.ts';
import { parseSweepLine } from '../engine/sweep/format.ts';
import { EmbeddedStore } from '../node/store/embedded.ts';
import { sweepId } from '../node/store/id.ts';
import { outcomeOf } from '../node/store/work.ts';
import { main } from './main.ts';

const TMP = mkdtempSync(join(tmpdir(), 'gradscope-stored-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function call(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true)),
  ];
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

const SWEEP: SweepInput = {
  v: 1,
  base: { data: { name: 'moons', samples: 64 }, model: { hidden: [4] } },
  params: [{ path: 'optimizer.lr', scale: 'list', values: [0.1, 0.2, 0.3] }],
  stepsPerTrial: 3,
};

describe('store commands: help and bad arguments', () => {
  test('every command has --help', async () => {
    const agent = await call('agent', '--help');
    expect(agent.code).toBe(0);
    for (const s of ['--store S', '--sweep ID', '--threads N', '--heartbeat-timeout S', 'postgres://']) expect(agent.stdout).toContain(s);
    const status = await call('sweep', 'status', '--help');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^gradscope sweep status <id> --store/);
    const results = await call('sweep', 'results', '-h');
    expect(results.code).toBe(0);
    expect(results.stdout).toContain('--format F');
    const sweep = await call('sweep', '--help');
    for (const s of ['--store S', '--create-only', 'gradscope sweep status <id>', 'gradscope agent']) expect(sweep.stdout).toContain(s);
    expect((await call('--help')).stdout).toContain('gradscope agent --store');
  });

  test.each<[string, string[], RegExp]>([
    ['agent without --store', ['agent'], /^gradscope: agent: --store <dir\|url> is required/],
    ['agent with another URL scheme', ['agent', '--store', 'mysql://h/db'], /^gradscope: --store: must be a directory or a postgres:\/\/ URL, got "mysql:\/\/h\/db"$/],
    ['agent --threads 0', ['agent', '--store', join(TMP, 'x'), '--threads', '0'], /^gradscope: --threads: must be an integer 1\.\.64, got "0"$/],
    ['agent --heartbeat-timeout 0', ['agent', '--store', join(TMP, 'x'), '--heartbeat-timeout', '0'], /^gradscope: --heartbeat-timeout: must be an integer 1\.\.86400, got "0"$/],
    ['agent --sweep that is no id', ['agent', '--store', join(TMP, 'x'), '--sweep', 'nope'], /^gradscope: --sweep: must be a sweep id/],
    ['agent with an argument', ['agent', 'extra', '--store', join(TMP, 'x')], /^gradscope: agent: unexpected argument "extra"/],
    ['agent on a server that does not answer', ['agent', '--store', 'postgres://u:pw@127.0.0.1:1/db'], /^gradscope: --store: cannot open "postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db" \(/],
    ['--create-only without --store', ['sweep', JSON.stringify(SWEEP), '--create-only'], /^gradscope: --create-only: needs --store <dir\|url>$/],
    ['--heartbeat-timeout without --store', ['sweep', JSON.stringify(SWEEP), '--heartbeat-timeout', '5'], /^gradscope: --heartbeat-timeout: needs --store/],
    ['sweep status without an id', ['sweep', 'status', '--store', join(TMP, 'x')], /^gradscope: sweep status: expects exactly one <id>/],
    ['sweep results without --store', ['sweep', 'results', '0123456789abcdef'], /^gradscope: sweep results: --store <dir\|url> is required/],
    ['sweep results --format xml', ['sweep', 'results', '0123456789abcdef', '--store', join(TMP, 'x'), '--format', 'xml'], /^gradscope: --format: must be jsonl or csv, got "xml"$/],
  ])('%s: exit 2, one line on stderr', async (_name, args, message) => {
    const r = await call(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a stored sweep from the command line', () => {
  test('a 20×20×5 grid (2,000 points) is too large for one process but not for a store', async () => {
    const big: SweepInput = {
      ...SWEEP,
      params: [
        { path: 'optimizer.lr', scale: 'log', min: 0.001, max: 1, steps: 20 },
        { path: 'model.initGain', scale: 'log', min: 0.25, max: 4, steps: 20 },
        { path: 'model.hidden.width', scale: 'list', values: [2, 4, 8, 16, 32] },
      ],
    };
    const plain = await call('sweep', JSON.stringify(big));
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe('params: the grid has 2000 points, at most 1024 allowed (lower steps)\n');
    const t0 = Date.now();
    const created = await call('sweep', JSON.stringify(big), '--store', join(TMP, 'big'), '--create-only');
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ trials: 2000 });
    process.stdout.write(`# created a 2,000-trial sweep in an embedded store in ${Date.now() - t0} ms\n`);
  });

  test('create-only prints the id and the trials; status and results read the store; an unknown id is one line, exit 2', async () => {
    const dir = join(TMP, 'store');
    const created = await call('sweep', JSON.stringify(SWEEP), '--store', dir, '--create-only');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const cfg = sweepOrThrow(SWEEP);
    const id = sweepId(cfg);
    expect(JSON.parse(created.stdout)).toEqual({ sweep: id, trials: 3 });
    expect(created.stdout.split('\n')).toHaveLength(2);
    // Same config again: the same sweep.
    expect(JSON.parse((await call('sweep', JSON.stringify(SWEEP), '--store', dir, '--create-only')).stdout)).toEqual({ sweep: id, trials: 3 });

    // Record two trials as an agent would (one trained, one failed).
    const store = await EmbeddedStore.open(dir);
    try {
      const specs = [0, 1].map((p) => pointSpecs(cfg, p, [[0.1, 0.2][p]], 'grid', 0, [p])[0]);
      const ok: TrialResult = { ...failedResult(specs[0], 'error', 'x'), status: 'ok', objective: 0.25, finalLoss: 0.25, error: undefined, stepsRun: 3 };
      delete ok.error;
      const bad = failedResult(specs[1], 'error', 'training failed: boom');
      for (const r of [ok, bad]) {
        const c = await store.claim(id, 'test', 60_000);
        expect(c.kind === 'trial' && c.spec.index).toBe(r.index);
        expect(await store.finish(id, r.index, 'test', outcomeOf(r))).toBe(true);
      }
    } finally {
      await store.close();
    }

    const status = await call('sweep', 'status', id, '--store', dir);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ sweep: id, trials: 3, finished: 1, failed: 1, planned: 1, done: false, best: { trial: 0, objective: 0.25 } });

    const jsonl = await call('sweep', 'results', id, '--store', dir, '--base', 'http://localhost:4173/');
    expect(jsonl.code).toBe(0);
    const lines = jsonl.stdout.trim().split('\n').map(parseSweepLine);
    expect(lines.map((l) => [l.trial, l.index, l.status])).toEqual([
      [0, 0, 'ok'],
      [1, 1, 'error'],
    ]);
    expect(lines[1].objective).toBeNaN();
    expect(lines[0].url).toMatch(/^http:\/\/localhost:4173\/#e=/);

    const csv = await call('sweep', 'results', id, '--store', dir, '--format', 'csv');
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0].startsWith('index,point,variant,variantLabel,chosenBy,round,optimizer.lr,')).toBe(true);
    expect(rows).toHaveLength(3);
    expect(rows[2]).toContain('error');

    const unknown = await call('sweep', 'status', 'ffffffffffffffff', '--store', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('gradscope: no sweep "ffffffffffffffff" in the store\n');
    // Nothing left claimed by the test; the id is the config's.
    expect(sweepId(sweepOrThrow(sweepToJson(cfg)))).toBe(id);
  });
});
