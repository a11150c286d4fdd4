/**
 * Seeded data sets: reproducible, sized and split as configured, labels and
 * geometry as documented (checked at noise 0, where the geometry is exact).
 */
import { describe, expect, test } from 'vitest';
import { defaultRunConfig, type RunConfigInput } from '../config.ts';
import type { DatasetName } from '../meta.ts';
import { BatchStream, IMAGE_SIZE, makeDataset, stratifiedCounts, type Dataset } from './datasets.ts';

const TOYS: DatasetName[] = ['circle', 'xor', 'gauss', 'spiral', 'moons'];
const ALL: DatasetName[] = [...TOYS, 'shapes'];

function ds(data: NonNullable<RunConfigInput['data']>, seed = 1): Dataset {
  return makeDataset(defaultRunConfig({ seed, data }));
}

/** All examples (train then test) as rows, with labels. */
function rows(d: Dataset): { x: number[]; y: number }[] {
  const out: { x: number[]; y: number }[] = [];
  for (let i = 0; i < d.nTrain; i++) out.push({ x: Array.from(d.xTrain.subarray(i * d.inputSize, (i + 1) * d.inputSize)), y: d.yTrain[i] });
  for (let i = 0; i < d.nTest; i++) out.push({ x: Array.from(d.xTest.subarray(i * d.inputSize, (i + 1) * d.inputSize)), y: d.yTest[i] });
  return out;
}

describe('every data set', () => {
  for (const name of ALL) {
    test(`${name}: same seed → same data, other seed → other data`, () => {
      const samples = name === 'shapes' ? 90 : 300;
      const a = ds({ name, samples });
      const b = ds({ name, samples });
      expect(a).toEqual(b);
      const c = ds({ name, samples }, 2);
      expect(Array.from(c.xTrain)).not.toEqual(Array.from(a.xTrain));
    });

    test(`${name}: sizes, classes and test split as configured`, () => {
      for (const [samples, testFraction] of [
        [100, 0.2],
        [333, 0.5],
        [16, 0],
        [250, 0.9],
      ] as const) {
        const d = ds({ name, samples, testFraction, noise: 0.2 });
        const nClasses = name === 'shapes' ? 3 : 2;
        const shape = name === 'shapes' ? [IMAGE_SIZE, IMAGE_SIZE, 1] : [2];
        expect(d.name).toBe(name);
        expect(d.nClasses).toBe(nClasses);
        expect(d.classNames).toHaveLength(nClasses);
        expect(d.inputShape).toEqual(shape);
        expect(d.inputSize).toBe(shape.reduce((a, b) => a * b, 1));
        expect(d.nTest).toBe(Math.round(samples * testFraction));
        expect(d.nTrain + d.nTest).toBe(samples);
        expect(d.xTrain.length).toBe(d.nTrain * d.inputSize);
        expect(d.xTest.length).toBe(d.nTest * d.inputSize);
        expect(d.yTrain.length).toBe(d.nTrain);
        expect(d.yTest.length).toBe(d.nTest);
        const all = rows(d);
        // labels in range, classes balanced (the generator alternates them)
        const counts = new Array(nClasses).fill(0);
        for (const r of all) {
          expect(Number.isInteger(r.y) && r.y >= 0 && r.y < nClasses).toBe(true);
          counts[r.y]++;
        }
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        // finite values; train and test are disjoint (no example in both)
        expect(all.every((r) => r.x.every(Number.isFinite))).toBe(true);
        const train = new Set(all.slice(0, d.nTrain).map((r) => r.x.join(',')));
        expect(all.slice(d.nTrain).filter((r) => train.has(r.x.join(',')))).toHaveLength(0);
        // the split is shuffled: both classes appear in a reasonably sized test set
        if (d.nTest >= 30) expect(new Set(Array.from(d.yTest)).size).toBe(nClasses);
      }
    });
  }
});

