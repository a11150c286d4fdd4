/**
 * The field table against the schema built from it: every bound is where the
 * schema accepts and refuses, every config path has exactly one entry, the sweep
 * reads the same ranges; and the rebuild rule.
 */
import { describe, expect, test } from 'vitest';
import { defaultRunConfig, needsReset, parseRunConfig, type RunConfig } from './config.ts';
import { FIELDS, HIDDEN_VIEWS, SWEEPABLE_FIELDS, changedPaths, describeRange, fieldAt, rebuildNeeded, valueAt, type Field, type FieldPath, type NumberField } from './fields.ts';
import { makeRng } from './rng.ts';
import { PARAM_CHOICES } from './sweep/meta.ts';
import { NUMERIC_FIELDS, setPath } from './sweep/paths.ts';
import { sweepablePaths } from './sweep/schema.ts';

const ALL = Object.values(FIELDS as Record<string, Field>);
const NUMBERS = ALL.filter((f): f is NumberField => f.kind === 'number');

function clone(cfg: RunConfig): RunConfig {
  return JSON.parse(JSON.stringify(cfg)) as RunConfig;
}

/** A copy of the config with `value` at a stored path. */
function withValue(cfg: RunConfig, path: string, value: unknown): RunConfig {
  const out = clone(cfg);
  const keys = path.split('.');
  let obj = out as unknown as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  obj[keys[keys.length - 1]] = value;
  return out;
}

/** Leaf paths of a config object (an array is a leaf). */
function leaves(x: unknown, prefix = ''): string[] {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return [prefix];
  return Object.entries(x).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

function errorsOf(input: unknown): string[] {
  const r = parseRunConfig(input);
  return r.ok ? [] : r.errors;
}

const base = defaultRunConfig();

describe('the table covers the config', () => {
  test('every path of a run config has exactly one entry, of the right kind', () => {
    const paths = leaves(base);
    expect(Object.keys(FIELDS).sort()).toEqual([...paths].sort());
    for (const p of paths) {
      const f = fieldAt(p)!;
      expect(f.path).toBe(p);
      const v = valueAt(base, p as FieldPath);
      const kind = Array.isArray(v) ? 'list' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : f.kind === 'enum' ? 'enum' : 'text';
      expect(f.kind, p).toBe(kind);
    }
  });

  test('the ranges of the public contract (docs: contract section 1)', () => {
    const range = (p: FieldPath) => {
      const f = FIELDS[p] as NumberField;
      return [f.min, f.minInclusive, f.max, f.integer];
    };
    expect(FIELDS.label.maxLength).toBe(40);
    expect(range('seed')).toEqual([0, true, 2 ** 32 - 1, true]);
    expect(range('data.samples')).toEqual([16, true, 20000, true]);
    expect(range('data.noise')).toEqual([0, true, 1, false]);
    expect(range('data.testFraction')).toEqual([0, true, 0.9, false]);
    const h = FIELDS['model.hidden'];
    expect([h.length.min, h.length.max, h.item.min, h.item.max, h.cnnItemMax]).toEqual([1, 64, 1, 1024, 128]);
    expect(range('model.initGain').slice(0, 2)).toEqual([0, false]);
    expect(range('optimizer.lr').slice(0, 2)).toEqual([0, true]);
    expect(range('train.batchSize')).toEqual([1, true, 4096, true]);
    expect(range('train.steps')).toEqual([1, true, 1_000_000, true]);
  });

  test('every entry has a label and a one-sentence help', () => {
    for (const f of [...ALL, HIDDEN_VIEWS.depth, HIDDEN_VIEWS.width]) {
      expect(f.label.length, f.path).toBeGreaterThan(0);
      expect(f.help, f.path).toMatch(/^\S.*[.)]$/);
    }
  });

  test('every number field has a consistent range, step and scale', () => {
    for (const f of [...NUMBERS, HIDDEN_VIEWS.depth, HIDDEN_VIEWS.width]) {
      expect(f.max, f.path).toBeGreaterThan(f.min);
      if (f.integer) expect(f.step, f.path).toBe(1);
      if (f.slider) {
        expect(f.slider.min, f.path).toBeGreaterThanOrEqual(f.min);
        expect(f.slider.max, f.path).toBeLessThanOrEqual(f.max);
        if (f.slider.scale === 'log') expect(f.slider.min, f.path).toBeGreaterThan(0);
      }
      if (f.sweepRange) {
        expect(f.sweepRange.min, f.path).toBeGreaterThanOrEqual(f.min);
        expect(f.sweepRange.max, f.path).toBeLessThanOrEqual(f.max);
        if (f.scale === 'log') expect(f.sweepRange.min, f.path).toBeGreaterThan(0);
      }
    }
  });
});

