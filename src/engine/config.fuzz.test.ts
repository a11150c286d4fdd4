/**
 * Property-based fuzzing of the experiment validator (contract section 1), with
 * a fixed fast-check seed so that every run sees the same cases; the share-URL
 * codec is fuzzed in shareLink.fuzz.test.ts.
 *
 * Experiments: valid experiments (bare run configs and {v, runs}) mutated with wrong
 * types, out-of-range numbers, NaN/Infinity (as numbers and as strings), huge arrays,
 * deep nesting, unknown fields, long strings, HTML labels, missing fields and nulls.
 *
 * For every case: parsing never throws; an accepted experiment is within the
 * contract's bounds (checked here from the contract's numbers, not with the schema)
 * and keeps every value it was given unchanged; a refused one is refused with
 * one-line messages, one of which names the mutated field's path. The contract's
 * values, the generators, the mutations and the checks are in *.fixtures.ts.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { parseExperiment, parseExperimentJson } from './config.ts';
import { HTML_LABELS, MAX_LABEL, validInput } from './contract.fixtures.ts';
import { applyMutations, deep, jsonOf, mutationArb, type Applied } from './mutations.fixtures.ts';
import { fuzzChecks, noThrow } from './fuzzChecks.fixtures.ts';

const SEED = 20260611;
const EXPERIMENT_RUNS = 1500;

const { checkRefusal, checkAccepted } = fuzzChecks(expect);

const counts = { experiments: 0, accepted: 0, refused: 0 };

afterAll(() => {
  console.log(`config fuzz (seed ${SEED}): ${counts.experiments} mutated experiments (${counts.accepted} accepted, ${counts.refused} refused)`);
});

function checkExperiment(a: Applied): void {
  // as an object (NaN, Infinity, undefined and own __proto__ keys included) ...
  const r = noThrow(() => parseExperiment(a.input));
  counts.experiments++;
  if (r.ok) {
    counts.accepted++;
    checkAccepted(a.input, r.value);
  } else {
    counts.refused++;
    checkRefusal(r.errors, a);
  }
  // ... and as JSON text (what the CLI and the links carry).
  const text = jsonOf(a.input);
  if (text === null) return;
  const parsed = JSON.parse(text) as unknown;
  const rj = noThrow(() => parseExperimentJson(text));
  if (rj.ok) checkAccepted(parsed, rj.value);
  else checkRefusal(rj.errors, { ...a, input: parsed });
}

describe('fuzz: mutated experiments', () => {
  test('valid experiments are accepted within the contract, values unchanged', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const r = noThrow(() => parseExperiment(input));
        if (!r.ok) throw new Error(`valid input refused: ${r.errors.join(' | ')}`);
        checkAccepted(input, r.value);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test(`${EXPERIMENT_RUNS} mutated experiments: never throw; accepted within bounds, or refused naming the field`, () => {
    fc.assert(
      fc.property(validInput, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (valid, muts) => {
        checkExperiment(applyMutations(valid, muts));
      }),
      { seed: SEED, numRuns: EXPERIMENT_RUNS },
    );
    // both outcomes are exercised
    expect(counts.accepted).toBeGreaterThan(50);
    expect(counts.refused).toBeGreaterThan(EXPERIMENT_RUNS / 2);
  });

  test('labels with HTML or script are kept as plain strings, or refused with a message', () => {
    for (const l of HTML_LABELS) {
      for (const input of [{ label: l }, { v: 1, runs: [{ label: l }, { label: l + l }] }]) {
        const r = parseExperiment(input);
        if (r.ok) {
          expect(r.value.runs[0].label).toBe(l);
          checkAccepted(input, r.value);
        } else {
          for (const e of r.errors) expect(e).toMatch(/^runs\[\d\]\.label: must be a string of at most 40 characters, got /);
        }
      }
      expect(parseExperiment({ label: l }).ok).toBe(l.length <= MAX_LABEL);
    }
  });

  test('known hard cases', () => {
    const cases: [unknown, RegExp][] = [
      [{ label: deep(200_000, 'array') }, /^runs\[0\]\.label: must be a string/],
      [{ model: { hidden: [deep(200_000, 'array')] } }, /^runs\[0\]\.model\.hidden\[0\]: must be an integer/],
      [{ v: 1, runs: [deep(200_000, 'array')] }, /^runs\[0\]: /],
      [{ 'a\nb': 1 }, /^runs\[0\]\["a\\nb"\]: unknown field$/],
      [{ model: { ['x'.repeat(100_000)]: 1 } }, /^runs\[0\]\.model\["x{37}\.\.\."\]: unknown field$/],
      [{ model: { hidden: new Array<number>(10_000).fill(5000) } }, /^runs\[0\]\.model\.hidden: must have 1\.\.64 layers/],
      [{ optimizer: { lr: NaN } }, /^runs\[0\]\.optimizer\.lr: .*got NaN$/],
      [{ optimizer: { lr: 'Infinity' } }, /^runs\[0\]\.optimizer\.lr: .*got "Infinity"$/],
    ];
    for (const [input, re] of cases) {
      const r = noThrow(() => parseExperiment(input));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.errors[0]).toMatch(re);
        checkRefusal(r.errors, null);
      }
    }
    // JSON text: a deeply nested value, and a syntax error whose quoted text has line breaks
    const nested = `{"label":${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
    const rn = noThrow(() => parseExperimentJson(nested));
    expect(rn.ok).toBe(false);
    const rs = noThrow(() => parseExperimentJson('{\n"label": tru\ne}'));
    expect(rs.ok).toBe(false);
    if (!rs.ok) {
      expect(rs.errors).toHaveLength(1);
      expect(rs.errors[0]).toMatch(/^\(config\): not valid JSON \(/);
      expect(rs.errors[0]).not.toMatch(/\n/);
    }
  });
});
