/**
 * Output that cannot be written is never a silent success: `--out` onto a full disk
 * (/dev/full), stdout onto one, and `--csv` onto one each exit 2 with one line on
 * stderr naming what could not be written, however little was written, and never
 * with a stack trace.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { captureMain, type Result } from './captureMain.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/gradscope.mjs');
const FULL = '/dev/full';
const SLOW = { timeout: 300_000 };
const CFG = '{"model":{"hidden":[4]}}';
const SWEEP = JSON.stringify({ base: { model: { hidden: [4] } }, params: [{ path: 'optimizer.lr', scale: 'list', values: [0.1] }], stepsPerTrial: 3 });

/** The real process, its stdout onto /dev/full. */
function toFullStdout(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    const fd = openSync(FULL, 'w');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? -1, stdout: '', stderr }));
  });
}

function gradscope(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function expectOneLine(r: Result, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toContain('    at ');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe.skipIf(!existsSync(FULL))('output onto a full disk', () => {
  test('run --out /dev/full: exit 2, also when the whole output fits in one buffer', async () => {
    for (const steps of ['1', '20', '40']) {
      const r = await captureMain(['run', CFG, '--steps', steps, '--out', FULL]);
      expect(r.stdout).toBe('');
      expectOneLine(r, /^gradscope: --out: cannot write "\/dev\/full" \(ENOSPC/);
    }
  });

  test('run --format csv --out /dev/full: exit 2', async () => {
    expectOneLine(await captureMain(['run', CFG, '--steps', '2', '--format', 'csv', '--out', FULL]), /^gradscope: --out: cannot write/);
  });

  test('run, url and --help with stdout onto /dev/full: exit 2 with one line', SLOW, async () => {
    expectOneLine(await toFullStdout('run', CFG, '--steps', '3'), /^gradscope: cannot write to stdout \(ENOSPC/);
    expectOneLine(await toFullStdout('url', CFG), /^gradscope: cannot write to stdout \(ENOSPC/);
    expectOneLine(await toFullStdout('--help'), /^gradscope: cannot write to stdout \(ENOSPC/);
    expectOneLine(await toFullStdout('run', '--help'), /^gradscope: cannot write to stdout \(ENOSPC/);
  });

  test('sweep --out /dev/full and --csv /dev/full: exit 2', SLOW, async () => {
    const out = await gradscope('sweep', SWEEP, '--workers', '1', '--out', FULL);
    expect(out.stdout).toBe('');
    expectOneLine(out, /^gradscope: --out: cannot write "\/dev\/full" \(ENOSPC/);
    const csv = await gradscope('sweep', SWEEP, '--workers', '1', '--csv', FULL);
    expectOneLine(csv, /^gradscope: --csv: cannot write "\/dev\/full" \(ENOSPC/);
  });
});
