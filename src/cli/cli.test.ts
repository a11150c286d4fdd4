/**
 * The `gradscope` command (contract section 3), run as a real process:
 * `node bin/gradscope.mjs ...`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseExperiment, parseFragment } from '../engine/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/gradscope.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function gradscope(...args: string[]): Promise<Result> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 110_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const LAYER_FIELDS = ['name', 'gradNorm', 'gradNormClipped', 'weightNorm', 'updateNorm', 'actGradNorm'];
const HEAD_FIELDS = ['run', 'label', 'step', 'loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'layers'];
const NONFINITE = ['NaN', 'Infinity', '-Infinity'];

type Rec = Record<string, unknown> & { layers: Record<string, unknown>[] };

function jsonl(stdout: string): Rec[] {
  const lines = stdout.split('\n');
  expect(lines.at(-1)).toBe(''); // newline-terminated
  return lines.slice(0, -1).map((l) => JSON.parse(l) as Rec);
}

/** Every contract field, with its type; numbers are numbers or the contract's strings for non-finite values. */
function checkRecord(r: Rec, layerNames: string[]): void {
  for (const f of HEAD_FIELDS) expect(r, `field ${f}`).toHaveProperty(f);
  expect(Number.isInteger(r.run)).toBe(true);
  expect(typeof r.label).toBe('string');
  expect(Number.isInteger(r.step)).toBe(true);
  for (const f of ['loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped']) {
    const v = r[f];
    expect(typeof v === 'number' || NONFINITE.includes(v as string), `${f} = ${String(v)}`).toBe(true);
  }
  expect(['ok', 'clipped', 'skipped', 'diverged']).toContain(r.status);
  expect(r.layers.map((l) => l.name)).toEqual(layerNames);
  for (const l of r.layers) {
    for (const f of LAYER_FIELDS) expect(l, `layer field ${f}`).toHaveProperty(f);
    for (const f of LAYER_FIELDS.slice(1)) expect(typeof l[f] === 'number' || NONFINITE.includes(l[f] as string)).toBe(true);
  }
}

const num = (v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number));

const CFG = '{"model":{"hidden":[32,32,32,32]}}';
const NAMES = ['dense1', 'dense2', 'dense3', 'dense4', 'dense5'];

