/**
 * The link codec's bounds: lz-string decoding that stops at MAX_DECODED_LENGTH
 * characters (and otherwise decodes exactly as lz-string does), the checksum,
 * and the nesting bound on decoded JSON.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import LZString from 'lz-string';
import { MAX_DECODED_LENGTH, MAX_JSON_DEPTH, PRUNED, decompressLink, linkChecksum, pruneDeep } from './linkCodec.ts';
import { parseExperimentJson } from './config.ts';
import { parseFragment } from './shareLink.ts';
import { decodeSweep, parseSweepJson } from './sweep/schema.ts';

const URI_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';

/** The link of the issue: 9,350 characters of lz-string that decode to 6 MB of JSON nested 3,000,000 deep. */
const NESTING_BOMB = readFileSync(new URL('./testdata/nesting-bomb.lz.txt', import.meta.url), 'utf8').trim();

/**
 * What lz-string itself makes of an input, in decompressLink's terms. A stream
 * whose first two bits are 3 starts with no character: lz-string then throws, or
 * decodes text holding the word "undefined"; decompressLink calls it corrupt.
 */
function reference(input: string, max = MAX_DECODED_LENGTH) {
  const first = URI_SAFE.indexOf(input.replace(/ /g, '+').charAt(0));
  if (first >= 0 && (first & 48) === 48) return { ok: false, reason: 'corrupt' };
  let text: string | null;
  try {
    text = LZString.decompressFromEncodedURIComponent(input);
  } catch {
    text = null;
  }
  if (!text) return { ok: false, reason: 'corrupt' };
  return text.length > max ? { ok: false, reason: 'too-long' } : { ok: true, text };
}

describe('decompressLink', () => {
  test('decodes what lz-string encodes, every kind of text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', 'a', ':', ','), minLength: 1, maxLength: 2000 })), (text) => {
        expect(decompressLink(LZString.compressToEncodedURIComponent(text))).toEqual({ ok: true, text });
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  test('agrees with lz-string on corrupted, truncated and random input', () => {
    const damaged = fc.tuple(fc.string({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat(), fc.constantFrom('cut', 'replace', 'insert', 'delete')).map(([text, i, j, how]) => {
      const enc = LZString.compressToEncodedURIComponent(text);
      const at = i % enc.length;
      const c = URI_SAFE[j % URI_SAFE.length];
      return how === 'cut' ? enc.slice(0, at) : how === 'replace' ? enc.slice(0, at) + c + enc.slice(at + 1) : how === 'insert' ? enc.slice(0, at) + c + enc.slice(at) : enc.slice(0, at) + enc.slice(at + 1);
    });
    const random = fc.string({ unit: fc.constantFrom(...URI_SAFE, ' ', '%', '.', '='), maxLength: 200 });
    fc.assert(
      fc.property(fc.oneof(damaged, random), fc.constantFrom(MAX_DECODED_LENGTH, 50), (input, max) => {
        expect(decompressLink(input, max)).toEqual(reference(input, max));
      }),
      { seed: 8, numRuns: 2000 },
    );
  });

  test('the nesting bomb of 9,350 characters stops at the bound at once, without decoding 6 MB', () => {
    expect(NESTING_BOMB).toHaveLength(9350);
    const t0 = performance.now();
    expect(decompressLink(NESTING_BOMB)).toEqual({ ok: false, reason: 'too-long' });
    expect(performance.now() - t0).toBeLessThan(100);
  });

  test('the nesting bomb as a link: refused in milliseconds, saying why', () => {
    const t0 = performance.now();
    const r = parseFragment(`http://127.0.0.1:5173/#e=${NESTING_BOMB}`);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(r.experiment).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^share URL: the experiment in the link decodes to more than 65536 characters \(a valid one is under 12,000/)],
    });
    // as a sweep
    const t1 = performance.now();
    expect(decodeSweep(NESTING_BOMB)).toEqual({ ok: false, errors: [expect.stringMatching(/^share URL: the sweep in the link decodes to more than 65536 characters/)] });
    expect(performance.now() - t1).toBeLessThan(200);
  });
});

describe('linkChecksum', () => {
  test('6 hexadecimal digits, the same for the same text (UTF-8, astral characters included)', () => {
    expect(linkChecksum('')).toMatch(/^[0-9a-f]{6}$/);
    expect(linkChecksum('{"v":1}')).toBe(linkChecksum('{"v":1}'));
    // FNV-1a of the UTF-8 bytes: fixed values, so that links made today check tomorrow
    expect(linkChecksum('a')).toBe('0c29c8'); // FNV-1a("a") = 0xe40c292c, folded: 0xe4 ^ 0x0c292c
    expect(linkChecksum('ü✓😀')).toBe(linkChecksum('ü✓😀'));
    expect(linkChecksum('ü')).not.toBe(linkChecksum('u'));
  });

  test('any single-character change of a text changes it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 400 }), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (text, i, c) => {
        const at = i % text.length;
        const changed = text.slice(0, at) + c + text.slice(at + 1);
        if (changed !== text) expect(linkChecksum(changed)).not.toBe(linkChecksum(text));
      }),
      { seed: 9, numRuns: 3000 },
    );
  });
});

describe('nesting bound', () => {
  const nest = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

  test('pruneDeep replaces what is nested deeper than the bound, iteratively', () => {
    const v = JSON.parse(`{"a":${nest(MAX_JSON_DEPTH + 5)},"b":${nest(3)}}`) as { a: unknown; b: unknown };
    const at = pruneDeep(v);
    expect(at).toEqual(['a', ...Array<number>(MAX_JSON_DEPTH - 1).fill(0)]);
    expect(JSON.stringify(v.b)).toBe(nest(3));
    expect(JSON.stringify(v)).toContain(JSON.stringify(PRUNED));
    expect(pruneDeep(JSON.parse(nest(MAX_JSON_DEPTH - 1)))).toBeNull();
    // a million levels: no recursion, no stack overflow
    expect(pruneDeep(JSON.parse(nest(1_000_000)))).toHaveLength(MAX_JSON_DEPTH);
  });

  test('a config nested deeply is refused naming its field, quickly; validation never sees the depth', () => {
    const t0 = performance.now();
    const r = parseExperimentJson(`{"label":${nest(500_000)}}`);
    expect(r).toEqual({ ok: false, errors: [expect.stringMatching(/^runs\[0\]\.label: must be a string/)] });
    // under a field that takes any value, the depth itself is the message
    const s = parseSweepJson(`{"params":[{"path":"optimizer.lr","min":0.001,"max":1}],"compare":{"stabilizers":{"clip":{"mode":${nest(100_000)}}}}}`);
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.errors[0]).toMatch(/^compare\.stabilizers\.clip\.mode: must be one of/);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
