/**
 * Property-based fuzzing of the share-URL codec (contract section 2), with a
 * fixed fast-check seed so that every run sees the same cases.
 *
 * Fragments: truncated and corrupted lz-string encodings, random strings, valid
 * encodings of invalid JSON and of mutated experiments, huge fragments and
 * decompression bombs.
 *
 * For every case: parsing never throws; an accepted experiment is within the
 * contract's bounds and keeps every value it was given unchanged; a refused one
 * is refused with one-line messages, one of which names the mutated field's path
 * (or, for a fragment that does not decode, says so). The contract's values, the
 * generators, the mutations and the checks are in *.fixtures.ts.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import LZString from 'lz-string';
import { parseExperiment, type Experiment, type ValidationResult } from './config.ts';
import { parseFragment } from './shareLink.ts';
import { contractViolations, validInput } from './contract.fixtures.ts';
import { applyMutations, jsonOf, mutationArb, type Applied } from './mutations.fixtures.ts';
import { fuzzChecks, noThrow } from './fuzzChecks.fixtures.ts';

const SEED = 20260611;
const FRAGMENT_RUNS = 1200;

const { checkRefusal, checkPreserved } = fuzzChecks(expect);

const counts = { fragments: 0, fragAccepted: 0, fragRefused: 0, fragEmpty: 0, slowestFragmentMs: 0 };

afterAll(() => {
  console.log(
    `share-URL fuzz (seed ${SEED}): ${counts.fragments} fragments (${counts.fragAccepted} accepted, ${counts.fragRefused} refused, ${counts.fragEmpty} without an experiment; slowest ${counts.slowestFragmentMs.toFixed(0)} ms)`,
  );
});

const URI_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';

/**
 * An lz-string stream whose every code repeats the previous entry plus one character:
 * `chars` characters decode to about (chars·6/14)²/2 characters (a decompression bomb).
 */
function bomb(chars: number): string {
  const out: string[] = [];
  let cur = 0;
  let pos = 0;
  const put = (value: number, n: number) => {
    for (let i = 0; i < n; i++) {
      if ((value >> i) & 1) cur |= 1 << (5 - pos);
      if (++pos === 6) {
        out.push(URI_ALPHABET[cur]);
        cur = 0;
        pos = 0;
      }
    }
  };
  put(0, 2);
  put('{'.charCodeAt(0), 8);
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  while (out.length < chars - 4) {
    put(dictSize++, numBits);
    if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
  }
  put(2, numBits);
  if (pos) out.push(URI_ALPHABET[cur]);
  return out.join('');
}

type FragCase = { frag: string; kind: 'valid' | 'corrupt' | 'badjson' | 'mutated' | 'random' | 'huge' | 'plain'; applied?: Applied; exp?: Experiment };

const encode = (x: unknown) => LZString.compressToEncodedURIComponent(JSON.stringify(x));
const validExperiment = validInput.map((i) => {
  const r = parseExperiment(i);
  if (!r.ok) throw new Error('generator made an invalid experiment');
  return r.value;
});
const prefixArb = fc.constantFrom('', '#', 'http://127.0.0.1:5173/#', 'https://example.org/app/?q=1#backend=cpu&', '  #');
const suffixArb = fc.constantFrom('', '&backend=wasm', '&%E0%A4%A=1', '&=', '  ');

const fragmentArb: fc.Arbitrary<FragCase> = fc.oneof(
  // an intact link
  fc.tuple(validExperiment, prefixArb, suffixArb).map(([exp, pre, suf]): FragCase => ({ frag: `${pre}e=${encode(exp)}${suf}`, kind: 'valid', exp })),
  // truncated or corrupted encodings
  fc
    .tuple(validExperiment, fc.nat(), fc.nat(), fc.constantFrom('truncate', 'replace', 'insert', 'delete', 'swapcase'), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
    .map(([exp, i, j, how, junk]): FragCase => {
      const enc = encode(exp);
      const at = i % enc.length;
      const c = URI_ALPHABET[j % URI_ALPHABET.length];
      const bad =
        how === 'truncate' ? enc.slice(0, at)
        : how === 'replace' ? enc.slice(0, at) + (j % 2 ? c : junk) + enc.slice(at + 1)
        : how === 'insert' ? enc.slice(0, at) + (j % 2 ? c : junk) + enc.slice(at)
        : how === 'delete' ? enc.slice(0, at) + enc.slice(at + 1 + (j % 8))
        : enc.slice(0, at) + enc.slice(at).replace(/[a-z]/, (x) => x.toUpperCase());
      return { frag: `#e=${bad}`, kind: 'corrupt' };
    }),
  // valid encodings of text that is not JSON, or JSON that is not an experiment
  fc
    .oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: 'binary', maxLength: 50 }),
      validExperiment.chain((e) => fc.nat().map((n) => JSON.stringify(e).slice(0, n % JSON.stringify(e).length))),
      fc.constantFrom('null', '[]', '[{}]', '1', '"x"', 'true', '{"v":1,"runs":[]}', 'NaN', '{"v":1,"runs":[{}],}'),
    )
    .map((t): FragCase => ({ frag: `#e=${LZString.compressToEncodedURIComponent(t)}`, kind: 'badjson' })),
  // valid encodings of mutated experiments
  fc.tuple(validInput, fc.array(mutationArb, { minLength: 1, maxLength: 2 })).map(([v, m]): FragCase => {
    const applied = applyMutations(v, m);
    const text = jsonOf(applied.input);
    const frag = `#e=${LZString.compressToEncodedURIComponent(text ?? '{')}`;
    // (a value too deeply nested for JSON text is sent as a broken text instead)
    return text === null ? { frag, kind: 'badjson' } : { frag, kind: 'mutated', applied: { ...applied, input: JSON.parse(text) as unknown } };
  }),
  // random strings
  fc
    .tuple(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...URI_ALPHABET, '=', '&', '%', '#', ' ', '{') })), fc.constantFrom('', '#', '#e=', 'e='))
    .map(([s, pre]): FragCase => ({ frag: pre + s, kind: 'random' })),
  // hand-written JSON fragments, URL-encoded or not
  fc.tuple(validInput, fc.array(mutationArb, { maxLength: 1 }), fc.boolean(), fc.nat()).map(([v, m, enc, cut]): FragCase => {
    const applied = applyMutations(v, m);
    let text = jsonOf(applied.input) ?? '{';
    if (cut % 5 === 0) text = text.slice(0, cut % text.length);
    let frag = `#${text}`;
    try {
      if (enc) frag = `#${encodeURIComponent(text)}`;
    } catch {
      // a cut through a surrogate pair: send the text as is
    }
    return { frag, kind: 'plain' };
  }),
  // huge fragments: repeated encodings, long junk, decompression bombs
  fc
    .tuple(validExperiment, fc.constantFrom(3, 50, 1000), fc.constantFrom(1000, 8000, 11_999, 12_001, 50_000, 199_000, 250_000), fc.nat({ max: 9 }))
    .map(([exp, rep, n, which]): FragCase => {
      const enc = encode(exp);
      const frag =
        which < 3 ? `#e=${enc.repeat(rep)}`
        : which < 5 ? `#e=${'A'.repeat(n)}`
        : which < 7 ? `#e=${bomb(n)}`
        : which < 8 ? `#backend=${'x'.repeat(n)}&e=${enc}`
        : `#${'%7B'.repeat(n / 3)}`;
      return { frag, kind: 'huge' };
    }),
);

