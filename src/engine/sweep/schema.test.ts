/**
 * The sweep config: defaults, messages that name the field path and the allowed
 * range, unknown fields refused, derived paths (depth, width), the compare variant,
 * and the `sweep=` share-URL codec.
 */
import { describe, expect, test } from 'vitest';
import { defaultExperiment, parseRunConfig } from '../config.ts';
import { DEFAULT_BASE_URL, experimentToFragment } from '../shareLink.ts';
import {
  decodeSweep,
  encodeSweep,
  parseSweep,
  parseSweepFragment,
  sweepOrThrow,
  sweepToJson,
  trialConfig,
  variants,
  SWEEP_FRAGMENT_KEY,
  type SweepInput,
} from './schema.ts';
import { NUMERIC_FIELDS, getPath, setPath } from './paths.ts';
import { gridSize, gridValues } from './space.ts';
import { SWEEP_PRESETS } from './meta.ts';

const LR = { path: 'optimizer.lr', scale: 'log', min: 0.001, max: 1, steps: 4 } as const;

function errors(input: unknown): string[] {
  const r = parseSweep(input);
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors;
}

describe('parseSweep', () => {
  test('fills defaults; the base run gets stepsPerTrial as train.steps', () => {
    const s = sweepOrThrow({ params: [LR] });
    expect(s).toMatchObject({ v: 1, method: 'grid', budget: 20, stepsPerTrial: 200, objective: 'final_loss', seed: 1, bayes: { batch: 1, candidates: 2000 } });
    expect(s.base.train.steps).toBe(200);
    expect(s.params[0]).toEqual({ path: 'optimizer.lr', scale: 'log', min: 0.001, max: 1, steps: 4, integer: false });
    expect(s.compare).toBeUndefined();
  });

  test('a missing v means 1; another version is refused', () => {
    expect(parseSweep({ params: [LR] }).ok).toBe(true);
    expect(errors({ v: 2, params: [LR] })).toEqual(['v: must be 1 (this gradscope reads sweep version 1), got 2']);
  });

  test.each<[string, unknown, string]>([
    ['unknown top-level field', { params: [LR], budgett: 3 }, 'budgett: unknown field'],
    ['unknown param field', { params: [{ ...LR, stpes: 3 }] }, 'params[0].stpes: unknown field'],
    ['no params', { params: [] }, 'params: must be a list of 1..3 parameters, got []'],
    ['four params', { params: [LR, LR, LR, LR] }, 'params: must be a list of 1..3 parameters'],
    ['bad method', { params: [LR], method: 'hyperband' }, 'method: must be one of grid | random | bayes, got "hyperband"'],
    ['bad objective', { params: [LR], objective: 'loss' }, 'objective: must be one of final_loss | test_acc, got "loss"'],
    ['budget 0', { params: [LR], budget: 0 }, 'budget: must be an integer 1..1024, got 0'],
    ['stepsPerTrial too big', { params: [LR], stepsPerTrial: 1e6 }, 'stepsPerTrial: must be an integer 1..100000, got 1000000'],
    ['steps 1', { params: [{ ...LR, steps: 1 }] }, 'params[0].steps: must be an integer 2..64, got 1'],
    ['not a path', { params: [{ ...LR, path: 'optimizer.lrr' }] }, 'params[0].path: must be a numeric path into the run config (one of seed,'],
    ['a string field', { params: [{ ...LR, path: 'optimizer.name' }] }, 'params[0].path: must be a numeric path into the run config'],
    ['train.steps', { params: [{ ...LR, path: 'train.steps' }] }, 'params[0].path: must be a numeric path into the run config (stepsPerTrial sets it), got "train.steps"'],
    ['max out of range', { params: [{ ...LR, max: 5000 }] }, 'params[0].max: must be a number 0..1000 (the range of optimizer.lr), got 5000'],
    ['gain 0 (exclusive bound)', { params: [{ path: 'model.initGain', min: 0, max: 2 }] }, 'params[0].min: must be a number > 0 and <= 100 (the range of model.initGain), got 0'],
    ['depth too deep', { params: [{ path: 'model.hidden.length', min: 1, max: 100 }] }, 'params[0].max: must be an integer 1..64 (the range of model.hidden.length), got 100'],
    ['log scale from 0', { params: [{ path: 'optimizer.momentum', scale: 'log', min: 0, max: 0.9 }] }, 'params[0].min: must be > 0 for a log scale, got 0'],
    ['max <= min', { params: [{ ...LR, min: 1, max: 0.1 }] }, 'params[0].max: must be greater than min (1), got 0.1'],
    ['missing max', { params: [{ path: 'optimizer.lr', min: 0.1 }] }, 'params[0].max: required for a linear scale (a number 0..1000)'],
    ['list without values', { params: [{ path: 'optimizer.lr', scale: 'list' }] }, 'params[0].values: a list scale needs values (1..64 numbers)'],
    ['list value out of range', { params: [{ path: 'train.batchSize', scale: 'list', values: [8, 0.5] }] }, 'params[0].values[1]: must be an integer 1..4096 (the range of train.batchSize), got 0.5'],
    ['values with linear', { params: [{ ...LR, values: [1] }] }, 'params[0].values: only a list scale takes values (use min and max for log)'],
    ['same path twice', { params: [LR, LR] }, 'params[1].path: optimizer.lr is already params[0]'],
    ['bad base', { params: [LR], base: { model: { hidden: [5000] } } }, 'base.model.hidden[0]: must be an integer 1..1024, got 5000'],
    ['unknown base field', { params: [LR], base: { optimiser: {} } }, 'base.optimiser: unknown field'],
    ['bad compare value', { params: [LR], compare: { 'stabilizers.clip': { mode: 'clamp' } } }, 'compare.stabilizers.clip.mode: must be one of none | global_norm'],
    ['unknown compare path', { params: [LR], compare: { 'stabilizers.clp': { mode: 'value' } } }, 'compare.stabilizers.clp: unknown field'],
    ['empty compare', { params: [LR], compare: {} }, 'compare: must name at least one run-config path to change'],
    ['grid too large', { params: [{ ...LR, steps: 64 }, { path: 'model.initGain', min: 0.5, max: 2, steps: 64 }] }, 'params: the grid has 4096 points, at most 1024 allowed (lower steps)'],
    ['not an object', [1, 2], '(sweep): must be an object, got [1,2]'],
  ])('%s', (_name, input, message) => {
    const errs = errors(input);
    expect(errs.some((e) => e.startsWith(message)), `${JSON.stringify(errs)} should contain "${message}"`).toBe(true);
  });

  test('every message names a field path and says what is allowed', () => {
    const errs = errors({ params: [{ path: 'optimizer.lr', scale: 'log', min: -1, max: 2000, steps: 99 }], budget: 'ten' });
    for (const e of errs) expect(e).toMatch(/^[a-zA-Z[(][^:]*: (must|required|only|not|a list)/);
  });

  test('numeric paths come from the run schema, with its ranges', () => {
    expect(NUMERIC_FIELDS.get('optimizer.lr')).toMatchObject({ min: 0, max: 1000, integer: false });
    expect(NUMERIC_FIELDS.get('train.batchSize')).toMatchObject({ min: 1, max: 4096, integer: true });
    expect(NUMERIC_FIELDS.get('model.initGain')).toMatchObject({ min: 0, minInclusive: false });
    expect(NUMERIC_FIELDS.has('train.steps')).toBe(false);
    expect(NUMERIC_FIELDS.has('model.arch')).toBe(false);
  });

  test('depth and width set model.hidden', () => {
    const base = parseRunConfig({ model: { hidden: [8, 16] } });
    if (!base.ok) throw new Error('bad base');
    expect(setPath(base.value, 'model.hidden.length', 4).model.hidden).toEqual([8, 16, 16, 16]);
    expect(setPath(base.value, 'model.hidden.length', 1).model.hidden).toEqual([8]);
    expect(setPath(base.value, 'model.hidden.width', 32).model.hidden).toEqual([32, 32]);
    expect(getPath(setPath(base.value, 'stabilizers.clip.threshold', 0.5), 'stabilizers.clip.threshold')).toBe(0.5);
    expect(base.value.stabilizers.clip.threshold).toBe(1); // not mutated
  });

  test('integer parameters are rounded and deduplicated on the grid', () => {
    const s = sweepOrThrow({ params: [{ path: 'model.hidden.length', min: 1, max: 3, steps: 8 }] });
    expect(gridValues(s.params[0])).toEqual([1, 2, 3]);
    expect(gridSize(s)).toBe(3);
  });

  test('a trial config that does not validate is reported, not thrown', () => {
    // 200 filters per conv layer: within the MLP range of width, over the CNN limit of 128.
    const s = sweepOrThrow({
      base: { data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [4, 4] } },
      params: [{ path: 'model.hidden.width', scale: 'list', values: [8, 200] }],
    });
    const v = variants(s)[0];
    expect(trialConfig(s, v, [8], 0).ok).toBe(true);
    const bad = trialConfig(s, v, [200], 1);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toMatch(/^trials\[1\]\.model\.hidden\[0\]: must be an integer 1\.\.128/);
  });

  test('compare: the variant is the base with the entries merged at their paths', () => {
    const s = sweepOrThrow({ params: [LR], base: { stabilizers: { clip: { threshold: 2 } } }, compare: { 'stabilizers.clip': { mode: 'global_norm' } } });
    const [a, b] = variants(s);
    expect(a.base.stabilizers.clip).toMatchObject({ mode: 'none', threshold: 2 });
    expect(b.base.stabilizers.clip).toMatchObject({ mode: 'global_norm', threshold: 2 });
    expect(b.label).toBe('with clip.mode=global_norm');
    expect(b.base.train.steps).toBe(200);
  });

  test('the presets validate', () => {
    for (const p of SWEEP_PRESETS) expect(parseSweep(p.sweep).ok, p.id).toBe(true);
  });
});

describe('share URL', () => {
  const input: SweepInput = { params: [LR, { path: 'model.hidden.length', scale: 'list', values: [2, 4] }], method: 'bayes', budget: 9, seed: 7, compare: { 'stabilizers.clip.mode': 'value' } };

  test('round trip: sweep= next to e= in the fragment', () => {
    const s = sweepOrThrow(input);
    const url = `${DEFAULT_BASE_URL}#${experimentToFragment(defaultExperiment(), { [SWEEP_FRAGMENT_KEY]: encodeSweep(s) })}`;
    const back = parseSweepFragment(url);
    expect(back?.ok).toBe(true);
    if (back?.ok) expect(back.value).toEqual(s);
    expect(sweepOrThrow(sweepToJson(s))).toEqual(s);
  });

  test('no sweep key: null; plain JSON works; a corrupted one says so with the field path', () => {
    expect(parseSweepFragment(`${DEFAULT_BASE_URL}#e=abc`)).toBeNull();
    expect(decodeSweep(JSON.stringify({ params: [LR] })).ok).toBe(true);
    expect(decodeSweep('@@@')).toEqual({ ok: false, errors: ['share URL: the sweep in the link is corrupted or truncated (cannot decompress it)'] });
    const r = parseSweepFragment(`#sweep=${encodeURIComponent(JSON.stringify({ params: [{ ...LR, max: -1 }] }))}`);
    expect(r?.ok).toBe(false);
    if (r && !r.ok) expect(r.errors[0]).toMatch(/^share URL: sweep params\[0\]\.max: /);
  });
});
