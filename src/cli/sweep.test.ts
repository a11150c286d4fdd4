/**
 * `gradscope sweep`: the real process (`node bin/gradscope.mjs sweep …`) writes one
 * JSON line per finished trial and a summary line, runs trials in worker threads,
 * reads sweeps from JSON, files and page links, and refuses bad input with exit 2
 * and one line per problem, no stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { defaultExperiment } from '../engine/config.ts';
import { DEFAULT_BASE_URL, experimentToFragment, parseFragment } from '../engine/shareLink.ts';
import { encodeSweep, sweepOrThrow, type SweepInput } from '../engine/sweep/schema.ts';
import { parseSweepLine } from '../engine/sweep/format.ts';
import { cmdSweep } from './sweep.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/gradscope.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-sweep-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const SLOW = { timeout: 300_000 };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function gradscope(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 280_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** cmdSweep in this process (what the binary calls), with stdout and stderr captured. */
async function inProcess(args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true)),
  ];
  try {
    const code = await cmdSweep(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

// A 3 × 2 grid on a small deep ReLU net: the largest rate with the larger gain diverges.
const SWEEP: SweepInput = {
  v: 1,
  base: {
    seed: 1,
    data: { name: 'moons', samples: 128 },
    model: { hidden: [16, 16, 16, 16, 16, 16] },
    optimizer: { name: 'sgd' },
    train: { batchSize: 16, evalEvery: 0 },
  },
  params: [
    { path: 'optimizer.lr', scale: 'log', min: 0.01, max: 10, steps: 3 },
    { path: 'model.initGain', scale: 'list', values: [1, 3] },
  ],
  stepsPerTrial: 15,
};

describe('gradscope sweep', () => {
  test('JSONL: one line per trial (from two worker threads), then a summary with the best trial', SLOW, async () => {
    const r = await gradscope('sweep', JSON.stringify(SWEEP), '--workers', '2', '--base', 'http://localhost:4173/');
    expect(r.stderr).toBe(''); // stderr is not a TTY: no progress bar
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    const objs = lines.slice(0, -1).map(parseSweepLine);
    expect(objs).toHaveLength(7);
    const trials = objs.slice(0, 6) as Record<string, unknown>[];
    const summary = objs[6] as Record<string, unknown>;
    expect(trials.every((t) => t.type === 'trial')).toBe(true);
    expect(trials.map((t) => t.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const t of trials) {
      for (const f of ['point', 'variant', 'params', 'values', 'cell', 'objective', 'status', 'diverged', 'divergedAt', 'finalLoss', 'maxGradNorm', 'stepsRun', 'ms', 'config', 'url']) {
        expect(t, `trial field ${f}`).toHaveProperty(f);
      }
      const cfg = t.config as { optimizer: { lr: number }; model: { initGain: number }; train: { steps: number } };
      const params = t.params as Record<string, number>;
      expect(cfg.optimizer.lr).toBe(params['optimizer.lr']);
      expect(cfg.model.initGain).toBe(params['model.initGain']);
      expect(cfg.train.steps).toBe(15);
      // The trial's URL opens exactly its run config in the page.
      expect(t.url).toMatch(/^http:\/\/localhost:4173\/#e=/);
      const exp = parseFragment(t.url as string).experiment;
      expect(exp?.ok && exp.value.runs[0]).toEqual(cfg);
      if (t.diverged) {
        expect(t.status).toBe('diverged');
        expect(t.objective).toBe(Infinity);
        expect(t.stepsRun).toBe((t.divergedAt as number) + 1);
      } else {
        expect(t.status).toBe('ok');
        expect(Number.isFinite(t.objective)).toBe(true);
      }
    }
    const top = trials.find((t) => (t.params as Record<string, number>)['optimizer.lr'] === 10 && (t.params as Record<string, number>)['model.initGain'] === 3)!;
    expect(top.diverged).toBe(true);
    expect(r.stdout).toContain('"objective":"Infinity"');

    expect(summary).toMatchObject({ type: 'summary', method: 'grid', objective: 'final_loss', trials: 6, finished: 6, workers: 2, backend: 'wasm', cancelled: false });
    expect(summary.diverged).toBe(trials.filter((t) => t.diverged).length);
    const ok = trials.filter((t) => !t.diverged).map((t) => t.objective as number);
    const best = summary.best as Record<string, unknown>;
    expect(best.objective).toBe(Math.min(...ok));
    expect(summary.bestUrl).toBe(trials.find((t) => t.index === best.index)!.url);
  });

  test('reads a page link with sweep= and a file; --csv writes one row per trial', SLOW, async () => {
    const small = sweepOrThrow({ ...SWEEP, params: [{ path: 'optimizer.lr', scale: 'list', values: [0.05, 0.5] }], stepsPerTrial: 5 });
    const link = `${DEFAULT_BASE_URL}#${experimentToFragment(defaultExperiment(), { sweep: encodeSweep(small) })}`;
    const file = join(TMP, 'link.txt');
    writeFileSync(file, link + '\n');
    const csv = join(TMP, 'out.csv');
    const r = await gradscope('sweep', file, '--workers', '1', '--csv', csv);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0].split(',').slice(0, 7)).toEqual(['index', 'point', 'variant', 'variantLabel', 'chosenBy', 'round', 'optimizer.lr']);
    expect(rows.slice(1).map((row) => row.split(',')[6])).toEqual(['0.05', '0.5']);
  });

  test.each<[string, string[], RegExp]>([
    ['an unknown path', [JSON.stringify({ params: [{ path: 'optimizer.lrr', min: 0, max: 1 }] })], /^params\[0\]\.path: must be a numeric path into the run config \(one of .*\), got "optimizer\.lrr"$/],
    ['an out-of-range bound', [JSON.stringify({ params: [{ path: 'optimizer.lr', min: 0.1, max: 5000 }] })], /^params\[0\]\.max: must be a number 0\.\.1000 \(the range of optimizer\.lr\), got 5000$/],
    ['an unknown field', [JSON.stringify({ params: [{ path: 'optimizer.lr', min: 0.1, max: 1 }], budgit: 3 })], /^budgit: unknown field$/],
    ['a bad base run', [JSON.stringify({ params: [{ path: 'optimizer.lr', min: 0.1, max: 1 }], base: { train: { batchSize: 0 } } })], /^base\.train\.batchSize: must be an integer 1\.\.4096, got 0$/],
    ['not JSON', ['{"params":'], /^\(sweep\): not valid JSON/],
    ['a link without a sweep', [`${DEFAULT_BASE_URL}#e=abc`], /^share URL: the link holds no sweep/],
    ['a missing file', ['no-such-sweep.json'], /^sweep: no such file "no-such-sweep\.json"/],
    ['--workers 0', [JSON.stringify(SWEEP), '--workers', '0'], /^gradscope: --workers: must be an integer 1\.\.64, got "0"$/],
    ['--workers -2', [JSON.stringify(SWEEP), '--workers', '-2'], /^gradscope: --workers: must be an integer 1\.\.64, got "-2"$/],
    ['an unknown option', [JSON.stringify(SWEEP), '--wrokers', '2'], /^gradscope: Unknown option '--wrokers'/],
    ['no config', [], /^gradscope: sweep: expects exactly one <sweep-config>/],
  ])('%s: exit 2, one line on stderr, nothing on stdout', async (_name, args, message) => {
    const r = await inProcess(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('the real process: a bad sweep config exits 2 with one line, no stack trace', SLOW, async () => {
    const r = await gradscope('sweep', JSON.stringify({ params: [{ path: 'model.hidden.length', min: 1, max: 100 }] }));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('params[0].max: must be an integer 1..64 (the range of model.hidden.length), got 100\n');
  });

  test('--help describes the config and the options', SLOW, async () => {
    const r = await gradscope('sweep', '--help');
    expect(r.code).toBe(0);
    for (const s of ['--workers N', 'stepsPerTrial', 'model.hidden.length', 'bayes', 'compare', 'divergedAt']) expect(r.stdout).toContain(s);
    const main = await gradscope('--help');
    expect(main.stdout).toContain('gradscope sweep <sweep>');
  });
});