/** Independently: does the fragment hold an `e` key or JSON (so that it must yield an experiment)? */
function holdsExperiment(fragOrUrl: string): boolean {
  const at = fragOrUrl.indexOf('#');
  const frag = (at >= 0 ? fragOrUrl.slice(at + 1) : fragOrUrl).trim();
  if (/^(\{|%7B)/i.test(frag)) return true;
  return frag.split('&').some((part) => part === 'e' || part.startsWith('e='));
}

const DECODE_FAILURE =
  /^share URL: (the experiment in the link is corrupted or truncated|the experiment in the link decodes to more than \d+ characters|the experiment is not valid JSON|the fragment is not valid URL encoding|the experiment in the link is \d+ characters, at most \d+ allowed|fragment is \d+ characters, at most \d+ allowed|the experiment part of the link \(e=, \d+ characters\) does not match its checksum|the link's checksum \(sum=.*\) is not 6 hexadecimal digits|the link has a checksum \(sum=.*\) but no experiment)/;

function checkFragment(c: FragCase): void {
  const t0 = performance.now();
  const r = noThrow(() => parseFragment(c.frag));
  counts.slowestFragmentMs = Math.max(counts.slowestFragmentMs, performance.now() - t0);
  counts.fragments++;
  expect(typeof r.options).toBe('object');
  if (r.experiment === null) {
    counts.fragEmpty++;
    expect(holdsExperiment(c.frag), c.frag.slice(0, 200)).toBe(false);
    return;
  }
  expect(holdsExperiment(c.frag) || c.frag.length > 200_000, c.frag.slice(0, 200)).toBe(true);
  const res: ValidationResult<Experiment> = r.experiment;
  if (res.ok) {
    counts.fragAccepted++;
    expect(contractViolations(res.value)).toEqual([]);
    if (c.exp) expect(res.value).toEqual(c.exp);
    if (c.applied) checkPreserved(c.applied.input, res.value);
    return;
  }
  counts.fragRefused++;
  expect(c.kind, res.errors.join(' | ')).not.toBe('valid');
  for (const e of res.errors) {
    expect(e.startsWith('share URL: '), e).toBe(true);
    expect(e, e).not.toMatch(/[\n\r\u2028\u2029]/);
  }
  const decodeFailure = res.errors.length === 1 && DECODE_FAILURE.test(res.errors[0]);
  // a fragment that does not decode says so; one that decodes is judged like any config
  if (!decodeFailure) checkRefusal(res.errors, c.applied ?? null, 'share URL: ');
}

describe('fuzz: share-URL fragments', () => {
  test(`${FRAGMENT_RUNS} fragments: never throw; valid links restore the experiment; bad ones are refused saying why`, () => {
    fc.assert(
      fc.property(fragmentArb, (c) => checkFragment(c)),
      { seed: SEED, numRuns: FRAGMENT_RUNS },
    );
    expect(counts.fragAccepted).toBeGreaterThan(100);
    expect(counts.fragRefused).toBeGreaterThan(FRAGMENT_RUNS / 3);
    // a decompression bomb under the length limit is refused quickly
    expect(counts.slowestFragmentMs).toBeLessThan(5000);
  });

  test('decompression bombs are refused before decoding, or decode in bounded time', () => {
    for (const n of [11_000, 12_001, 100_000, 199_000]) {
      const t0 = performance.now();
      const r = parseFragment(`#e=${bomb(n)}`);
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(r.experiment?.ok).toBe(false);
      if (r.experiment && !r.experiment.ok) expect(r.experiment.errors[0]).toMatch(DECODE_FAILURE);
    }
  });
});