describe('the train/test split is stratified', () => {
  test('each class has its share of the test set, to within one sample (seed 17, 101 samples, a third held out)', () => {
    const d = ds({ name: 'spiral', samples: 101, testFraction: 0.33 }, 17);
    const counts = [0, 0];
    for (const c of d.yTest) counts[c]++;
    // 51 + 50 samples, 33 held out: 51·33/101 = 16.7 and 50·33/101 = 16.3.
    expect(counts).toEqual([17, 16]);
  });

  test('over seeds, sizes and fractions: shares within one sample, totals exact, every class keeps a training sample', () => {
    for (const name of ALL) {
      for (const [samples, testFraction] of [[16, 0.5], [37, 0.2], [101, 0.33], [300, 0.9]] as const) {
        for (const seed of [1, 2, 3]) {
          const d = ds({ name, samples, testFraction }, seed);
          const k = d.nClasses;
          const size = new Array(k).fill(0);
          const test = new Array(k).fill(0);
          for (const c of d.yTrain) size[c]++;
          for (const c of d.yTest) {
            size[c]++;
            test[c]++;
          }
          expect(d.nTest).toBe(Math.min(samples - 1, Math.round(samples * testFraction)));
          for (let c = 0; c < k; c++) {
            expect(Math.abs(test[c] - (size[c] * d.nTest) / samples)).toBeLessThan(1);
            expect(test[c]).toBeLessThan(size[c]);
          }
        }
      }
    }
  });

  test('stratifiedCounts: largest remainder; a class of one stays in training', () => {
    expect(stratifiedCounts([5, 5, 5], 4)).toEqual([2, 1, 1]);
    expect(stratifiedCounts([1, 9], 5)).toEqual([0, 5]);
    expect(stratifiedCounts([2, 2], 2)).toEqual([1, 1]);
  });
});

