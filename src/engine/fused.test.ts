import { afterAll, describe, expect, it } from 'vitest';
import * as tf from './tf.ts';
import { setNodeBackend, type NodeBackend } from '../node/tf-node.ts';
import { SELECT, SUM_SQUARES, selectAll, slotMaskOf, sumSquaresBySlot } from './fused.ts';
import { makeRng } from './rng.ts';

/** Σ x² in float64 over plain arrays: the reference the kernels are checked against. */
function sumSq(xs: number[]): number {
  return xs.reduce((a, x) => a + x * x, 0);
}

const SHAPES: number[][] = [[3, 4], [4], [4, 5], [5], [7], [2, 3, 2]];
const SLOTS = [0, 0, 1, 1, 2, 0];

function randomArrays(seed: string, scale = 1): number[][] {
  const rng = makeRng(seed);
  return SHAPES.map((s) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => Math.fround(rng.uniform(-1, 1) * scale)));
}

afterAll(() => setNodeBackend('cpu'));

describe.each<NodeBackend>(['cpu', 'wasm'])('fused telemetry kernels on %s', (backend) => {
  for (const fused of [true, false]) {
    const path = fused ? 'fused kernel' : 'tfjs ops';
    it(`${path}: per-slot sums of squares equal float64 sums of the values`, async () => {
      await setNodeBackend(backend);
      const a = randomArrays('a');
      const expected = [0, 0, 0];
      a.forEach((v, i) => (expected[SLOTS[i]] += sumSq(v)));
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => {
        const ts = a.map((v, i) => tf.tensor(v, SHAPES[i]));
        return sumSquaresBySlot(ts, SLOTS, 3, slotMaskOf(SLOTS, 3), undefined, fused);
      });
      expect(out.shape).toEqual([3]);
      const got = Array.from(await out.data());
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      got.forEach((g, k) => expect(g).toBeCloseTo(expected[k], 4));
    });

    it(`${path}: sums of squared differences of pairs`, async () => {
      await setNodeBackend(backend);
      const a = randomArrays('a');
      const b = randomArrays('b', 3);
      const expected = [0, 0, 0];
      a.forEach((v, i) => (expected[SLOTS[i]] += sumSq(v.map((x, j) => x - b[i][j]))));
      const out = tf.tidy(() =>
        sumSquaresBySlot(
          a.map((v, i) => tf.tensor(v, SHAPES[i])),
          SLOTS,
          3,
          slotMaskOf(SLOTS, 3),
          b.map((v, i) => tf.tensor(v, SHAPES[i])),
          fused,
        ),
      );
      const got = Array.from(await out.data());
      out.dispose();
      got.forEach((g, k) => expect(g).toBeCloseTo(expected[k], 3));
    });

    it(`${path}: an empty slot is 0, NaN and Infinity propagate to their own slot only`, async () => {
      await setNodeBackend(backend);
      const out = tf.tidy(() =>
        sumSquaresBySlot(
          [tf.tensor1d([3, 4]), tf.tensor1d([NaN, 1]), tf.tensor1d([Infinity])],
          [0, 2, 3],
          4,
          slotMaskOf([0, 2, 3], 4),
          undefined,
          fused,
        ),
      );
      const got = Array.from(await out.data());
      out.dispose();
      expect(got[0]).toBe(25);
      expect(got[1]).toBe(0);
      expect(got[2]).toBeNaN();
      expect(got[3]).toBe(Infinity);
    });

    it(`${path}: select keeps shapes and dtypes and takes every tensor from the chosen side`, async () => {
      await setNodeBackend(backend);
      for (const cond of [true, false]) {
        const before = tf.memory().numTensors;
        const outs = tf.tidy(() => {
          const a = [tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.scalar(5), tf.tensor1d([7, 8], 'int32')];
          const b = [tf.tensor2d([NaN, -2, -3, -4], [2, 2]), tf.scalar(-5), tf.tensor1d([-7, -8], 'int32')];
          return selectAll(tf.scalar(cond, 'bool'), a, b, fused);
        });
        expect(outs.map((t) => t.shape)).toEqual([[2, 2], [], [2]]);
        expect(outs.map((t) => t.dtype)).toEqual(['float32', 'float32', 'int32']);
        const vals = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
        tf.dispose(outs);
        expect(tf.memory().numTensors).toBe(before);
        if (cond) expect(vals).toEqual([[1, 2, 3, 4], [5], [7, 8]]);
        else expect(vals).toEqual([[NaN, -2, -3, -4], [-5], [-7, -8]]);
      }
    });
  }

  it('the fused kernels are registered for this backend and run as one kernel each', async () => {
    await setNodeBackend(backend);
    expect(tf.getKernel(SUM_SQUARES, backend)).toBeDefined();
    expect(tf.getKernel(SELECT, backend)).toBeDefined();
    const prof = await tf.profile(() =>
      tf.tidy(() => {
        const ts = SHAPES.map((s) => tf.ones(s));
        sumSquaresBySlot(ts, SLOTS, 3, slotMaskOf(SLOTS, 3));
        selectAll(tf.scalar(true, 'bool'), ts, ts);
      }),
    );
    const names = prof.kernels.map((k) => k.name).filter((n) => n.startsWith('Gradscope'));
    expect(names).toEqual([SUM_SQUARES, SELECT]);
  });
});
