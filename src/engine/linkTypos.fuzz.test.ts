/**
 * Typos in share links (fast-check, fixed seed): a link with one character
 * changed, lost, added or swapped never loads a different experiment without a
 * word. Either it loads the same experiment, or it is refused (the checksum
 * `sum=` does not match, or the experiment does not decode or validate), or
 * the page has something to say about it (a part it did not understand, a
 * missing checksum, a bad backend).
 *
 * Before the checksum, about 0.75% of single-character typos (1,447 of 194,112
 * for one link) loaded another valid experiment silently, e.g. samples 512→412.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import LZString from 'lz-string';
import { BACKEND_CHOICES } from './backends.ts';
import { parseExperiment, type Experiment } from './config.ts';
import { NO_CHECKSUM_NOTE, experimentToFragment, parseFragment, unknownLinkParts, type FragmentContents } from './shareLink.ts';

const SEED = 20260612;
const RUNS = 2500;
/** The options a page link holds besides e= and sum= (ui/state/url.ts LINK_OPTIONS). */
const PAGE_OPTIONS = ['backend', 'sweep'];

const URI_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
/** What a typo may put in a link: its own alphabet, the separators, and what a mangled copy adds. */
const TYPO_CHARS = [...URI_SAFE, '&', '=', '%', '#', '.', '_', '~', ' ', '/', '?'];

