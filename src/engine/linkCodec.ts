/**
 * What a share link's parts need before they are trusted: lz-string decoding
 * with a bound on the decoded length, the link checksum, and a bound on the
 * nesting depth of decoded JSON. Used by the experiment codec (shareLink.ts;
 * the nesting bound in config.ts) and the sweep codec (sweep/schema.ts).
 *
 * Why bounds: lz-string output grows quadratically with its input, so a link of
 * 9,350 characters (under the 12,000-character cap) can decode to 6 MB of JSON
 * nested 3,000,000 deep, which takes seconds to parse and recursion to validate.
 * The largest valid experiment decodes to under 10,000 characters and nests 5
 * levels deep: decoding stops at MAX_DECODED_LENGTH characters, and JSON nested
 * deeper than MAX_JSON_DEPTH is refused before it is validated.
 */

/** Longest text a link part may decode to (the largest valid experiment or sweep is under 12,000 characters). */
export const MAX_DECODED_LENGTH = 65_536;

/**
 * Deepest nesting of arrays and objects accepted in a config's JSON. An experiment
 * nests 5 levels (root, runs, a run, optimizer, schedule), a sweep 5 (root, compare,
 * a section, a subsection, a value).
 */
export const MAX_JSON_DEPTH = 32;

const URI_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
const VALUE_OF = new Map([...URI_SAFE].map((c, i) => [c, i]));

export type Decoded = { ok: true; text: string } | { ok: false; reason: 'corrupt' | 'too-long' };

/**
 * lz-string's decompressFromEncodedURIComponent (lz-string 1.5.0, MIT), stopped
 * as soon as the text would exceed `maxLength` characters. Same output as
 * lz-string for every input it decodes (unit-tested against it); '' and null
 * (truncated or corrupted input) are `corrupt`.
 */
export function decompressLink(input: string, maxLength = MAX_DECODED_LENGTH): Decoded {
  const data = input.replace(/ /g, '+');
  if (data === '') return { ok: false, reason: 'corrupt' };
  const length = data.length;
  const valueAt = (i: number) => VALUE_OF.get(data.charAt(i)) ?? 0;
  let val = valueAt(0);
  let position = 32;
  let index = 1;
  const read = (nBits: number): number => {
    let bits = 0;
    for (let power = 1, n = 0; n < nBits; n++, power *= 2) {
      const b = val & position;
      position >>= 1;
      if (position === 0) {
        position = 32;
        val = valueAt(index++);
      }
      if (b > 0) bits += power;
    }
    return bits;
  };

  const dictionary: string[] = [];
  let enlargeIn = 4;
  let dictSize = 4;
  let numBits = 3;
  let c: string;
  switch (read(2)) {
    case 0:
      c = String.fromCharCode(read(8));
      break;
    case 1:
      c = String.fromCharCode(read(16));
      break;
    default:
      return { ok: false, reason: 'corrupt' }; // an empty text
  }
  dictionary[3] = c;
  let w = c;
  const result: string[] = [c];
  let total = 1;
  for (;;) {
    if (index > length) return { ok: false, reason: 'corrupt' };
    let code = read(numBits);
    if (code === 0 || code === 1) {
      dictionary[dictSize++] = String.fromCharCode(read(code === 0 ? 8 : 16));
      code = dictSize - 1;
      enlargeIn--;
    } else if (code === 2) {
      const text = result.join('');
      return text ? { ok: true, text } : { ok: false, reason: 'corrupt' };
    }
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
    let entry: string;
    if (dictionary[code]) entry = dictionary[code];
    else if (code === dictSize) entry = w + w.charAt(0);
    else return { ok: false, reason: 'corrupt' };
    total += entry.length;
    if (total > maxLength) return { ok: false, reason: 'too-long' };
    result.push(entry);
    dictionary[dictSize++] = w + entry.charAt(0);
    enlargeIn--;
    w = entry;
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
}

/**
 * The link checksum of a decoded text: FNV-1a (32 bits) over its UTF-8 bytes,
 * folded to 24 bits, as 6 lowercase hexadecimal digits. A character changed,
 * lost or added anywhere in the link changes the decoded text (or stops it
 * from decoding), and so the checksum, but for 1 case in 16 million.
 */
export function linkChecksum(text: string): string {
  let h = 0x811c9dc5;
  const byte = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  };
  for (const ch of text) {
    // UTF-8 (a lone surrogate as U+FFFD, as TextEncoder writes it)
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) byte(cp);
    else if (cp < 0x800) {
      byte(0xc0 | (cp >> 6));
      byte(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      byte(0xe0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 63));
      byte(0x80 | (cp & 63));
    } else {
      byte(0xf0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 63));
      byte(0x80 | ((cp >> 6) & 63));
      byte(0x80 | (cp & 63));
    }
  }
  h >>>= 0;
  return ((h >>> 24) ^ (h & 0xffffff)).toString(16).padStart(6, '0');
}

/** What `pruneDeep` puts in place of a value nested too deeply. */
export const PRUNED = '(nested too deeply)';

/**
 * Replaces, in place, every array or object nested deeper than `maxDepth`
 * levels (the root is level 1) with the string PRUNED, and returns the path to
 * the first one (or null when there was none). Iterative: any depth is walked
 * without recursion, and what validates the value afterwards never recurses
 * deeper than `maxDepth`.
 */
export function pruneDeep(root: unknown, maxDepth = MAX_JSON_DEPTH): (string | number)[] | null {
  let first: (string | number)[] | null = null;
  const stack: { v: object; path: (string | number)[] }[] = [];
  const visit = (parent: Record<string | number, unknown>, k: string | number, path: (string | number)[]) => {
    const x = parent[k];
    if (typeof x !== 'object' || x === null) return;
    const p = [...path, k];
    if (p.length >= maxDepth) {
      first ??= p;
      parent[k] = PRUNED;
    } else stack.push({ v: x, path: p });
  };
  if (typeof root === 'object' && root !== null) stack.push({ v: root, path: [] });
  while (stack.length) {
    const { v, path } = stack.pop()!;
    const obj = v as Record<string | number, unknown>;
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) visit(obj, i, path);
    else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) visit(obj, keys[i], path);
    }
  }
  return first;
}
