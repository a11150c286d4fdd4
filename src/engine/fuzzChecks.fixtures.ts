/**
 * Fixtures of the fuzz tests of the experiment parser and the share-URL codec:
 * the checks of a parser's answer. A refusal is one-line messages, one of which
 * names what was mutated; an accepted experiment is within the contract and
 * keeps every value it was given. Nothing outside those tests imports this file.
 */
import type { Experiment } from './config.ts';
import { contractViolations, isObj } from './contract.fixtures.ts';
import { getAt, type Applied, type Path } from './mutations.fixtures.ts';

/**
 * vitest's `expect`, as far as the checks use it. The tests pass theirs to
 * `fuzzChecks`: this file is built with the engine, without vitest's types.
 */
export type Expect = (actual: unknown, message?: string) => Assertion;

export interface Assertion {
  not: Assertion;
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatch(expected: RegExp): void;
  toBeGreaterThan(expected: number): void;
  toBeLessThan(expected: number): void;
}

/** The paths the validator reports for an input: a bare run config is runs[0]. */
function normalize(input: unknown, p: Path): Path {
  return isObj(input) && !('runs' in input) && !('v' in input) ? ['runs', 0, ...p] : p;
}

function pathText(p: Path): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out || '(config)';
}

/** `a` is `b` or a field inside it (text paths). */
const within = (a: string, b: string) => b === '(config)' || a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);

const ERROR_LINE = /^(\(config\)|[A-Za-z_$][\w$]*|\["[^\n]*?"\])(\.[A-Za-z_$][\w$]*|\[\d+\]|\["[^\n]*?"\])*: \S/;

/** Runs a parser: it must return, not throw. */
export function noThrow<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`parser threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

/** The checks that assert, with the test's `expect`. */
export function fuzzChecks(expect: Expect) {
  /** Checks a refusal: every message is one line `path: text`, and one names what was mutated. */
  function checkRefusal(errors: string[], a: Applied | null, prefix = ''): void {
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors).size, `repeated message: ${errors.join(' | ')}`).toBe(errors.length);
    for (const e of errors) {
      expect(e, e).not.toMatch(/[\n\r\u2028\u2029]/);
      expect(e.startsWith(prefix), e).toBe(true);
      // Past five problems the last line counts the rest (issues.ts capProblems).
      if (!/^and \d+ more problems?$/.test(e.slice(prefix.length))) expect(e.slice(prefix.length), e).toMatch(ERROR_LINE);
      expect(e.length, e).toBeLessThan(400);
    }
    if (!a) return;
    const errPaths = errors.map((e) => {
      const rest = e.slice(prefix.length);
      const m = /^((?:[^:"]|"(?:[^"\\]|\\.)*")*): /.exec(rest);
      return { path: m ? m[1] : rest, text: rest };
    });
    const targets = a.targets.map((t) => pathText(normalize(a.input, t)));
    const unknownIn = a.unknownIn.map((t) => pathText(normalize(a.input, t)));
    const named = errPaths.some(
      ({ path, text }) =>
        targets.some((t) => within(path, t)) ||
        (text.endsWith(': unknown field') && unknownIn.some((t) => within(path, t))) ||
        // the one cross-field rule: a cnn needs an image data set and <= 128 filters
        (/cnn/.test(text) && a.touched.some((k) => ['arch', 'name', 'data', 'model', 'hidden'].includes(k))),
    );
    expect(named, `no message names ${[...targets, ...unknownIn].join(', ')}: ${errors.join(' | ')}`).toBe(true);
  }

  /** Every value the input gave is in the accepted config, unchanged (only defaults are added). */
  function checkPreserved(input: unknown, out: Experiment): void {
    const walk = (x: unknown, p: Path) => {
      if (x === undefined) return;
      if (Array.isArray(x)) {
        expect(Array.isArray(getAt(out, p)), pathText(p)).toBe(true);
        expect((getAt(out, p) as unknown[]).length, pathText(p)).toBe(x.length);
        x.forEach((v, i) => walk(v, [...p, i]));
      } else if (isObj(x)) for (const [k, v] of Object.entries(x)) walk(v, [...p, k]);
      else expect(Object.is(getAt(out, p), x), `${pathText(p)} changed from ${String(x)} to ${String(getAt(out, p))}`).toBe(true);
    };
    if (isObj(input) && !('runs' in input) && !('v' in input)) walk(input, ['runs', 0]);
    else walk(input, []);
  }

  function checkAccepted(input: unknown, out: Experiment): void {
    expect(contractViolations(out)).toEqual([]);
    checkPreserved(input, out);
  }

  return { checkRefusal, checkPreserved, checkAccepted };
}