describe.concurrent('gradscope run', () => {
  test('JSON string, --steps 50: exactly 50 JSONL records with every contract field, layers input → output', async () => {
    const r = await gradscope('run', CFG, '--steps', '50');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const recs = jsonl(r.stdout);
    expect(recs).toHaveLength(50);
    recs.forEach((rec, i) => {
      checkRecord(rec, NAMES);
      expect(rec.run).toBe(0);
      expect(rec.label).toBe('A');
      expect(rec.step).toBe(i);
      expect(rec.lr).toBe(0.01);
      expect(rec.status).toBe('ok');
      // global norm = √Σ layer norm² (values are float32, printed to their shortest exact form)
      const layers = rec.layers.map((l) => num(l.gradNorm));
      expect(Math.abs(num(rec.gradNorm) - Math.hypot(...layers)) / num(rec.gradNorm)).toBeLessThan(1e-5);
      expect(rec.gradNormClipped).toBe(rec.gradNorm); // no clipping by default
      // sgd: the update is lr·gradient
      rec.layers.forEach((l) => expect(Math.abs(num(l.updateNorm) / (0.01 * num(l.gradNorm)) - 1)).toBeLessThan(0.02));
    });
    // accuracy over a batch of 32 is a multiple of 1/32
    for (const rec of recs) expect(Math.abs(num(rec.acc) * 32 - Math.round(num(rec.acc) * 32))).toBeLessThan(1e-4);
    // the first layer's input is 2-D, the hidden ones have 32 units: weight norms at init ≈ √(2·32)… of He init
    expect(num(recs[0].layers[1].weightNorm)).toBeGreaterThan(4);
    expect(num(recs[0].layers[1].weightNorm)).toBeLessThan(12);
  });

  test('--every 10 keeps steps 0, 10, 20, …', async () => {
    const r = await gradscope('run', CFG, '--steps', '50', '--every', '10');
    expect(r.code).toBe(0);
    expect(jsonl(r.stdout).map((x) => x.step)).toEqual([0, 10, 20, 30, 40]);
  });

  test('--format csv: a header and one row per step, per-layer columns in layer order', async () => {
    const r = await gradscope('run', CFG, '--steps', '12', '--format', 'csv');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    const header = lines[0].split(',');
    for (const f of HEAD_FIELDS.filter((f) => f !== 'layers')) expect(header).toContain(f);
    const layerCols = header.filter((h) => h.includes('.'));
    expect(layerCols).toEqual(NAMES.flatMap((n) => LAYER_FIELDS.slice(1).map((f) => `${n}.${f}`)));
    const rows = lines.slice(1).map((l) => l.split(','));
    rows.forEach((row, i) => {
      expect(row).toHaveLength(header.length);
      const get = (c: string) => row[header.indexOf(c)];
      expect(Number(get('step'))).toBe(i);
      expect(get('status')).toBe('ok');
      const g = NAMES.map((n) => Number(get(`${n}.gradNorm`)));
      expect(Math.abs(Number(get('gradNorm')) - Math.hypot(...g)) / Number(get('gradNorm'))).toBeLessThan(1e-5);
    });
  });

  test('--out FILE writes the records there and nothing to stdout', async () => {
    const out = join(TMP, 'out.jsonl');
    const r = await gradscope('run', CFG, '--steps', '7', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const recs = jsonl(readFileSync(out, 'utf8'));
    expect(recs.map((x) => x.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    recs.forEach((x) => checkRecord(x, NAMES));
  });

  test('a share URL and a file path give the same records as the JSON string', async () => {
    const cfg = '{"seed":3,"model":{"hidden":[8,8]},"optimizer":{"name":"adam","lr":0.01},"train":{"steps":6}}';
    const file = join(TMP, 'cfg.json');
    writeFileSync(file, cfg);
    const url = await gradscope('url', cfg);
    expect(url.code).toBe(0);
    const [a, b, c] = await Promise.all([gradscope('run', cfg), gradscope('run', url.stdout.trim()), gradscope('run', file)]);
    for (const x of [a, b, c]) expect(x.code).toBe(0);
    expect(jsonl(a.stdout)).toHaveLength(6);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
  });

  test('an experiment with two runs: records of run 0 then run 1, with their labels and layer counts', async () => {
    const exp = JSON.stringify({ v: 1, runs: [{ label: 'shallow', model: { hidden: [4] } }, { label: 'deep', model: { hidden: [4, 4, 4] } }] });
    const r = await gradscope('run', exp, '--steps', '3');
    expect(r.code).toBe(0);
    const recs = jsonl(r.stdout);
    expect(recs.map((x) => [x.run, x.label, x.step])).toEqual([
      [0, 'shallow', 0],
      [0, 'shallow', 1],
      [0, 'shallow', 2],
      [1, 'deep', 0],
      [1, 'deep', 1],
      [1, 'deep', 2],
    ]);
    recs.slice(0, 3).forEach((x) => checkRecord(x, ['dense1', 'dense2']));
    recs.slice(3).forEach((x) => checkRecord(x, ['dense1', 'dense2', 'dense3', 'dense4']));
  });

  test('a diverging config exits 0 with diverged records holding "NaN"/"Infinity" strings', async () => {
    const cfg = JSON.stringify({ model: { hidden: [32, 32, 32, 32, 32, 32, 32, 32], init: 'normal', initGain: 3 }, optimizer: { lr: 1 } });
    const r = await gradscope('run', cfg, '--steps', '8');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const recs = jsonl(r.stdout);
    expect(recs).toHaveLength(8);
    const diverged = recs.filter((x) => x.status === 'diverged');
    expect(diverged.length).toBeGreaterThan(0);
    for (const x of diverged) {
      checkRecord(x, ['dense1', 'dense2', 'dense3', 'dense4', 'dense5', 'dense6', 'dense7', 'dense8', 'dense9']);
      expect(NONFINITE.includes(x.loss as string) || NONFINITE.includes(x.gradNorm as string)).toBe(true);
    }
    expect(r.stdout).toMatch(/"(NaN|Infinity)"/);
    expect(r.stdout).not.toMatch(/:\s*(NaN|Infinity|null)\b/); // never bare NaN/Infinity/null
  });

  test('a CNN config runs (on cpu)', async () => {
    const cfg = JSON.stringify({ data: { name: 'shapes', samples: 40 }, model: { arch: 'cnn', hidden: [2, 2] }, train: { batchSize: 4 } });
    const r = await gradscope('run', cfg, '--steps', '2');
    expect(r.code).toBe(0);
    jsonl(r.stdout).forEach((x) => checkRecord(x, ['conv1', 'conv2', 'dense3']));
  });
});

describe.concurrent('gradscope url', () => {
  test('prints a URL whose fragment round-trips to the same experiment', async () => {
    const cfg = { label: 'wide & deep', model: { hidden: [64, 64, 64], activation: 'tanh', initGain: 2.5 }, stabilizers: { clip: { mode: 'agc', threshold: 0.02 } } };
    const r = await gradscope('url', JSON.stringify(cfg));
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^https?:\/\/\S+#e=\S+$/);
    const back = parseFragment(lines[0]).experiment;
    expect(back).toEqual(parseExperiment(cfg));
    // --base
    const b = await gradscope('url', JSON.stringify(cfg), '--base', 'https://example.org/app/');
    expect(b.code).toBe(0);
    expect(b.stdout.startsWith('https://example.org/app/#e=')).toBe(true);
    expect(parseFragment(b.stdout.trim()).experiment).toEqual(parseExperiment(cfg));
  });
});

describe.concurrent('bad input: exit 2, a one-line message, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['out-of-range field', ['run', '{"model":{"hidden":[16,5000]}}'], /runs\[0\]\.model\.hidden\[1\]: must be an integer 1\.\.1024, got 5000/],
    ['unknown field', ['run', '{"model":{"hiden":[16]}}'], /runs\[0\]\.model\.hiden: unknown field/],
    ['wrong version', ['run', '{"v":2,"runs":[{}]}'], /^v: must be 1/],
    ['not JSON', ['run', '{"model":'], /not valid JSON/],
    ['missing file', ['run', join(TMP, 'nope.json')], /no such file/],
    ['corrupted share URL', ['run', 'http://127.0.0.1:5173/#e=N4IgbiBcCMA0ICcCuA7AzlA2qAN'], /share URL/],
    ['url with a bad config', ['url', '{"train":{"batchSize":0}}'], /runs\[0\]\.train\.batchSize: must be an integer 1\.\.4096, got 0/],
    ['unknown command', ['train', CFG], /unknown command/],
    ['unknown option', ['run', CFG, '--bogus'], /bogus/],
    ['bad --steps', ['run', CFG, '--steps', '0'], /--steps/],
    ['non-numeric --every', ['run', CFG, '--every', 'ten'], /--every/],
    ['bad --format', ['run', CFG, '--format', 'xml'], /--format/],
    ['no config', ['run'], /config/],
    ['no command', [], /Usage/],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const r = await gradscope(...args);
      expect(r.code).toBe(2);
      expect(r.stdout.includes('"step"')).toBe(false); // nothing was trained
      const text = args.length === 0 ? r.stdout : r.stderr;
      expect(text).toMatch(message);
      expect(r.stderr).not.toContain('    at ');
      expect(r.stdout).not.toContain('    at ');
      if (args.length > 0) expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  test('several errors: one line each, every field named', async () => {
    const r = await gradscope('run', '{"seed":-1,"data":{"noise":2}}');
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.startsWith('runs[0].seed: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('runs[0].data.noise: '))).toBe(true);
    expect(r.stderr).not.toContain('    at ');
  });

  test('--help exits 0 and --out to an unwritable place fails without a stack trace', async () => {
    const h = await gradscope('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/gradscope run <config>/);
    const r = await gradscope('run', CFG, '--steps', '1', '--out', join(TMP, 'no-such-dir', 'x.jsonl'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('    at ');
    expect(existsSync(join(TMP, 'no-such-dir'))).toBe(false);
  });
});
