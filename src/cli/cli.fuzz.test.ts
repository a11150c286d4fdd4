/**
 * Property-based fuzzing of the `gradscope` command, in-process through `main()`
 * (contract section 3), with a fixed fast-check seed.
 *
 * Each case is a tiny valid experiment, either left valid or given exactly one fault
 * (wrong type, out-of-range or non-finite number, unknown field, long or HTML label,
 * huge array, deep nesting, bad version or run count, text that is not JSON), handed
 * to `gradscope run <config> --steps 1` or `gradscope url <config>` as a JSON string,
 * a file or a share URL. The validator (parseExperimentJson / parseFragment) is the
 * oracle: a config it refuses exits 2 with exactly its one-line message on stderr,
 * nothing on stdout and no stack trace; one it accepts exits 0 and trains (one record
 * per run for the one step) or prints a URL that decodes to the same experiment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import LZString from 'lz-string';
import { parseExperimentJson, type Experiment, type ValidationResult } from '../engine/config.ts';
import { parseFragment } from '../engine/shareLink.ts';
import { captureMain } from './captureMain.ts';

const SEED = 20260612;
const RUNS = 240;
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-cli-fuzz-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const call = captureMain;

// ---------------------------------------------------------------------------
// Tiny valid experiments (one step of each trains in milliseconds).

type Obj = Record<string, unknown>;

const LABELS = ['A', '', 'run #2', '<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '#e=N4Ig', 'x'.repeat(40), 'ünï cödé ✓', '"quoted"\\'];

const tinyMlp = fc.record({
  label: fc.constantFrom(...LABELS),
  seed: fc.integer({ min: 0, max: 4294967295 }),
  data: fc.record({ name: fc.constantFrom('circle', 'xor', 'gauss', 'spiral', 'moons'), samples: fc.integer({ min: 16, max: 96 }), noise: fc.constantFrom(0, 0.1, 1) }),
  model: fc.record({
    hidden: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 3 }),
    activation: fc.constantFrom('relu', 'leaky_relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'),
    init: fc.constantFrom('he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'normal', 'orthogonal'),
    initGain: fc.constantFrom(0.5, 1, 3),
    norm: fc.constantFrom('none', 'batch', 'layer'),
    residual: fc.boolean(),
  }),
  optimizer: fc.record({ name: fc.constantFrom('sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamax', 'adamw'), lr: fc.constantFrom(0, 0.01, 1) }),
  stabilizers: fc.record({ clip: fc.record({ mode: fc.constantFrom('none', 'global_norm', 'layer_norm', 'value', 'agc', 'adaptive') }), skipNonFinite: fc.boolean() }),
  train: fc.record({ batchSize: fc.integer({ min: 1, max: 16 }), steps: fc.integer({ min: 1, max: 1000 }) }),
});

const tinyCnn = fc.record({
  label: fc.constantFrom(...LABELS),
  data: fc.record({ name: fc.constant('shapes'), samples: fc.integer({ min: 16, max: 24 }) }),
  model: fc.record({ arch: fc.constant('cnn'), hidden: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }) }),
  train: fc.record({ batchSize: fc.constantFrom(2, 4) }),
});

const tinyRun = fc.oneof({ weight: 6, arbitrary: tinyMlp as fc.Arbitrary<Obj> }, { weight: 1, arbitrary: tinyCnn as fc.Arbitrary<Obj> });

const tinyExperiment: fc.Arbitrary<Obj> = fc.oneof(tinyRun, fc.array(tinyRun, { minLength: 1, maxLength: 2 }).map((runs) => ({ v: 1, runs })));

// ---------------------------------------------------------------------------
// One fault each.

function deepText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A raw JSON value: `{ raw }` is spliced into the JSON text as is. */
type Raw = { raw: string };
const raw = (s: string): Raw => ({ raw: s });

/** Values that are wrong for a field of each kind (never allowed by the contract). */
const BAD: Record<string, unknown[]> = {
  number: ['NaN', 'Infinity', '-Infinity', '1', null, true, {}, [], -1, 1e308, raw('1e400'), raw('-1e400'), raw(deepText(10_000, 'array'))],
  int: [0.5, 'NaN', null, -1, 1e308, 2 ** 53 + 2],
  enum: ['bogus', '', 'RELU', 5, null, '<img src=x onerror=alert(1)>', ['relu']],
  label: ['x'.repeat(41), 'x'.repeat(100_000), '<iframe src="javascript:alert(1)"></iframe>', 5, null, [], raw(deepText(100_000, 'array')), { html: '<b>' }],
  bool: ['true', 1, 0, null, 'false'],
  section: [null, [], 'x', 5, raw(deepText(50_000, 'object'))],
  hidden: [[], new Array<number>(10_000).fill(8), new Array<number>(65).fill(8), [0], [1025], ['8'], [8.5], [null], 'x', raw(deepText(100_000, 'array'))],
};

