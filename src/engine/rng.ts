/**
 * Seeded random numbers. The generator is seedrandom's Alea (the same library
 * tfjs uses for its seeded ops), so every backend and Node draw the same
 * numbers for the same seed. Normal draws use the Box–Muller transform.
 */
import seedrandom from 'seedrandom';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal N(0, 1), untruncated. */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export function makeRng(seed: number | string): Rng {
  const alea = seedrandom.alea(String(seed));
  let spare: number | null = null;
  const next = () => alea();
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u <= 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** A derived stream, so that e.g. init and data do not share draws. */
export function subRng(seed: number, stream: string): Rng {
  return makeRng(`${seed}:${stream}`);
}

/** Fisher–Yates shuffle of [0, n) in place order. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
