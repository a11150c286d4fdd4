/**
 * The CLI's shared argument loading: the same rules for experiments and sweeps,
 * whether the argument is JSON text, a share URL, or a file holding either.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import LZString from 'lz-string';
import { defaultExperiment } from '../engine/config.ts';
import { DEFAULT_BASE_URL, experimentToFragment, shareUrl } from '../engine/shareLink.ts';
import { encodeSweep, sweepOrThrow } from '../engine/sweep/schema.ts';
import { loadConfigArg, loadSweepArg } from './io.ts';

const TMP = mkdtempSync(join(tmpdir(), 'gradscope-io-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(TMP, `f${n++}`);
  writeFileSync(path, text);
  return path;
}

const SWEEP = { params: [{ path: 'optimizer.lr', scale: 'list', values: [0.1, 0.2] }] };
const sweepLink = `${DEFAULT_BASE_URL}#${experimentToFragment(defaultExperiment(), { sweep: encodeSweep(sweepOrThrow(SWEEP)) })}`;

describe('loadConfigArg', () => {
  test('JSON text, a share URL, and files holding either', () => {
    const exp = { v: 1, runs: [{ label: 'x #e=1 sweep=2' }] };
    const fromJson = loadConfigArg(JSON.stringify(exp));
    expect(fromJson.ok).toBe(true);
    const url = shareUrl(fromJson.ok ? fromJson.value : defaultExperiment());
    for (const arg of [url, file(JSON.stringify(exp)), file(`${url}\n`)]) expect(loadConfigArg(arg)).toEqual(fromJson);
  });

  test('a file holding a link without an experiment says so', () => {
    expect(loadConfigArg(file(`${DEFAULT_BASE_URL}#backend=cpu`))).toEqual({ ok: false, errors: ['share URL: the link holds no experiment (no #e=… fragment)'] });
  });

  test('a file holding neither JSON nor a link: the JSON message', () => {
    const r = loadConfigArg(file('hello'));
    expect(r.ok === false && r.errors[0]).toMatch(/^\(config\): not valid JSON/);
  });
});

describe('loadSweepArg', () => {
  test('JSON text, a page link, and files holding either', () => {
    const fromJson = loadSweepArg(JSON.stringify(SWEEP));
    expect(fromJson.ok).toBe(true);
    for (const arg of [sweepLink, file(JSON.stringify(SWEEP)), file(`${sweepLink}\n`)]) expect(loadSweepArg(arg)).toEqual(fromJson);
  });

  test('a JSON file is read as JSON even when a label holds "sweep=" or "#"', () => {
    const withLabel = { ...SWEEP, base: { label: 'a #sweep=1' } };
    const r = loadSweepArg(file(JSON.stringify(withLabel)));
    expect(r.ok && r.value.base.label).toBe('a #sweep=1');
  });

  test('missing files and links without a sweep', () => {
    expect(loadSweepArg(join(TMP, 'nope.json'))).toMatchObject({ ok: false, errors: [expect.stringMatching(/^sweep: no such file/)] });
    expect(loadSweepArg(`${DEFAULT_BASE_URL}#e=abc`)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^share URL: the link holds no sweep/)] });
    expect(loadSweepArg(TMP)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^sweep: ".*" is not a file$/)] });
  });
});

describe('hostile arguments', () => {
  const bomb = readFileSync(new URL('../engine/testdata/nesting-bomb.lz.txt', import.meta.url), 'utf8').trim();

  test('a link that decodes to 6 MB nested 3,000,000 deep is refused in milliseconds', () => {
    for (const arg of [`${DEFAULT_BASE_URL}#e=${bomb}`, file(`${DEFAULT_BASE_URL}#e=${bomb}\n`)]) {
      const t0 = performance.now();
      expect(loadConfigArg(arg)).toEqual({ ok: false, errors: [expect.stringMatching(/^share URL: the experiment in the link decodes to more than 65536 characters/)] });
      expect(performance.now() - t0).toBeLessThan(200);
    }
  });

  test('a JSON file nested 400,000 deep: the field is named, quickly', () => {
    const t0 = performance.now();
    const r = loadConfigArg(file(`{"model":{"hidden":${'['.repeat(400_000)}${']'.repeat(400_000)}}}`));
    expect(r).toEqual({ ok: false, errors: [expect.stringMatching(/^runs\[0\]\.model\.hidden\[0\]: must be an integer/)] });
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  test('a sweep link whose compare path goes through __proto__: one message, nothing polluted', () => {
    const sweep = { params: [{ path: 'optimizer.lr', min: 0.001, max: 1 }], compare: { '__proto__.polluted': 'yes' } };
    const link = `${DEFAULT_BASE_URL}#sweep=${LZString.compressToEncodedURIComponent(JSON.stringify(sweep))}`;
    expect(loadSweepArg(link)).toEqual({ ok: false, errors: [expect.stringMatching(/^share URL: sweep compare\["__proto__\.polluted"\]: not a run-config path/)] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(loadConfigArg('{}').ok).toBe(true);
  });

  test('a share URL with a damaged checksum is refused; an older one without it loads', () => {
    const url = shareUrl(defaultExperiment());
    expect(url).toMatch(/#e=[^&]+&sum=[0-9a-f]{6}$/);
    const damaged = url.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(loadConfigArg(damaged)).toEqual({ ok: false, errors: [expect.stringMatching(/does not match its checksum/)] });
    expect(loadConfigArg(url.replace(/&sum=.*$/, ''))).toEqual({ ok: true, value: defaultExperiment() });
  });
});