/** The kind of each field of the tiny configs, by name (hidden elements are `int` 1..1024). */
const KIND: Record<string, string> = {
  label: 'label',
  seed: 'int',
  data: 'section',
  name: 'enum',
  samples: 'int',
  noise: 'number',
  model: 'section',
  arch: 'enum',
  hidden: 'hidden',
  activation: 'enum',
  init: 'enum',
  initGain: 'number',
  norm: 'enum',
  residual: 'bool',
  optimizer: 'section',
  lr: 'number',
  stabilizers: 'section',
  clip: 'section',
  mode: 'enum',
  skipNonFinite: 'bool',
  train: 'section',
  batchSize: 'int',
  steps: 'int',
};

const UNKNOWN_KEYS = ['hiden', 'LABEL', 'Label', '__proto__', 'constructor', 'a\nb', 'x'.repeat(5000), '<script>', 'steps '];

/** Whole texts that are not a usable config. */
const BAD_TEXTS = ['{', '{"model":', '[1,2]', '[]', '{\n"label": tru\ne}', '{"label":"a"}}', '{"v":2,"runs":[{}]}', '{"v":"1","runs":[{}]}', '{"v":1,"runs":[]}', '{"v":1}', '{"v":1,"runs":[{},{},{},{},{}]}', '{"v":1,"runs":[null]}', '{"v":1,"runs":[[]]}', '{"v":1,"runs":"x"}', `{"v":1,"runs":[${'{},'.repeat(9999)}{}]}`, '{"model":{"arch":"cnn"}}', '{"data":{"name":"shapes"},"model":{"arch":"cnn","hidden":[200]}}', '{"label":"\\ud800"}x', '\u0000{}'];

type Fault = { kind: 'set'; pick: number; which: number } | { kind: 'unknown'; pick: number; key: string } | { kind: 'text'; text: string };

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unknown' as const), pick: fc.nat(), key: fc.constantFrom(...UNKNOWN_KEYS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.constantFrom(...BAD_TEXTS) }) },
);

type Path = (string | number)[];

function fieldPaths(x: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(x)) {
    if (prefix.at(-1) === 'runs') x.forEach((v, i) => fieldPaths(v, [...prefix, i], out));
    else x.forEach((_, i) => out.push([...prefix, i])); // hidden[i]
  } else if (typeof x === 'object' && x !== null) {
    for (const [k, v] of Object.entries(x)) {
      if (k !== 'v' && k !== 'runs') out.push([...prefix, k]);
      fieldPaths(v, [...prefix, k], out);
    }
  }
  return out;
}

/** JSON text with `{ raw }` values spliced in. */
function toJson(x: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(x, (_k, v: unknown) => {
    if (v && typeof v === 'object' && 'raw' in v && typeof (v as Raw).raw === 'string') {
      raws.push((v as Raw).raw);
      return `\u0000RAW${raws.length - 1}\u0000`;
    }
    return v;
  });
  return text.replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]);
}

/** The config text for an experiment with (at most) one fault. */
function withFault(exp: Obj, fault: Fault | null): { text: string; what: string } {
  if (!fault) return { text: JSON.stringify(exp), what: 'valid' };
  if (fault.kind === 'text') return { text: fault.text, what: `text ${JSON.stringify(fault.text.slice(0, 30))}` };
  const x = structuredClone(exp);
  const paths = fieldPaths(x);
  const p = paths[fault.pick % paths.length];
  const parent = p.slice(0, -1).reduce<Obj>((o, k) => o[k] as Obj, x);
  const key = p.at(-1)!;
  if (fault.kind === 'unknown') {
    // into the object itself when the path is a section, else next to the field
    const target = typeof parent[key] === 'object' && parent[key] !== null && !Array.isArray(parent[key]) ? (parent[key] as Obj) : Array.isArray(parent) ? (p.slice(0, -2).reduce<Obj>((o, k) => o[k] as Obj, x)) : parent;
    Object.defineProperty(target, fault.key, { value: 1, enumerable: true, configurable: true, writable: true });
    return { text: toJson(x), what: `unknown field ${JSON.stringify(fault.key.slice(0, 20))} near ${p.join('.')}` };
  }
  const kind = typeof key === 'number' ? 'hiddenElement' : KIND[key];
  const values = kind === 'hiddenElement' ? [0, 1025, -1, 8.5, '8', null, 'NaN'] : BAD[kind];
  const value = values[fault.which % values.length];
  parent[key] = value;
  const shown = value && typeof value === 'object' && 'raw' in value ? `raw ${(value as Raw).raw.slice(0, 20)}` : JSON.stringify(value)?.slice(0, 30);
  return { text: toJson(x), what: `${p.join('.')} = ${shown}` };
}

