/**
 * The `gradscope` command (contract section 3). Most checks run the real process,
 * `node bin/gradscope.mjs ...` (at most two at a time: each loads TensorFlow.js);
 * the many bad-input variants also run in-process through `main()`, which is what
 * the binary calls.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import LZString from 'lz-string';
import { parseExperiment } from '../engine/config.ts';
import { parseFragment } from '../engine/shareLink.ts';
import { captureMain, type Result } from './captureMain.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/gradscope.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const SLOW = { timeout: 300_000 };

// At most two processes at once (this suite must stay fast on a 2-core machine).
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function gradscope(...args: string[]): Promise<Result> {
  return slot(
    () =>
      new Promise((done) => {
        execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
          done({ code, stdout, stderr });
        });
      }),
  );
}

/** Memoized: several tests read the same run. */
const memo = new Map<string, Promise<Result>>();
const once = (...args: string[]) => {
  const key = JSON.stringify(args);
  if (!memo.has(key)) memo.set(key, gradscope(...args));
  return memo.get(key)!;
};

const LAYER_FIELDS = ['name', 'gradNorm', 'gradNormClipped', 'weightNorm', 'updateNorm', 'actGradNorm', 'kernelGradNorm', 'kernelWeightNorm', 'kernelUpdateNorm'];
const HEAD_FIELDS = ['run', 'label', 'step', 'loss', 'dataLoss', 'penalty', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'layers'];
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

const num = (v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));

const CFG = '{"model":{"hidden":[32,32,32,32]}}';
const NAMES = ['dense1', 'dense2', 'dense3', 'dense4', 'dense5'];
const main50 = () => once('run', CFG, '--steps', '50');
const urlOfCfg = () => once('url', CFG);

describe.concurrent('gradscope run', () => {
  test('JSON string, --steps 50: exactly 50 JSONL records with every contract field, layers input → output', SLOW, async () => {
    const r = await main50();
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
      // global norm = √Σ layer norm² (float32 values printed in their shortest exact form)
      const layers = rec.layers.map((l) => num(l.gradNorm));
      expect(Math.abs(num(rec.gradNorm) - Math.hypot(...layers)) / num(rec.gradNorm)).toBeLessThan(1e-5);
      expect(rec.gradNormClipped).toBe(rec.gradNorm); // no clipping by default
      // sgd: the update is lr·gradient
      rec.layers.forEach((l) => expect(Math.abs(num(l.updateNorm) / (0.01 * num(l.gradNorm)) - 1)).toBeLessThan(0.02));
      // accuracy over a batch of 32 is a multiple of 1/32
      expect(Math.abs(num(rec.acc) * 32 - Math.round(num(rec.acc) * 32))).toBeLessThan(1e-4);
    });
    // He init: a 32→32 kernel has ‖W‖² ≈ 32·32·(2/32) = 64
    expect(num(recs[0].layers[1].weightNorm)).toBeGreaterThan(6);
    expect(num(recs[0].layers[1].weightNorm)).toBeLessThan(10);
  });

  test('a share URL as config, with --every 5: the same records as the JSON string at steps 0, 5, …', SLOW, async () => {
    const u = await urlOfCfg();
    expect(u.code).toBe(0);
    const r = await gradscope('run', u.stdout.trim(), '--steps', '20', '--every', '5');
    expect(r.code).toBe(0);
    const recs = jsonl(r.stdout);
    expect(recs.map((x) => x.step)).toEqual([0, 5, 10, 15]);
    // (step 19 would differ: the last step of a run is also an evaluation step)
    const full = (await main50()).stdout.split('\n');
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([0, 5, 10, 15].map((i) => full[i]));
  });

  test('a file path as config, --format csv --out FILE: header + one row per step, nothing on stdout', SLOW, async () => {
    const file = join(TMP, 'cfg.json');
    const out = join(TMP, 'out.csv');
    writeFileSync(file, CFG);
    const r = await gradscope('run', file, '--steps', '12', '--format', 'csv', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    const header = lines[0].split(',');
    for (const f of HEAD_FIELDS.filter((f) => f !== 'layers')) expect(header).toContain(f);
    expect(header.filter((h) => h.includes('.'))).toEqual(NAMES.flatMap((n) => LAYER_FIELDS.slice(1).map((f) => `${n}.${f}`)));
    const json = jsonl((await main50()).stdout);
    lines.slice(1).forEach((line, i) => {
      const row = line.split(',');
      expect(row).toHaveLength(header.length);
      const get = (c: string) => row[header.indexOf(c)];
      // the same numbers as the JSONL records of the same config
      expect(Number(get('step'))).toBe(i);
      expect(get('status')).toBe('ok');
      expect(Number(get('loss'))).toBe(json[i].loss);
      expect(Number(get('gradNorm'))).toBe(json[i].gradNorm);
      NAMES.forEach((n, l) => expect(Number(get(`${n}.actGradNorm`))).toBe(json[i].layers[l].actGradNorm));
    });
  });

  test('three runs (an MLP, a CNN, a diverging MLP): records in run order; divergence exits 0 with "NaN"/"Infinity" strings', SLOW, async () => {
    const exp = JSON.stringify({
      v: 1,
      runs: [
        { label: 'mlp', model: { hidden: [4] } },
        { label: 'cnn', data: { name: 'shapes', samples: 40 }, model: { arch: 'cnn', hidden: [2, 2] }, train: { batchSize: 4 } },
        { label: 'boom', model: { hidden: Array(8).fill(32), init: 'normal', initGain: 3 }, optimizer: { lr: 1 } },
      ],
    });
    const r = await gradscope('run', exp, '--steps', '8');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const recs = jsonl(r.stdout);
    expect(recs.map((x) => [x.run, x.label, x.step])).toEqual(
      ['mlp', 'cnn', 'boom'].flatMap((label, run) => Array.from({ length: 8 }, (_, step) => [run, label, step])),
    );
    recs.slice(0, 8).forEach((x) => checkRecord(x, ['dense1', 'dense2']));
    recs.slice(8, 16).forEach((x) => checkRecord(x, ['conv1', 'conv2', 'dense3']));
    const boom = recs.slice(16);
    boom.forEach((x) => checkRecord(x, Array.from({ length: 9 }, (_, i) => `dense${i + 1}`)));
    const diverged = boom.filter((x) => x.status === 'diverged');
    expect(diverged.length).toBeGreaterThan(0);
    for (const x of diverged) expect(NONFINITE.includes(x.loss as string) || NONFINITE.includes(x.gradNorm as string)).toBe(true);
    for (const x of recs.filter((y) => y.status !== 'diverged')) expect(Number.isFinite(x.loss) && Number.isFinite(x.gradNorm)).toBe(true);
    const divergedLines = r.stdout.split('\n').filter((l) => l.includes('"diverged"'));
    expect(divergedLines.length).toBe(diverged.length);
    for (const l of divergedLines) expect(l).toMatch(/"(NaN|Infinity|-Infinity)"/);
    expect(r.stdout).not.toMatch(/:\s*(NaN|-?Infinity|null)\b/); // never bare NaN/Infinity/null
  });

  test('a reader that closes the pipe early (`| head -1`) ends it quietly', SLOW, async () => {
    const r = await slot(
      () =>
        new Promise<{ code: number | null; stderr: string; first: string }>((done) => {
          const child = spawn(process.execPath, [BIN, 'run', CFG, '--steps', '2000'], { cwd: ROOT });
          let first = '';
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.stdout.on('data', (d) => {
            if (!first) {
              first = String(d).split('\n')[0];
              child.stdout.destroy();
            }
          });
          child.on('close', (code) => done({ code, stderr, first }));
        }),
    );
    expect(JSON.parse(r.first).step).toBe(0);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stderr.length).toBeLessThan(300);
    expect(r.code).toBe(0);
  });
});

