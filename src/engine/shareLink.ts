/**
 * The share-URL codec (contract section 2): an experiment to a link's fragment
 * and back, with the link's checksum, its page options, and what a damaged or
 * crafted link is told. The experiment in a link is read by config.ts's
 * `parseExperimentJson`; decoding bounds and the checksum are linkCodec.ts's.
 */
import LZString from 'lz-string';
import { oneLine, shorten } from './issues.ts';
import { MAX_DECODED_LENGTH, decompressLink, linkChecksum, type Decoded } from './linkCodec.ts';
import { parseExperimentJson, type Experiment, type ValidationResult } from './config.ts';
import { CSV_LIMITS, utf8Length } from './data/csv.ts';
import { sha256Text } from './data/sha256.ts';

// Share URL codec. The fragment is a query string:
//   e=<lz-string of the experiment's JSON>&sum=<its checksum>
// plus optional page options (`backend=webgpu|webgl|wasm|cpu|auto`, `sweep=`).
// `sum` (6 hexadecimal digits, linkChecksum of the JSON) came with link format 2:
// a link without it (format 1) still loads, with a note; one whose experiment
// does not match it is refused (a character was changed or lost in copying).

export const FRAGMENT_KEY = 'e';
export const CHECKSUM_KEY = 'sum';
/** A run's own CSV file, when it is small enough to travel inside the link: `csv=<lz-string of its text>`. */
export const CSV_KEY = 'csv';
export const DEFAULT_BASE_URL = 'http://127.0.0.1:5173/';

export function encodeExperiment(exp: Experiment): string {
  return LZString.compressToEncodedURIComponent(JSON.stringify(exp));
}

/**
 * The experiment as a link holds it: every CSV file by its name, size and
 * SHA-256 only; and the text of the CSV (when the runs that train on a CSV all
 * use one file) compressed for `csv=`, when that is at most
 * CSV_LIMITS.maxEmbeddedChars characters (≈ 8 KB).
 */
export function splitLinkData(exp: Experiment): { exp: Experiment; csv: string | null } {
  const texts = new Map<string, string>();
  for (const r of exp.runs) if (r.data.name === 'csv' && r.data.csv?.text !== undefined) texts.set(r.data.csv.sha256, r.data.csv.text);
  if (!exp.runs.some((r) => r.data.csv?.text !== undefined)) return { exp, csv: null };
  const stripped: Experiment = {
    ...exp,
    runs: exp.runs.map((r) => {
      if (!r.data.csv) return r;
      const { text: _text, ...ref } = r.data.csv;
      return { ...r, data: { ...r.data, csv: ref } };
    }),
  };
  if (texts.size !== 1) return { exp: stripped, csv: null };
  const [sha, text] = [...texts][0];
  let packed = packedCsv.get(sha);
  if (packed === undefined) {
    // The page writes its link on every edit: compress a file once, and not one that cannot fit
    // (numeric CSV text compresses a few times, never 20 times, in lz-string).
    const fits = text.length <= (CSV_LIMITS.maxEmbeddedChars * 6 * 20) / 8;
    const p = fits ? LZString.compressToEncodedURIComponent(text) : '';
    packed = fits && p.length <= CSV_LIMITS.maxEmbeddedChars ? p : null;
    packedCsv.set(sha, packed);
    if (packedCsv.size > 8) packedCsv.delete(packedCsv.keys().next().value as string);
  }
  return { exp: stripped, csv: packed };
}

/** A CSV's `csv=` part by its SHA-256 (null: too large for a link). */
const packedCsv = new Map<string, string | null>();

export function experimentToFragment(exp: Experiment, options: Record<string, string> = {}): string {
  const link = splitLinkData(exp);
  const json = JSON.stringify(link.exp);
  const parts = [`${FRAGMENT_KEY}=${LZString.compressToEncodedURIComponent(json)}`, `${CHECKSUM_KEY}=${linkChecksum(json)}`];
  if (link.csv !== null) parts.push(`${CSV_KEY}=${link.csv}`);
  for (const [k, v] of Object.entries(options)) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.join('&');
}