describe('the schema accepts and refuses exactly at the table bounds', () => {
  const eps = (x: number) => Math.max(1, Math.abs(x)) * 1e-9;
  for (const f of NUMBERS) {
    test(f.path, () => {
      const msg = (v: number) => `${f.path}: must be ${describeRange(f)}, got ${v}`;
      const accepts = (v: number) => {
        const r = parseRunConfig(withValue(base, f.path, v));
        expect(r.ok ? [] : r.errors, `${f.path} = ${v}`).toEqual([]);
        if (r.ok) expect(valueAt(r.value, f.path as FieldPath)).toBe(v);
      };
      const refuses = (v: number) => expect(errorsOf(withValue(base, f.path, v)), `${f.path} = ${v}`).toEqual([msg(v)]);
      const below = f.integer ? f.min - 1 : f.min - eps(f.min);
      const above = f.integer ? f.max + 1 : f.max + eps(f.max);
      if (f.minInclusive) accepts(f.min);
      else {
        refuses(f.min);
        accepts(f.min + eps(f.min));
      }
      refuses(below);
      accepts(f.max);
      refuses(above);
      if (f.integer) refuses(f.min + 0.5);
      accepts(f.integer ? Math.floor((f.min + f.max) / 2) : (f.min + f.max) / 2);
    });
  }

  test('model.hidden: its length and items are the depth and width entries', () => {
    const { length, item, cnnItemMax } = FIELDS['model.hidden'];
    expect(length).toBe(HIDDEN_VIEWS.depth);
    expect(item).toBe(HIDDEN_VIEWS.width);
    const hidden = (h: number[], input: object = {}) => errorsOf({ ...input, model: { ...(input as { model?: object }).model, hidden: h } });
    expect(hidden(new Array<number>(length.max).fill(4))).toEqual([]);
    const layersMsg = `model.hidden: must have ${length.min}..${length.max} layers, got `;
    const tooDeep = hidden(new Array<number>(length.max + 1).fill(4));
    expect(tooDeep).toHaveLength(1);
    expect(tooDeep[0].startsWith(`${layersMsg}[4,4,`)).toBe(true);
    expect(hidden([])).toEqual([`${layersMsg}[]`]);
    expect(hidden([item.min, item.max])).toEqual([]);
    expect(hidden([item.max + 1])).toEqual([`model.hidden[0]: must be ${describeRange(item)}, got ${item.max + 1}`]);
    expect(hidden([item.min - 1])).toEqual([`model.hidden[0]: must be ${describeRange(item)}, got ${item.min - 1}`]);
    const cnn = { data: { name: 'shapes' }, model: { arch: 'cnn' } };
    expect(hidden([cnnItemMax], cnn)).toEqual([]);
    expect(hidden([cnnItemMax + 1], cnn)).toEqual([`model.hidden[0]: must be an integer 1..${cnnItemMax} (filters of a cnn layer), got ${cnnItemMax + 1}`]);
  });

  test('depth and width as a sweep sets them', () => {
    for (const f of [HIDDEN_VIEWS.depth, HIDDEN_VIEWS.width]) {
      expect(errorsOf(setPath(base, f.path, f.min))).toEqual([]);
      expect(errorsOf(setPath(base, f.path, f.max))).toEqual([]);
      expect(errorsOf(setPath(base, f.path, f.max + 1)).length).toBeGreaterThan(0);
    }
    expect(errorsOf(setPath(base, 'model.hidden.length', 0)).length).toBeGreaterThan(0);
    expect(errorsOf(setPath(base, 'model.hidden.width', 0)).length).toBeGreaterThan(0);
  });

  test('label: at most maxLength characters', () => {
    const n = FIELDS.label.maxLength;
    expect(errorsOf({ label: 'x'.repeat(n) })).toEqual([]);
    expect(errorsOf({ label: 'x'.repeat(n + 1) })).toEqual([`label: must be a string of at most ${n} characters, got "${'x'.repeat(n + 1)}"`]);
  });

  test('choice fields: every value accepted, anything else refused naming them', () => {
    for (const f of ALL) {
      if (f.kind !== 'enum') continue;
      for (const v of f.values) {
        const cfg = withValue(base, f.path, v);
        if (f.path === 'model.arch' && v === 'cnn') cfg.data.name = 'shapes';
        expect(errorsOf(cfg), `${f.path} = ${v}`).toEqual([]);
        expect(f.meta[v].label.length).toBeGreaterThan(0);
      }
      expect(errorsOf(withValue(base, f.path, 'nope'))).toEqual([`${f.path}: must be one of ${f.values.join(' | ')}, got "nope"`]);
    }
  });
});