describe('geometry at noise 0', () => {
  const pts = (name: DatasetName) => rows(ds({ name, samples: 400, noise: 0, testFraction: 0.25 }));
  const r = (x: number[]) => Math.hypot(x[0], x[1]);

  test('circle: class 1 inside radius 0.5, class 0 in the ring 0.7..1', () => {
    for (const p of pts('circle')) {
      if (p.y === 1) expect(r(p.x)).toBeLessThanOrEqual(0.5 + 1e-6);
      else {
        expect(r(p.x)).toBeGreaterThanOrEqual(0.7 - 1e-6);
        expect(r(p.x)).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
  });

  test('xor: label 1 exactly where x·y > 0', () => {
    for (const p of pts('xor')) expect(p.x[0] * p.x[1] > 0 ? 1 : 0).toBe(p.y);
  });

  test('gauss: two blobs centred at ±(0.5, 0.5)', () => {
    for (const label of [0, 1]) {
      const c = pts('gauss').filter((p) => p.y === label);
      const mx = c.reduce((a, p) => a + p.x[0], 0) / c.length;
      const my = c.reduce((a, p) => a + p.x[1], 0) / c.length;
      const centre = label === 1 ? 0.5 : -0.5;
      expect(Math.abs(mx - centre)).toBeLessThan(0.06);
      expect(Math.abs(my - centre)).toBeLessThan(0.06);
    }
  });

  test('spiral: radii spread over [0, 1], the two arms point-symmetric', () => {
    const p = pts('spiral');
    for (const q of p) expect(r(q.x)).toBeLessThanOrEqual(1 + 1e-6);
    const radii = p.map((q) => r(q.x)).sort((a, b) => a - b);
    expect(radii[0]).toBeLessThan(0.02);
    expect(radii[radii.length - 1]).toBeGreaterThan(0.98);
    // arm 1 is arm 0 rotated by π: for each class-1 point, −x is a class-0 point
    const zero = new Set(p.filter((q) => q.y === 0).map((q) => `${(-q.x[0]).toFixed(4)},${(-q.x[1]).toFixed(4)}`));
    const ones = p.filter((q) => q.y === 1);
    const matched = ones.filter((q) => zero.has(`${q.x[0].toFixed(4)},${q.x[1].toFixed(4)}`)).length;
    expect(matched).toBe(ones.length);
  });

  test('moons: inside about [−1, 1]², classes on two interleaved half circles', () => {
    for (const q of pts('moons')) {
      expect(Math.abs(q.x[0])).toBeLessThanOrEqual(1.01);
      expect(Math.abs(q.x[1])).toBeLessThanOrEqual(1.01);
      // undo the documented scaling: (x − 0.5)/1.5, (y − 0.25)/1.5
      const X = q.x[0] * 1.5 + 0.5;
      const Y = q.x[1] * 1.5 + 0.25;
      if (q.y === 0) expect(Math.hypot(X, Y)).toBeCloseTo(1, 5);
      else expect(Math.hypot(X - 1, Y - 0.5)).toBeCloseTo(1, 5);
    }
  });

  test('shapes: 16×16 binary images at noise 0, three balanced classes of different mean shapes', () => {
    const d = ds({ name: 'shapes', samples: 300, noise: 0, testFraction: 0.2 });
    const all = rows(d);
    expect(all[0].x).toHaveLength(256);
    const counts = [0, 0, 0];
    const meanImg = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
    const area = [0, 0, 0];
    for (const p of all) {
      counts[p.y]++;
      const on = p.x.filter((v) => v === 1).length;
      expect(p.x.every((v) => v === 0 || v === 1)).toBe(true);
      expect(on).toBeGreaterThan(8); // something is drawn
      area[p.y] += on;
      p.x.forEach((v, i) => (meanImg[p.y][i] += v));
    }
    expect(counts).toEqual([100, 100, 100]);
    // same half-extent distribution s: square side 1.7s → 2.89s², disc πs² ≈ 3.14s²,
    // triangle with base 2s and height 2s → 2s²: mean-area ratios 2/2.89 ≈ 0.69 and π/2.89 ≈ 1.09
    const mean = area.map((a, i) => a / counts[i]);
    expect(mean[2] / mean[0]).toBeGreaterThan(0.6);
    expect(mean[2] / mean[0]).toBeLessThan(0.8);
    expect(mean[1] / mean[0]).toBeGreaterThan(1.0);
    expect(mean[1] / mean[0]).toBeLessThan(1.2);
    // class-mean images differ
    const dist = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v / 100 - b[i] / 100) ** 2, 0));
    expect(dist(meanImg[0], meanImg[1])).toBeGreaterThan(0.3);
    expect(dist(meanImg[0], meanImg[2])).toBeGreaterThan(0.3);
    expect(dist(meanImg[1], meanImg[2])).toBeGreaterThan(0.3);
  });

  test('noise adds spread: shapes pixel noise has std 0.5·noise', () => {
    const clean = rows(ds({ name: 'shapes', samples: 60, noise: 0 }));
    const noisy = rows(ds({ name: 'shapes', samples: 60, noise: 0.4 }));
    // the noise is the deviation of each pixel from the nearest of {0, 1}
    let s = 0;
    let n = 0;
    for (const p of noisy) for (const v of p.x) {
      const d = Math.abs(v) < Math.abs(v - 1) ? v : v - 1;
      s += d * d;
      n++;
    }
    expect(Math.sqrt(s / n)).toBeGreaterThan(0.17);
    expect(Math.sqrt(s / n)).toBeLessThan(0.21);
    expect(clean.length).toBe(60);
  });
});

describe('BatchStream', () => {
  test('each epoch visits every training index exactly once; seeded', () => {
    const n = 50;
    const s = new BatchStream(n, 3);
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) seen.push(...s.next(15)); // 150 = 3 epochs, batches straddle epochs
    for (let e = 0; e < 3; e++) expect([...seen.slice(e * n, (e + 1) * n)].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const t = new BatchStream(n, 3);
    const again: number[] = [];
    for (let i = 0; i < 10; i++) again.push(...t.next(15));
    expect(again).toEqual(seen);
    const u = new BatchStream(n, 4);
    expect(Array.from(u.next(n))).not.toEqual(seen.slice(0, n));
    // a new permutation each epoch
    expect(seen.slice(0, n)).not.toEqual(seen.slice(n, 2 * n));
  });
});