export function shareUrl(exp: Experiment, base: string = DEFAULT_BASE_URL, options: Record<string, string> = {}): string {
  const hashAt = base.indexOf('#');
  const b = hashAt >= 0 ? base.slice(0, hashAt) : base;
  return `${b}#${experimentToFragment(exp, options)}`;
}

export interface FragmentContents {
  experiment: ValidationResult<Experiment> | null; // null: the fragment holds no experiment
  /** Every other `key=value` part, by key (a null-prototype object). */
  options: Record<string, string>;
  /** Parts with no key ("=abc"): a damaged link (nothing reads them). */
  stray: string[];
  /** What the page should say about a link whose experiment loaded (it had no checksum). */
  notes: string[];
}

const MAX_FRAGMENT_LENGTH = 200_000;
/**
 * Longest lz-string experiment decoded. The largest valid experiment (4 runs of 64
 * layers, 40-character labels of random characters, every number with 17 digits)
 * encodes to about 4,300 characters. lz-string output can grow quadratically with
 * its input (a 200,000-character link decodes to gigabytes in minutes), so longer
 * ones are refused before decompressing; shorter ones stop decoding at
 * MAX_DECODED_LENGTH characters (linkCodec.ts).
 */
export const MAX_ENCODED_LENGTH = 12_000;

/** The note for a link without a checksum whose experiment loaded. */
export const NO_CHECKSUM_NOTE =
  'This link has no checksum (sum=; an older link): it was loaded as it is, and a character changed or lost in copying could not be detected';

/** A link part as a message quotes it: `"key=value"`, shortened, on one line. */
export function describePart(key: string, value?: string): string {
  return oneLine(JSON.stringify(shorten(value === undefined ? key : `${key}=${value}`, 40)));
}

/** Why a link part ('experiment' or 'sweep') did not decode. */
export function decodeFailure(what: string, d: Extract<Decoded, { ok: false }>): string {
  return d.reason === 'too-long'
    ? `share URL: the ${what} in the link decodes to more than ${MAX_DECODED_LENGTH} characters (a valid one is under 12,000; the link is damaged or crafted)`
    : `share URL: the ${what} in the link is corrupted or truncated (cannot decompress it)`;
}

