/**
 * Validation messages stay short whatever the input: at most five problems, then
 * one line that counts the rest. A 10 kB link with thousands of unknown fields
 * once gave a 118,186-character banner in the page and thousands of lines in the CLI.
 */
import { describe, expect, test } from 'vitest';
import LZString from 'lz-string';
import { MAX_PROBLEMS, capProblems, parseExperiment, type ValidationResult } from './config.ts';
import { parseFragment } from './shareLink.ts';
import { parseSweep } from './sweep/schema.ts';

function errorsOf<T>(r: ValidationResult<T> | null | undefined): string[] {
  expect(r?.ok).toBe(false);
  return r && !r.ok ? r.errors : [];
}

/** A run config with n unknown fields. */
function unknownKeys(n: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1]));
}

describe('capProblems', () => {
  test('five problems, then "and N more problems"; six or fewer are all shown', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `p${i}: bad`);
    expect(capProblems(lines)).toEqual(['p0: bad', 'p1: bad', 'p2: bad', 'p3: bad', 'p4: bad', 'and 7 more problems']);
    expect(capProblems(lines.slice(0, 6))).toEqual(lines.slice(0, 6));
    expect(capProblems([])).toEqual([]);
    expect(MAX_PROBLEMS).toBe(5);
  });

  test('a list that was capped before is counted right when capped again', () => {
    const once = capProblems(Array.from({ length: 20 }, (_, i) => `a${i}`));
    expect(capProblems([...once, 'b0', 'b1'])).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'and 17 more problems']);
    expect(capProblems(capProblems(once))).toEqual(once);
  });
});

describe('every validation caps its message', () => {
  test('an experiment with 2,987 unknown fields: five of them and a count', () => {
    const errs = errorsOf(parseExperiment(unknownKeys(2987)));
    expect(errs).toHaveLength(MAX_PROBLEMS + 1);
    expect(errs.slice(0, 2)).toEqual(['runs[0].k0: unknown field', 'runs[0].k1: unknown field']);
    expect(errs.at(-1)).toBe('and 2982 more problems');
  });

  test('a share link with thousands of unknown fields: a short banner', () => {
    const link = `http://127.0.0.1:5173/#e=${LZString.compressToEncodedURIComponent(JSON.stringify({ v: 1, runs: [unknownKeys(2987)] }))}`;
    expect(link.length).toBeLessThan(12_000);
    const errs = errorsOf(parseFragment(link).experiment);
    expect(errs).toHaveLength(MAX_PROBLEMS + 1);
    expect(errs.at(-1)).toBe('share URL: and 2982 more problems');
    expect(errs.join('; ').length).toBeLessThan(400);
  });

  test('many different problems in several runs', () => {
    const bad = { seed: -1, data: { noise: 2, samples: 1 }, train: { steps: 0, batchSize: 0 }, model: { hidden: [0, 0, 0] } };
    const errs = errorsOf(parseExperiment({ v: 1, runs: [bad, bad, bad, bad] }));
    expect(errs).toHaveLength(MAX_PROBLEMS + 1);
    expect(errs.at(-1)).toMatch(/^and \d+ more problems$/);
  });

  test('a sweep: schema problems, and base and parameter problems together', () => {
    const schema = errorsOf(parseSweep({ params: [{ path: 'optimizer.lr', min: 0.1, max: 1 }], ...unknownKeys(500) }));
    expect(schema).toHaveLength(MAX_PROBLEMS + 1);
    expect(schema.at(-1)).toBe('and 495 more problems');
    const values = Array.from({ length: 64 }, (_, i) => 2000 + i);
    const both = errorsOf(parseSweep({ base: unknownKeys(30), params: [{ path: 'optimizer.lr', scale: 'list', values }] }));
    expect(both).toHaveLength(MAX_PROBLEMS + 1);
    expect(both[0]).toBe('base.k0: unknown field');
    expect(both.at(-1)).toBe(`and ${30 + 64 - MAX_PROBLEMS} more problems`);
  });
});
