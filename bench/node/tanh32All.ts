/**
 * The typed engine's tanh (src/engine/typed/tanh32.ts) against fround(Math.tanh(x))
 * for every one of the 2³² float32 bit patterns (NaNs compared as NaN): about
 * 80 s on one core. The unit tests check stretches and a random half million;
 * this is the whole check, run when tanh32.ts changes.
 *
 *   node --import tsx bench/node/tanh32All.ts
 */
import { tanhInto32 } from '../../src/engine/typed/tanh32.ts';

const N = 1 << 20;
const u = new Uint32Array(N);
const x = new Float32Array(u.buffer);
const y = new Float32Array(N);
const yBits = new Uint32Array(y.buffer);
const ref = new Float32Array(N);
const refBits = new Uint32Array(ref.buffer);
let differ = 0;
const t0 = performance.now();
for (let base = 0; base < 2 ** 32; base += N) {
  for (let i = 0; i < N; i++) u[i] = base + i;
  for (let i = 0; i < N; i++) ref[i] = Math.tanh(x[i]);
  tanhInto32(x, y, N);
  for (let i = 0; i < N; i++) {
    if (yBits[i] === refBits[i] || (Number.isNaN(y[i]) && Number.isNaN(ref[i]))) continue;
    if (differ++ < 10) console.log(`differs at x = ${x[i]}: ${y[i]} vs ${ref[i]}`);
  }
}
console.log(`tanh32 vs fround(Math.tanh), all 2^32 float32 inputs: ${differ} differ (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
process.exitCode = differ ? 1 : 0;