/** Decodes a URL fragment (with or without the leading '#') or a whole URL. */
export function parseFragment(fragmentOrUrl: string): FragmentContents {
  const hashAt = fragmentOrUrl.indexOf('#');
  let frag = hashAt >= 0 ? fragmentOrUrl.slice(hashAt + 1) : fragmentOrUrl;
  const options = Object.create(null) as Record<string, string>;
  const out = (experiment: FragmentContents['experiment'], notes: string[] = []): FragmentContents => ({ experiment, options, stray, notes });
  const stray: string[] = [];
  if (frag.length > MAX_FRAGMENT_LENGTH) {
    return out({ ok: false, errors: [`share URL: fragment is ${frag.length} characters, at most ${MAX_FRAGMENT_LENGTH} allowed`] });
  }
  frag = frag.trim();
  if (!frag) return out(null);
  // A fragment may also hold plain (URL-encoded) JSON, for hand-written links.
  if (frag.startsWith('{') || frag.startsWith('%7B') || frag.startsWith('%7b')) {
    let text: string;
    try {
      text = decodeURIComponent(frag);
    } catch {
      return out({ ok: false, errors: ['share URL: the fragment is not valid URL encoding'] });
    }
    return out(fromLink(parseExperimentJson(text)));
  }
  let encoded: string | null = null;
  let sum: string | null = null;
  let csv: string | null = null;
  for (const part of frag.split('&')) {
    const eq = part.indexOf('=');
    const key = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : '';
    if (key === FRAGMENT_KEY) encoded = value;
    else if (key === CHECKSUM_KEY) sum = value;
    else if (key === CSV_KEY) csv = value;
    else if (key) {
      try {
        options[decodeURIComponent(key)] = decodeURIComponent(value);
      } catch {
        options[key] = value;
      }
    } else if (value) stray.push(part);
  }
  if (encoded === null) {
    if (sum === null) return out(null);
    return out({
      ok: false,
      errors: [`share URL: the link has a checksum (sum=${shorten(oneLine(sum), 20)}) but no experiment (e=…): the link is damaged; copy it again`],
    });
  }
  if (encoded.length > MAX_ENCODED_LENGTH) {
    return out({ ok: false, errors: [`share URL: the experiment in the link is ${encoded.length} characters, at most ${MAX_ENCODED_LENGTH} allowed`] });
  }
  if (sum !== null && !/^[0-9a-f]{6}$/i.test(sum)) {
    return out({
      ok: false,
      errors: [`share URL: the link's checksum (sum=${shorten(oneLine(sum), 20)}) is not 6 hexadecimal digits: the link is damaged; copy it again`],
    });
  }
  const decoded = decompressLink(encoded);
  if (!decoded.ok) return out({ ok: false, errors: [decodeFailure('experiment', decoded)] });
  if (sum !== null && linkChecksum(decoded.text) !== sum.toLowerCase()) {
    return out({
      ok: false,
      errors: [
        `share URL: the experiment part of the link (e=, ${encoded.length} characters) does not match its checksum (sum=${sum}): the link was changed or cut when it was copied; copy it again`,
      ],
    });
  }
  const experiment = fromLink(parseExperimentJson(decoded.text));
  if (experiment.ok && csv !== null) {
    const error = attachCsv(experiment.value, csv);
    if (error) return out({ ok: false, errors: [error] });
  }
  return out(experiment, experiment.ok && sum === null ? [NO_CHECKSUM_NOTE] : []);
}

/**
 * Puts the CSV a link carries (`csv=`) into the runs that name it by its hash;
 * the message when it is damaged or is not the file they name.
 */
function attachCsv(exp: Experiment, encoded: string): string | null {
  if (encoded.length > CSV_LIMITS.maxEmbeddedChars) {
    return `share URL: the CSV in the link (csv=) is ${encoded.length} characters, at most ${CSV_LIMITS.maxEmbeddedChars} allowed`;
  }
  const d = decompressLink(encoded, CSV_LIMITS.maxBytes);
  if (!d.ok) return d.reason === 'too-long' ? `share URL: the CSV in the link (csv=) decodes to more than ${CSV_LIMITS.maxBytes} characters` : 'share URL: the CSV in the link (csv=) is corrupted or truncated (cannot decompress it)';
  const sha = sha256Text(d.text);
  const bytes = utf8Length(d.text);
  const named = exp.runs.filter((r) => r.data.csv?.sha256 === sha && r.data.csv.bytes === bytes);
  if (named.length === 0) {
    return 'share URL: the CSV in the link (csv=) is not the file its experiment names (its SHA-256 differs): the link was changed or cut when it was copied; copy it again';
  }
  for (const r of named) r.data.csv = { ...r.data.csv!, text: d.text };
  return null;
}

/**
 * The parts of a parsed link that nobody reads: options whose key is not in
 * `known`, and parts without a key. As messages quote them.
 */
export function unknownLinkParts(f: FragmentContents, known: readonly string[]): string[] {
  return [...Object.keys(f.options).filter((k) => !known.includes(k)).map((k) => describePart(k, f.options[k] || undefined)), ...f.stray.map((p) => describePart(p))];
}

/**
 * Every error about a link's experiment names the share URL (a corrupted link can
 * decode to JSON whose only fault is a mangled field name).
 */
function fromLink(parsed: ValidationResult<Experiment>): ValidationResult<Experiment> {
  if (parsed.ok) return parsed;
  return {
    ok: false,
    errors: parsed.errors.map((e) =>
      e.startsWith('(config): not valid JSON')
        ? e.replace('(config): not valid JSON', 'share URL: the experiment is not valid JSON')
        : `share URL: ${e}`,
    ),
  };
}