const runArb = fc.record(
  {
    label: fc.constantFrom('A', 'B', 'deep', 'run #2'),
    seed: fc.nat({ max: 100 }),
    data: fc.record({ name: fc.constantFrom('spiral', 'moons', 'circle', 'xor'), samples: fc.constantFrom(512, 412, 256, 2000), noise: fc.constantFrom(0.1, 0.2, 0) }, { requiredKeys: [] }),
    model: fc.record({ hidden: fc.array(fc.constantFrom(8, 16, 32, 64), { minLength: 1, maxLength: 8 }), activation: fc.constantFrom('relu', 'tanh'), initGain: fc.constantFrom(1, 2, 1.5) }, { requiredKeys: [] }),
    optimizer: fc.record({ name: fc.constantFrom('sgd', 'adam'), lr: fc.constantFrom(0.01, 0.1, 0.001, 1) }, { requiredKeys: [] }),
    train: fc.record({ batchSize: fc.constantFrom(32, 64, 16), steps: fc.constantFrom(500, 400, 1000) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const experimentArb: fc.Arbitrary<Experiment> = fc.array(runArb, { minLength: 1, maxLength: 3 }).map((runs) => {
  const r = parseExperiment({ v: 1, runs });
  if (!r.ok) throw new Error(`generator made an invalid experiment: ${r.errors.join('; ')}`);
  return r.value;
});

type Typo = { op: 'replace' | 'insert' | 'delete' | 'swap' | 'double'; at: number; c: string };
const typoArb: fc.Arbitrary<Typo> = fc.record({ op: fc.constantFrom('replace', 'replace', 'insert', 'delete', 'swap', 'double'), at: fc.nat(), c: fc.constantFrom(...TYPO_CHARS) });

function applyTypo(s: string, t: Typo): string {
  const i = t.at % s.length;
  switch (t.op) {
    case 'replace':
      return s.slice(0, i) + t.c + s.slice(i + 1);
    case 'insert':
      return s.slice(0, i) + t.c + s.slice(i);
    case 'delete':
      return s.slice(0, i) + s.slice(i + 1);
    case 'swap':
      return i + 1 < s.length ? s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2) : s;
    case 'double':
      return s.slice(0, i) + s[i] + s.slice(i);
  }
}

/** Whatever the page would say about a parsed link (its banner), besides loading it. */
function remarks(f: FragmentContents): string[] {
  const out = [...unknownLinkParts(f, PAGE_OPTIONS), ...f.notes];
  if (f.experiment && !f.experiment.ok) out.push(...f.experiment.errors);
  const b = f.options.backend;
  if (b !== undefined && !(BACKEND_CHOICES as string[]).includes(b)) out.push(`backend ${b}`);
  return out;
}

const counts = { typos: 0, same: 0, refused: 0, notedOther: 0, silentOther: 0 };
afterAll(() => {
  console.log(
    `link typos (seed ${SEED}): ${counts.typos} typos: ${counts.same} load the same experiment, ${counts.refused} refused, ` +
      `${counts.notedOther} load another experiment with a note, ${counts.silentOther} silently`,
  );
});

describe('typos in share links', () => {
  test(`${RUNS} single-character typos of valid links: never another experiment without a word`, () => {
    fc.assert(
      fc.property(experimentArb, fc.constantFrom('', '&backend=wasm', '&backend=cpu'), typoArb, (exp, extra, typo) => {
        const link = `${experimentToFragment(exp)}${extra}`;
        const typoed = applyTypo(link, typo);
        if (typoed === link) return;
        counts.typos++;
        const f = parseFragment(`#${typoed}`);
        // What the page loads: the link's experiment, or the default one when it has none or it is refused.
        const loaded = f.experiment?.ok ? f.experiment.value : null;
        const said = remarks(f);
        if (loaded && JSON.stringify(loaded) === JSON.stringify(exp)) counts.same++;
        else if (f.experiment && !f.experiment.ok) counts.refused++;
        else if (said.length) counts.notedOther++;
        else {
          counts.silentOther++;
          throw new Error(`"${typoed}" (${typo.op} at ${typo.at % link.length}) loads ${loaded ? 'another experiment' : 'the default experiment'} without a word`);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(counts.silentOther).toBe(0);
    // the checksum does the work: most typos inside e= are refused
    expect(counts.refused).toBeGreaterThan(counts.typos / 2);
  });

  test('single-character replacements at every position of one link: refused or the same experiment', () => {
    const exp = parseExperiment({ v: 1, runs: [{ data: { samples: 512 }, train: { steps: 500 } }] });
    if (!exp.ok) throw new Error('invalid');
    const link = experimentToFragment(exp.value);
    let refused = 0;
    for (let i = 0; i < link.length; i++) {
      // 16 of the 65 characters at each position, a different 16 each time
      for (let k = 0; k < 16; k++) {
        const c = URI_SAFE[(i * 7 + k * 4) % URI_SAFE.length];
        if (c === link[i]) continue;
        const f = parseFragment(`#${link.slice(0, i) + c + link.slice(i + 1)}`);
        if (f.experiment?.ok && JSON.stringify(f.experiment.value) === JSON.stringify(exp.value)) continue;
        expect(f.experiment === null || !f.experiment.ok || remarks(f).length > 0).toBe(true);
        if (f.experiment && !f.experiment.ok) refused++;
      }
    }
    expect(refused).toBeGreaterThan(link.length * 12);
  });

  test('a link without a checksum (an older link) loads, with a note; a wrong checksum is refused naming the link part', () => {
    const exp = parseExperiment({ seed: 5 });
    if (!exp.ok) throw new Error('invalid');
    const old = `#e=${LZString.compressToEncodedURIComponent(JSON.stringify(exp.value))}`;
    expect(parseFragment(old)).toMatchObject({ experiment: { ok: true, value: exp.value }, notes: [NO_CHECKSUM_NOTE] });
    const good = experimentToFragment(exp.value);
    expect(parseFragment(good)).toMatchObject({ experiment: { ok: true, value: exp.value }, notes: [] });
    expect(good).toMatch(/^e=[^&]+&sum=[0-9a-f]{6}$/);
    const wrong = good.replace(/sum=(.)/, (_, c: string) => `sum=${c === '0' ? '1' : '0'}`);
    expect(parseFragment(wrong).experiment).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^share URL: the experiment part of the link \(e=, \d+ characters\) does not match its checksum \(sum=[0-9a-f]{6}\): the link was changed or cut/)],
    });
    expect(parseFragment(good.replace(/sum=.*/, 'sum=xyz')).experiment).toEqual({ ok: false, errors: [expect.stringMatching(/checksum \(sum=xyz\) is not 6 hexadecimal digits/)] });
    expect(parseFragment(good.replace(/^e=/, 'f=')).experiment).toEqual({ ok: false, errors: [expect.stringMatching(/has a checksum \(sum=[0-9a-f]{6}\) but no experiment/)] });
  });
});
