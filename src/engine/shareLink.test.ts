/**
 * The share-URL codec (contract section 2): lossless round trips, URL-safe
 * fragments, and damaged or hand-written fragments refused with a message.
 * Expected values are the contract's, written out here by hand.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { defaultExperiment, parseExperiment, type Experiment } from './config.ts';
import { parseFragment, shareUrl } from './shareLink.ts';

function accepted(input: unknown): Experiment {
  const r = parseExperiment(input);
  if (!r.ok) throw new Error(`refused but should be accepted: ${JSON.stringify(input)}: ${r.errors.join('; ')}`);
  return r.value;
}

describe('share URL', () => {
  const nonDefault = {
    v: 1,
    runs: [
      {
        label: 'deep & "wide" #1 ✓',
        seed: 4294967295,
        data: { name: 'moons', samples: 20000, noise: 0.123456789, testFraction: 0.9 },
        model: { arch: 'mlp', hidden: [1024, 1, 7], activation: 'tanh', init: 'orthogonal', initGain: 2.718281828, norm: 'layer', residual: true },
        optimizer: {
          name: 'adamw',
          lr: 0,
          momentum: 0.5,
          beta1: 0.8,
          beta2: 0.99,
          epsilon: 1e-8,
          weightDecay: 0.01,
          schedule: { kind: 'cosine', warmupSteps: 17 },
        },
        stabilizers: { clip: { mode: 'agc', threshold: 0.01 }, l1: 1e-5, l2: 3e-4, skipNonFinite: false },
        train: { batchSize: 4096, steps: 1_000_000 },
      },
      { label: 'B', data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [128, 8] }, stabilizers: { clip: { mode: 'adaptive' } } },
      { label: 'C', optimizer: { name: 'rmsprop', schedule: { kind: 'step' } }, stabilizers: { clip: { mode: 'value', threshold: 1e6 } } },
      { label: 'D', model: { norm: 'batch', activation: 'selu', init: 'lecun_normal' } },
    ],
  };

  test('shareUrl → parseFragment is lossless (non-default values, 4 runs)', () => {
    const exp = accepted(nonDefault);
    const url = shareUrl(exp, 'https://example.org/gradscope/', { backend: 'wasm' });
    expect(url.startsWith('https://example.org/gradscope/#')).toBe(true);
    const back = parseFragment(url);
    expect(back.options).toEqual({ backend: 'wasm' });
    expect(back.experiment).toEqual({ ok: true, value: exp });
    // with only the fragment, with or without '#'
    const frag = url.slice(url.indexOf('#'));
    expect(parseFragment(frag).experiment).toEqual({ ok: true, value: exp });
    expect(parseFragment(frag.slice(1)).experiment).toEqual({ ok: true, value: exp });
    // the default experiment too
    const d = defaultExperiment();
    expect(parseFragment(shareUrl(d)).experiment).toEqual({ ok: true, value: d });
  });

  test('the fragment is URL-safe (no characters that browsers re-encode)', () => {
    const url = shareUrl(accepted(nonDefault));
    expect(url.slice(url.indexOf('#') + 1)).toMatch(/^[A-Za-z0-9\-_+$=&%.]*$/);
  });

  test('round trip of random valid experiments (property test)', () => {
    const num = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
    const run = fc.record(
      {
        label: fc.string({ maxLength: 40 }),
        seed: fc.integer({ min: 0, max: 4294967295 }),
        data: fc.record({
          name: fc.constantFrom('circle', 'xor', 'gauss', 'spiral', 'moons'),
          samples: fc.integer({ min: 16, max: 20000 }),
          noise: num(0, 1),
          testFraction: num(0, 0.9),
        }),
        model: fc.record(
          {
            hidden: fc.array(fc.integer({ min: 1, max: 1024 }), { minLength: 1, maxLength: 64 }),
            activation: fc.constantFrom('relu', 'tanh', 'sigmoid', 'linear'),
            initGain: num(0.01, 10),
            residual: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        optimizer: fc.record({ lr: num(0, 10), beta2: num(0, 0.999) }, { requiredKeys: [] }),
        train: fc.record({ batchSize: fc.integer({ min: 1, max: 4096 }), steps: fc.integer({ min: 1, max: 1_000_000 }) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 4 }), (runs) => {
        const exp = accepted({ v: 1, runs });
        const back = parseFragment(shareUrl(exp)).experiment;
        expect(back).toEqual({ ok: true, value: exp });
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  test('truncated or corrupted fragments give an error naming the share URL, never an exception', () => {
    const url = shareUrl(accepted(nonDefault));
    const hash = url.indexOf('#');
    const payloadStart = url.indexOf('e=', hash) + 2;
    let checked = 0;
    const check = (u: string) => {
      let res: ReturnType<typeof parseFragment> | undefined;
      expect(() => (res = parseFragment(u))).not.toThrow();
      const e = res!.experiment;
      if (e === null) return; // nothing to decode (e.g. "#e" cut before '=')
      if (e.ok) return; // a corruption that still decodes to a valid experiment is fine
      checked++;
      expect(e.errors.length).toBeGreaterThan(0);
      for (const m of e.errors) expect(m).toMatch(/share URL/);
    };
    // every truncation of the payload
    for (let n = payloadStart; n < url.length; n++) check(url.slice(0, n));
    // single-character corruptions, seeded
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$%';
    for (let i = 0; i < 300; i++) {
      const pos = payloadStart + Math.floor(rand() * (url.length - payloadStart));
      const c = alphabet[Math.floor(rand() * alphabet.length)];
      check(url.slice(0, pos) + c + url.slice(pos + 1));
    }
    for (const junk of ['#e=', '#e=%', '#e=%E0%A4%A', '#e=!!!!', '#e=' + 'A'.repeat(5000), '#%7B%22v%22%3A', '#{"v":1,"runs":[{"seed":-1}]}']) check(junk);
    expect(checked).toBeGreaterThan(300);
  });

  test('a hand-written JSON fragment that fails validation names the field', () => {
    const r = parseFragment('#' + encodeURIComponent(JSON.stringify({ model: { hidden: [5000] } })));
    expect(r.experiment).toEqual({ ok: false, errors: [expect.stringMatching(/^share URL: runs\[0\]\.model\.hidden\[0\]: must be an integer 1\.\.1024, got 5000$/)] });
  });

  test('a fragment without an experiment decodes to null with its options', () => {
    expect(parseFragment('')).toEqual({ experiment: null, options: {}, stray: [], notes: [] });
    expect(parseFragment('http://x/#backend=cpu')).toEqual({ experiment: null, options: { backend: 'cpu' }, stray: [], notes: [] });
  });
});