describe.concurrent('gradscope url', () => {
  test('prints one URL whose fragment round-trips to the same experiment', SLOW, async () => {
    const r = await urlOfCfg();
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^https?:\/\/\S+#e=[^&\s]+&sum=[0-9a-f]{6}$/);
    expect(parseFragment(lines[0]).experiment).toEqual(parseExperiment(JSON.parse(CFG)));
  });
});

describe.concurrent('bad input, as a process: exit 2, one line on stderr naming the problem, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['out-of-range field', ['run', '{"model":{"hidden":[16,5000]}}'], /^runs\[0\]\.model\.hidden\[1\]: must be an integer 1\.\.1024, got 5000$/],
    ['unknown command', ['train', CFG], /unknown command/],
    ['unknown option', ['run', CFG, '--bogus'], /bogus/],
    ['--out into a missing directory', ['run', CFG, '--out', join(TMP, 'no-such-dir', 'x.jsonl')], /--out: cannot write/],
  ];
  for (const [what, args, message] of cases) {
    test(what, SLOW, async () => {
      const r = await gradscope(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0].replace(/^gradscope: /, '')).toMatch(message);
      expect(r.stderr).not.toContain('    at ');
    });
  }
});

describe('bad input, in-process through main()', () => {
  const call = (...argv: string[]) => captureMain(argv);

  const cases: [string, string[], RegExp][] = [
    ['unknown field', ['run', '{"model":{"hiden":[16]}}'], /^runs\[0\]\.model\.hiden: unknown field$/],
    ['corrupted share URL', ['run', 'http://127.0.0.1:5173/#e=N4IgbiBcCMA0ICcCuA7AzlA2qAN'], /share URL/],
    ['wrong version', ['run', '{"v":2,"runs":[{}]}'], /^v: must be 1/],
    ['five runs', ['run', '{"v":1,"runs":[{},{},{},{},{}]}'], /^runs: must be a list of 1\.\.4 runs/],
    ['cnn without images', ['run', '{"model":{"arch":"cnn"}}'], /^runs\[0\]\.model\.arch: cnn needs an image data set/],
    ['a string for a number', ['run', '{"train":{"steps":"100"}}'], /^runs\[0\]\.train\.steps: must be an integer 1\.\.1000000, got "100"$/],
    ['not JSON', ['run', '{"model":'], /not valid JSON/],
    ['a JSON array', ['run', '[1,2]'], /must be an object/],
    ['missing file', ['run', join(TMP, 'nope.json')], /no such file/],
    ['a directory as config', ['run', TMP], /is not a file/],
    ['a link without an experiment', ['run', 'http://127.0.0.1:5173/#backend=cpu'], /share URL: the link holds no experiment/],
    ['url with a bad config', ['url', '{"train":{"batchSize":0}}'], /^runs\[0\]\.train\.batchSize: must be an integer 1\.\.4096, got 0$/],
    ['url with a bad --base', ['url', '{}', '--base', 'ftp://x'], /--base/],
    ['bad --steps', ['run', CFG, '--steps', '0'], /--steps: must be an integer 1\.\.1000000/],
    ['negative --steps', ['run', CFG, '--steps', '-1'], /^--steps: must be an integer 1\.\.1000000, got "-1"$/],
    ['negative --every', ['run', CFG, '--every', '-5'], /^--every: must be an integer 1\.\.1000000, got "-5"$/],
    ['an option value that starts with a dash', ['run', CFG, '--out', '-x'], /^Option '--out' argument is ambiguous\. .*'--out=-XYZ'\.$/],
    ['non-numeric --every', ['run', CFG, '--every', 'ten'], /--every: must be an integer/],
    ['bad --format', ['run', CFG, '--format', 'xml'], /--format: must be jsonl or csv/],
    ['bad --backend', ['run', CFG, '--backend', 'webgl'], /--backend/],
    ['wasm for a cnn', ['run', '{"data":{"name":"shapes"},"model":{"arch":"cnn"}}', '--backend', 'wasm'], /wasm backend cannot train conv/],
    ['no config', ['run'], /<config>/],
    ['two configs', ['run', CFG, CFG], /exactly one <config>/],
    ['option without value', ['run', CFG, '--steps'], /steps/],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const r = await call(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0].replace(/^gradscope: /, '')).toMatch(message);
      expect(r.stderr).not.toContain('    at ');
    });
  }

  test('several errors: one line each, every field named', async () => {
    const r = await call('run', '{"seed":-1,"data":{"noise":2}}');
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.sort()).toEqual(['runs[0].data.noise: must be a number 0..1, got 2', 'runs[0].seed: must be an integer 0..4294967295, got -1']);
  });

  test('thousands of problems: the first five, one line each, and one line that counts the rest', async () => {
    const run = Object.fromEntries(Array.from({ length: 2987 }, (_, i) => [`k${i}`, 1]));
    const link = `http://127.0.0.1:5173/#e=${LZString.compressToEncodedURIComponent(JSON.stringify(run))}`;
    for (const arg of [JSON.stringify(run), link]) {
      const r = await call('run', arg);
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(6);
      expect(lines[0]).toMatch(/^(share URL: )?runs\[0\]\.k0: unknown field$/);
      expect(lines[5]).toMatch(/^(share URL: )?and 2982 more problems$/);
    }
  });

  test('no command prints the usage and exits 2; --help exits 0', async () => {
    const none = await call();
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/Usage/);
    const help = await call('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/gradscope run <config>/);
    const runHelp = await call('run', '--help');
    expect(runHelp.code).toBe(0);
    for (const mode of ['global_norm', 'layer_norm', 'value', 'agc', 'adaptive']) expect(runHelp.stdout).toContain(mode);
  });

  test('--format csv: a label that a spreadsheet would run as a formula is written as text', async () => {
    const r = await call('run', '{"label":"=1+1","model":{"hidden":[2]}}', '--steps', '1', '--format', 'csv');
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trimEnd().split('\n');
    expect(header.split(',')[1]).toBe('label');
    expect(row.split(',')[1]).toBe("'=1+1");
  });

  test('url --base: the URL starts with the base and round-trips', async () => {
    const r = await call('url', '{"seed":9,"model":{"hidden":[3]}}', '--base', 'https://example.org/app/');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('https://example.org/app/#e=')).toBe(true);
    expect(parseFragment(r.stdout.trim()).experiment).toEqual(parseExperiment({ seed: 9, model: { hidden: [3] } }));
    expect(existsSync(join(TMP, 'no-such-dir'))).toBe(false);
  });
});
