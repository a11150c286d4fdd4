/**
 * `__proto__`, `constructor` and `prototype` in configs (fast-check, fixed
 * seed): as keys anywhere in an experiment or a sweep (as JSON text, where
 * `"__proto__"` is an own key), and as segments of the paths of a sweep's
 * `compare` block. Nothing is ever written onto a prototype, nothing is
 * smuggled in through one, and every such config is refused with a message
 * that names the key.
 *
 * The case of the issue: `"compare": {"__proto__.polluted": "yes"}` set
 * Object.prototype.polluted, after which every config (the presets included)
 * failed with "polluted: unknown field".
 */
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import LZString from 'lz-string';
import { defaultExperiment, parseExperiment, parseExperimentJson } from '../config.ts';
import { parseFragment } from '../shareLink.ts';
import { FIELDS } from '../fields.ts';
import { applyCompare, decodeSweep, parseSweep, parseSweepJson } from './schema.ts';
import { FORBIDDEN_SEGMENTS, checkPath, getPath, setPath } from './paths.ts';

const SEED = 20260613;
const FORBIDDEN = FORBIDDEN_SEGMENTS;

/** Own property names of the built-in prototypes, as they are before any test. */
const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype];
const before = PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join(','));

function expectPrototypesClean(): void {
  expect(PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join(','))).toEqual(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  // and the default experiment still validates (it failed with "polluted: unknown field")
  expect(parseExperiment(defaultExperiment()).ok).toBe(true);
}

afterEach(() => expectPrototypesClean());

const counts = { experiments: 0, sweeps: 0, compares: 0, links: 0 };
afterAll(() => {
  console.log(`prototype keys (seed ${SEED}): ${counts.experiments} experiments, ${counts.sweeps} sweeps, ${counts.compares} compare blocks, ${counts.links} links: all refused, prototypes untouched`);
});

// ---------------------------------------------------------------- generators

