import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RateMeter, RecordQueue } from './queue.ts';

/** n rows of width w whose first value is the step. */
function rows(first: number, n: number, w: number): Float32Array {
  const out = new Float32Array(n * w);
  for (let i = 0; i < n; i++) out[i * w] = first + i;
  return out;
}
const stepsOf = (r: { rows: Float32Array; count: number }, w: number) => Array.from({ length: r.count }, (_, i) => r.rows[i * w]);

describe('RecordQueue', () => {
  test('copies rows in runs with the same outcome as one row at a time: what waits, what is thinned, what the history keeps', () => {
    // The model: a list of rows, halved to its even positions whenever full before a row joins;
    // a history that keeps every stride-th step and halves itself when over its budget.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (sizes, takes) => {
        const w = 3;
        const max = 16;
        const budget = 60 * w;
        const q = new RecordQueue(max, budget);
        let waiting: number[] = [];
        let hist: number[] = [];
        let stride = 1;
        let seen = 0;
        let step = 0;
        sizes.forEach((k, t) => {
          const rows = new Float32Array(k * w);
          for (let i = 0; i < k; i++) rows.set([step + i, -(step + i), 0.5], i * w);
          q.push(rows, k, w);
          for (let i = 0; i < k; i++, step++) {
            if (waiting.length >= max) waiting = waiting.filter((_, j) => j % 2 === 0);
            waiting.push(step);
            if (seen++ % stride === 0) {
              hist.push(step);
              if (hist.length * w > budget) {
                hist = hist.filter((_, j) => j % 2 === 0);
                stride *= 2;
              }
            }
          }
          if (takes[t]) {
            const got = q.take();
            expect(got ? stepsOf(got, w) : []).toEqual(waiting);
            if (got) expect(Array.from(got.rows.subarray(0, 3))).toEqual([waiting[0], -waiting[0], 0.5]);
            waiting = [];
          }
        });
        expect(q.pendingCount).toBe(waiting.length);
        const h = q.exportHistory();
        expect(stepsOf(h, w)).toEqual(hist);
        expect(h.keptEvery).toBe(stride);
      }),
      { numRuns: 200 },
    );
  });

  test('take returns the waiting rows once, packed', () => {
    const q = new RecordQueue();
    q.push(rows(0, 3, 4), 3, 4);
    q.push(rows(3, 2, 4), 2, 4);
    const t = q.take()!;
    expect(stepsOf(t, 4)).toEqual([0, 1, 2, 3, 4]);
    expect(q.take()).toBeNull();
  });

  test('a page that does not keep up gets every other waiting row, never more than the cap', () => {
    const q = new RecordQueue(8);
    q.push(rows(0, 20, 2), 20, 2);
    const t = q.take()!;
    expect(t.count).toBeLessThanOrEqual(8);
    const s = stepsOf(t, 2);
    expect(s[s.length - 1]).toBe(19); // the newest row is there
    expect(s).toEqual([...s].sort((a, b) => a - b));
  });

  test('the export history holds every row until its budget, then every 2nd, 4th … step', () => {
    const q = new RecordQueue(4096, 100);
    q.push(rows(0, 40, 5), 40, 5); // 200 floats: thinned 2:1 once
    expect(q.historyCount).toBe(20);
    const h = q.exportHistory();
    const s = stepsOf(h, 5);
    expect(h.count * 5).toBeLessThanOrEqual(100);
    expect(s).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    expect(h.keptEvery).toBe(2);
    q.push(rows(40, 40, 5), 40, 5); // past the budget again: every 4th step
    expect(stepsOf(q.exportHistory(), 5).every((x) => x % 4 === 0)).toBe(true);
    q.clear();
    expect(q.exportHistory().count).toBe(0);
  });
});

test('a long run within the budget exports every one of its rows, across storage blocks', () => {
  const q = new RecordQueue();
  const w = 7;
  for (let first = 0; first < 20_000; first += 500) q.push(rows(first, 500, w), 500, w);
  const h = q.exportHistory();
  expect(h.keptEvery).toBe(1);
  expect(h.count).toBe(20_000);
  const s = stepsOf(h, w);
  expect(s.every((x, i) => x === i)).toBe(true);
});

describe('RateMeter', () => {
  test('steps per second over the last second', () => {
    const m = new RateMeter();
    m.reset(0, 0);
    m.add(500, 50);
    m.add(1000, 100);
    expect(m.perSec()).toBeCloseTo(100);
    m.add(3000, 100);
    expect(m.perSec()).toBeCloseTo(0);
  });
});