// ---------------------------------------------------------------------------
// The property.

const counts = { cases: 0, valid: 0, refused: 0, trained: 0, urls: 0, json: 0, file: 0, link: 0 };
let fileNo = 0;

afterAll(() => {
  console.log(
    `cli fuzz (seed ${SEED}): ${counts.cases} cases: ${counts.valid} valid (${counts.trained} trained, ${counts.urls} url), ${counts.refused} refused; ` +
      `as JSON ${counts.json}, as file ${counts.file}, as share URL ${counts.link}`,
  );
});

const caseArb = fc.record({
  exp: tinyExperiment,
  fault: fc.option(faultArb, { freq: 3, nil: null }), // about one in four is valid
  how: fc.constantFrom('json', 'json', 'file', 'link'),
  command: fc.constantFrom('run', 'run', 'run', 'url'),
  extra: fc.constantFrom<string[]>([], [], ['--format', 'csv'], ['--every', '1'], ['--out', 'OUT']),
});

test(
  `${RUNS} mutated configs through main(): refused ones exit 2 with one line and no stack trace; valid ones exit 0`,
  async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ exp, fault, how, command, extra }) => {
        const { text, what } = withFault(exp, fault);
        counts.cases++;
        counts[how as 'json' | 'file' | 'link']++;
        // the argument, and what the validator says about it
        let arg: string;
        let oracle: ValidationResult<Experiment>;
        if (how === 'link') {
          arg = `http://127.0.0.1:5173/#e=${LZString.compressToEncodedURIComponent(text)}`;
          oracle = parseFragment(arg).experiment ?? { ok: false, errors: ['(no experiment)'] };
        } else if (how === 'file') {
          arg = join(TMP, `c${fileNo++}.json`);
          writeFileSync(arg, text);
          oracle = parseExperimentJson(text);
        } else {
          arg = text;
          oracle = parseExperimentJson(text);
        }
        const asJsonText = how === 'json' && !/^\s*[{[]/.test(text); // not JSON to the CLI: a (missing) file name
        const out = join(TMP, `o${fileNo++}.txt`);
        const argv = command === 'run' ? ['run', arg, '--steps', '1', ...extra.map((a) => (a === 'OUT' ? out : a))] : ['url', arg];
        const r = await call(argv);
        const ctx = `${command} ${how} ${what}: exit ${r.code}, stderr ${JSON.stringify(r.stderr.slice(0, 300))}`;

        expect(r.stderr, ctx).not.toMatch(/^ {4}at /m); // never a stack trace
        expect(r.stderr, ctx).not.toMatch(/internal error/);
        if (!oracle.ok || asJsonText) {
          counts.refused++;
          expect(r.code, ctx).toBe(2);
          expect(r.stdout, ctx).toBe('');
          const lines = r.stderr.trimEnd().split('\n');
          expect(lines, ctx).toHaveLength(1);
          if (!asJsonText && !oracle.ok) expect(lines, ctx).toEqual(oracle.errors);
          // (a link whose experiment decodes to more than 65,536 characters is refused before its JSON is read)
          if (fault && fault.kind !== 'text') expect(lines[0], ctx).toMatch(/^(share URL: )?(runs|v|\(config\))[^:]*: \S|^share URL: the experiment in the link decodes to more than \d+ characters/);
          return;
        }
        counts.valid++;
        expect(r.code, ctx).toBe(0);
        expect(r.stderr, ctx).toBe('');
        const exp1 = oracle.value;
        if (command === 'url') {
          counts.urls++;
          const lines = r.stdout.trimEnd().split('\n');
          expect(lines, ctx).toHaveLength(1);
          expect(parseFragment(lines[0]).experiment, ctx).toEqual({ ok: true, value: exp1 });
          return;
        }
        counts.trained++;
        const written = extra.includes('OUT') ? readFileSync(out, 'utf8') : r.stdout;
        const lines = written.trimEnd().split('\n');
        if (extra.includes('csv')) {
          expect(lines, ctx).toHaveLength(1 + exp1.runs.length); // header + step 0 of each run
          expect(lines[0].split(',').slice(0, 3), ctx).toEqual(['run', 'label', 'step']);
        } else {
          expect(lines, ctx).toHaveLength(exp1.runs.length);
          lines.forEach((l, i) => {
            const rec = JSON.parse(l) as { run: number; label: string; step: number; layers: unknown[] };
            expect([rec.run, rec.label, rec.step], ctx).toEqual([i, exp1.runs[i].label, 0]);
            expect(rec.layers, ctx).toHaveLength(exp1.runs[i].model.hidden.length + 1);
          });
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(counts.valid).toBeGreaterThan(30);
    expect(counts.refused).toBeGreaterThan(RUNS / 2);
  },
  240_000,
);