/** Some JSON object text with a forbidden key at a random place of a valid base object. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The JSON text of `x`, with `key: value` added to the object at `at` (an index into its objects). */
function withKey(x: Json, at: number, key: string, value: Json): string {
  const objects: { [k: string]: Json }[] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      objects.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(x);
  const target = objects[at % objects.length];
  // JSON.stringify writes own keys only, and `target[key] = …` would set a prototype:
  // mark the object, then splice the key into the text.
  const MARK = '"mark-9f3a":0';
  Object.defineProperty(target, 'mark-9f3a', { value: 0, enumerable: true, configurable: true });
  const text = JSON.stringify(x).replace(MARK, `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  delete target['mark-9f3a'];
  return text;
}

const valueArb: fc.Arbitrary<Json> = fc.oneof<fc.Arbitrary<Json>[]>(
  fc.constant('yes'),
  fc.constant(1),
  fc.constant({ polluted: 'yes' }),
  fc.constant({ lr: 5, steps: 3 }),
  fc.constant({ label: 'smuggled', optimizer: { lr: 5 } }),
  fc.constant([{ polluted: 1 }]),
  fc.constant({ prototype: { polluted: 'yes' }, constructor: { prototype: { polluted: 'yes' } } }),
);

const keyArb = fc.constantFrom(...FORBIDDEN);

const baseExperiment: Json = { v: 1, runs: [{ label: 'A', data: { samples: 256 }, model: { hidden: [8, 8] }, optimizer: { name: 'adam', lr: 0.01, schedule: { kind: 'constant' } }, stabilizers: { clip: { mode: 'none' } }, train: { steps: 50 } }] };
const baseSweep: Json = {
  v: 1,
  base: { model: { hidden: [8] }, stabilizers: { clip: { mode: 'none' } } },
  params: [{ path: 'optimizer.lr', scale: 'log', min: 0.001, max: 1, steps: 3 }],
  bayes: { batch: 1 },
  compare: { 'stabilizers.clip': { mode: 'global_norm' } },
};

/** Paths of the run config: every field and section, by their segments. */
const SEGMENTS = [...new Set(Object.keys(FIELDS).flatMap((p) => p.split('.')))];

/** A compare path with at least one forbidden segment. */
const badPathArb = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 3 }), fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 2 }), keyArb, fc.array(keyArb, { maxLength: 1 }))
  .map(([a, b, k, more]) => [...a, k, ...b, ...more].join('.'));

// ---------------------------------------------------------------- checks

/** A refusal whose messages name the forbidden key. */
function expectRefusedNaming(r: { ok: boolean; errors?: string[] }, keys: readonly string[], what: string): void {
  expect(r.ok, `${what} was accepted`).toBe(false);
  const text = (r.errors ?? []).join(' | ');
  expect(
    keys.some((k) => text.includes(k)),
    `${what}: no message names ${keys.join(' or ')}: ${text}`,
  ).toBe(true);
  for (const e of r.errors ?? []) expect(e).not.toMatch(/[\n\r]/);
}

const noThrow = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    throw new Error(`threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
};

describe('__proto__, constructor and prototype', () => {
  test('the sweep link of the issue is refused, names the key, and pollutes nothing', () => {
    const sweep = { params: [{ path: 'optimizer.lr', min: 0.001, max: 1 }], compare: { '__proto__.polluted': 'yes' } };
    const link = `#e=abc&sweep=${LZString.compressToEncodedURIComponent(JSON.stringify(sweep))}`;
    const r = decodeSweep(parseFragment(link).options.sweep);
    expect(r).toEqual({ ok: false, errors: [expect.stringMatching(/^share URL: sweep compare\["__proto__\.polluted"\]: not a run-config path \("__proto__" is not a field name/)] });
    expectPrototypesClean();
    // and directly
    expect(parseSweep(sweep).ok).toBe(false);
    expect(applyCompare(defaultExperiment().runs[0], { 'constructor.prototype.polluted': 'yes' }).ok).toBe(false);
  });

  test('a "__proto__" inside a compare value is an unknown field, never a way to set a value', () => {
    const r = parseSweepJson('{"params":[{"path":"optimizer.lr","min":0.001,"max":1}],"compare":{"optimizer":{"__proto__":{"lr":5}}}}');
    expect(r).toEqual({ ok: false, errors: ['compare.optimizer.__proto__: unknown field'] });
    const s = parseSweepJson('{"params":[{"path":"optimizer.lr","min":0.001,"max":1}],"compare":{"__proto__":{"label":"smuggled"}}}');
    expectRefusedNaming(s, ['__proto__'], 'compare with a "__proto__" key');
  });

  test('sweep paths are applied only when they are sweepable', () => {
    const cfg = defaultExperiment().runs[0];
    for (const p of ['__proto__.polluted', 'constructor.prototype.polluted', 'optimizer.__proto__.lr', 'label', 'train.steps']) {
      expect(() => setPath(cfg, p, 1)).toThrow(/not a sweepable path/);
      expect(() => getPath(cfg, p)).toThrow(/not a sweepable path/);
    }
    expect(checkPath('optimizer.lr')).toBeNull();
    expect(checkPath('a.prototype')).toMatch(/"prototype" is not a field name/);
  });

  test('experiments with such a key anywhere (JSON text) are refused naming it', () => {
    fc.assert(
      fc.property(fc.nat(), keyArb, valueArb, (at, key, value) => {
        counts.experiments++;
        const text = withKey(structuredClone(baseExperiment), at, key, value);
        expectRefusedNaming(noThrow(() => parseExperimentJson(text)), [key], text);
        // as a link, old and new format
        const link = `#e=${LZString.compressToEncodedURIComponent(text)}`;
        counts.links++;
        const f = noThrow(() => parseFragment(link));
        expectRefusedNaming(f.experiment ?? { ok: true }, [key], link);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('sweeps with such a key anywhere, base and compare values included, are refused naming it', () => {
    fc.assert(
      fc.property(fc.nat(), keyArb, valueArb, (at, key, value) => {
        counts.sweeps++;
        const text = withKey(structuredClone(baseSweep), at, key, value);
        expectRefusedNaming(noThrow(() => parseSweepJson(text)), [key], text);
        counts.links++;
        expectRefusedNaming(noThrow(() => decodeSweep(LZString.compressToEncodedURIComponent(text))), [key], text);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('compare paths with such a segment are refused naming it, with any value', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(badPathArb, valueArb), { minLength: 1, maxLength: 3 }), fc.boolean(), (entries, withGood) => {
        counts.compares++;
        const compare: Record<string, Json> = withGood ? { 'stabilizers.clip.mode': 'value' } : {};
        // (own keys, as JSON.parse makes them: `compare[p] = v` would set a prototype here)
        for (const [p, v] of entries) Object.defineProperty(compare, p, { value: v, enumerable: true, writable: true, configurable: true });
        const sweep = { params: [{ path: 'optimizer.lr', min: 0.001, max: 1 }], compare };
        const text = JSON.stringify(sweep);
        const forbidden = entries.flatMap(([p]) => p.split('.').filter((k) => FORBIDDEN.includes(k)));
        expectRefusedNaming(noThrow(() => parseSweepJson(text)), forbidden, text);
        expectRefusedNaming(noThrow(() => parseSweep(JSON.parse(text))), forbidden, text);
        expectRefusedNaming(noThrow(() => applyCompare(defaultExperiment().runs[0], compare)), forbidden, text);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