describe('the sweep reads the table', () => {
  test('every sweepable path is a number field of the table, with its bounds', () => {
    expect(sweepablePaths()).toEqual(SWEEPABLE_FIELDS.map((f) => f.path));
    for (const p of sweepablePaths()) {
      const f = fieldAt(p);
      expect(f?.kind, p).toBe('number');
      const n = f as NumberField;
      expect(n.sweepable).toBe(true);
      expect(NUMERIC_FIELDS.get(p)).toEqual({ path: p, min: n.min, minInclusive: n.minInclusive, max: n.max, maxInclusive: true, integer: n.integer });
    }
    // every number field is sweepable but train.steps (stepsPerTrial sets it)
    expect(NUMBERS.filter((f) => !f.sweepable).map((f) => f.path)).toEqual(['train.steps']);
  });

  test('the parameter choices are the table entries with a sweep range', () => {
    for (const c of PARAM_CHOICES) {
      const f = fieldAt(c.path) as NumberField;
      expect(c).toEqual({ path: f.path, label: f.label, help: f.help, scale: f.scale, min: f.sweepRange!.min, max: f.sweepRange!.max });
      expect(NUMERIC_FIELDS.has(c.path)).toBe(true);
    }
    const withRange = SWEEPABLE_FIELDS.filter((f) => f.sweepRange).map((f) => f.path);
    expect(PARAM_CHOICES.map((c) => c.path).sort()).toEqual(withRange.sort());
  });
});

describe('the rebuild rule', () => {
  /**
   * The fields whose edit needs a new model at step 0; every other applies between
   * steps (a new optimizer too: it starts with fresh state, see changes.test.ts).
   */
  const REBUILD = ['seed', 'data.', 'model.', 'train.batchSize'];
  const expectRebuild = (p: string) => REBUILD.some((r) => (r.endsWith('.') ? p.startsWith(r) : p === r));

  /** Another valid value for a field. */
  function another(f: Field, v: unknown): unknown {
    switch (f.kind) {
      case 'number':
        return v === f.max ? (f.min + f.max) / 2 : f.max;
      case 'enum':
        return f.values.find((x) => x !== v);
      case 'bool':
        return !v;
      case 'text':
        return `${String(v)}x`;
      case 'list':
        return [...(v as number[]), 8];
    }
  }

  test('each field alone: a change is reported once, with its rule', () => {
    for (const f of ALL) {
      const from = valueAt(base, f.path as FieldPath);
      const to = another(f, from);
      const next = withValue(base, f.path, to);
      expect(changedPaths(base, next), f.path).toEqual([{ path: f.path, apply: f.apply, from, to }]);
      expect(f.apply, f.path).toBe(expectRebuild(f.path) ? 'rebuild' : 'live');
      expect(rebuildNeeded(base, next), f.path).toBe(expectRebuild(f.path));
    }
  });

  test('no change, no rebuild; the list compares by value', () => {
    expect(changedPaths(base, clone(base))).toEqual([]);
    expect(rebuildNeeded(base, clone(base))).toBe(false);
    expect(changedPaths(base, withValue(base, 'model.hidden', [...base.model.hidden]))).toEqual([]);
  });

  test('several changes: listed in table order; any rebuild field decides', () => {
    let next = withValue(base, 'optimizer.lr', 0.5);
    expect(rebuildNeeded(base, next)).toBe(false);
    next = withValue(next, 'optimizer.name', 'adam');
    expect(changedPaths(base, next)).toEqual([
      { path: 'optimizer.name', apply: 'live', from: 'sgd', to: 'adam' },
      { path: 'optimizer.lr', apply: 'live', from: 0.01, to: 0.5 },
    ]);
    expect(rebuildNeeded(base, next)).toBe(false);
    next = withValue(next, 'train.batchSize', 64);
    expect(rebuildNeeded(base, next)).toBe(true);
  });

  test('the same answers as the rule it replaces (less the optimizer, now live), over random edits; needsReset is the same function', () => {
    expect(needsReset).toBe(rebuildNeeded);
    const old = (a: RunConfig, b: RunConfig) =>
      a.seed !== b.seed ||
      JSON.stringify(a.data) !== JSON.stringify(b.data) ||
      JSON.stringify(a.model) !== JSON.stringify(b.model) ||
      a.train.batchSize !== b.train.batchSize;
    const rng = makeRng('rebuild');
    for (let i = 0; i < 300; i++) {
      let next = clone(base);
      const n = 1 + Math.floor(rng.uniform(0, 3));
      for (let k = 0; k < n; k++) {
        const f = ALL[Math.floor(rng.uniform(0, ALL.length))];
        next = withValue(next, f.path, another(f, valueAt(next, f.path as FieldPath)));
      }
      expect(rebuildNeeded(base, next)).toBe(old(base, next));
    }
  });
});
