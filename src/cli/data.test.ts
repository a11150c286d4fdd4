/**
 * CSV data in the CLI: a share link with an embedded CSV reproduces the
 * records of the file it was made from; a large file travels by name, size and
 * SHA-256, and the link then needs that very file; bad files exit 2 naming the
 * row and column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { captureMain } from './captureMain.ts';

const dir = mkdtempSync(join(tmpdir(), 'gradscope-csv-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// A small regression: y = 2a − b + noise-free, 60 rows.
const small = file('small.csv', `a,b,y\n${Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 11},${2 * (i % 7) - ((i * 3) % 11) + i / 100}`).join('\n')}\n`);
// A classification too large for a link: 3,000 rows of varied numbers.
const large = file('large.csv', `x1,x2,label\n${Array.from({ length: 3000 }, (_, i) => `${Math.sin(i) * 1000},${Math.cos(i * 1.7)},${i % 3}`).join('\n')}\n`);
const CONFIG = '{"model":{"hidden":[8,8]},"train":{"batchSize":16,"evalEvery":2}}';

describe('CSV data in the CLI', () => {
  test('a share link with an embedded CSV reproduces the records of the file', async () => {
    const url = await captureMain(['url', CONFIG, '--data', small]);
    expect(url.code, url.stderr).toBe(0);
    expect(url.stdout).toMatch(/&csv=/);
    const fromLink = await captureMain(['run', url.stdout.trim(), '--steps', '6']);
    const fromFile = await captureMain(['run', CONFIG, '--data', small, '--steps', '6']);
    expect(fromLink.code, fromLink.stderr).toBe(0);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromLink.stdout).toBe(fromFile.stdout);
    const recs = fromLink.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: number; acc: number; testAcc?: number });
    expect(recs.length).toBe(6);
    // A regression: acc is R² (finite, at most 1).
    for (const r of recs) expect(r.acc).toBeLessThanOrEqual(1);
    expect(recs.some((r) => r.testAcc !== undefined)).toBe(true);
  });

  test('data.path in a config reads the file as --data does', async () => {
    const viaPath = await captureMain(['run', JSON.stringify({ ...JSON.parse(CONFIG), data: { name: 'csv', path: small } }), '--steps', '3']);
    const viaOption = await captureMain(['run', CONFIG, '--data', small, '--steps', '3']);
    expect(viaPath.code, viaPath.stderr).toBe(0);
    expect(viaPath.stdout).toBe(viaOption.stdout);
  });

  test('a large CSV travels by name, size and SHA-256: the link asks for the file and refuses another', async () => {
    const url = (await captureMain(['url', CONFIG, '--data', large])).stdout.trim();
    expect(url).not.toMatch(/&csv=/);
    const bare = await captureMain(['run', url, '--steps', '2']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/names large\.csv \(\d+ bytes, sha256 [0-9a-f]{64}\) but does not carry it: give it with --data large\.csv/);
    const other = await captureMain(['run', url, '--steps', '2', '--data', small]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/small\.csv .* is not the file run 0 names: large\.csv/);
    const right = await captureMain(['run', url, '--steps', '2', '--data', large]);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toBe((await captureMain(['run', CONFIG, '--data', large, '--steps', '2'])).stdout);
  });

  test('bad files exit 2 with the row and column, before anything trains', async () => {
    const bad = file('bad.csv', 'a,b,y\n1,2,0\n3,oops,1\n');
    const r = await captureMain(['run', CONFIG, '--data', bad]);
    expect([r.code, r.stdout, r.stderr.trim()]).toEqual([2, '', 'gradscope: runs[0].data: bad.csv: row 3, column "b": "oops" is not a number']);
    const ragged = await captureMain(['run', CONFIG, '--data', file('ragged.csv', 'a,b,y\n1,2,0\n3,1\n')]);
    expect(ragged.stderr.trim()).toBe('gradscope: runs[0].data: ragged.csv: row 3: 2 cells, the header has 3 columns');
    const missing = await captureMain(['run', CONFIG, '--data', join(dir, 'nope.csv')]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/--data: cannot read .*nope\.csv \(ENOENT\)/)]);
    const none = await captureMain(['run', '{"data":{"name":"csv"}}']);
    expect([none.code, none.stderr.trim()]).toEqual([2, 'gradscope: runs[0].data: a run on csv needs its file: data.path, or --data FILE']);
  });
});
