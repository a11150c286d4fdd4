import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROW, STATUS, head, isDiverged, isEvaluated, layerValue, rowLength } from '../engine/rows.ts';
import { MAX_EVAL_POINTS, MAX_POINTS, MetricsStore, newSeries, pushRows, rowToRecord, thin, type RunSeries } from './metrics.ts';

const LAYERS = ['dense1', 'dense2'];
const W = rowLength(LAYERS.length);

interface RowSpec {
  step: number;
  status?: keyof typeof STATUS;
  evaluated?: boolean;
}

/** Packed rows as the worker posts them (engine/rows.ts layout); values derived from the step. */
function pack(...specs: RowSpec[]): Float32Array {
  const buf = new Float32Array(specs.length * W);
  specs.forEach(({ step, status = 'ok', evaluated = false }, i) => {
    const o = i * W;
    buf[o + ROW.step] = step;
    buf[o + ROW.lr] = 0.01;
    buf[o + ROW.loss] = 1 / (step + 1);
    buf[o + ROW.acc] = 0.5;
    buf[o + ROW.gradNorm] = step;
    buf[o + ROW.gradNormClipped] = Math.min(step, 1);
    buf[o + ROW.status] = STATUS[status];
    buf[o + ROW.evaluated] = evaluated ? 1 : 0;
    buf[o + ROW.testLoss] = evaluated ? 2 : 0;
    buf[o + ROW.testAcc] = evaluated ? 0.25 : 0;
    for (let l = 0; l < LAYERS.length; l++) for (let f = 0; f < ROW.PER_LAYER; f++) buf[o + ROW.HEAD + l * ROW.PER_LAYER + f] = step + l + f / 10;
  });
  return buf;
}

/** Pushes the steps [from, to) in batches of 100, as the worker does. */
function pushSteps(s: RunSeries, from: number, to: number): void {
  for (let a = from; a < to; a += 100) {
    const steps = Array.from({ length: Math.min(100, to - a) }, (_, k) => ({ step: a + k }));
    pushRows(s, pack(...steps), steps.length);
  }
}

const steps = (s: RunSeries) => s.rows.map((r) => head(r, 'step'));

describe('metrics history: decimation by stride doubling', () => {
  it('keeps every row up to MAX_POINTS, then every other one', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    pushSteps(s, 0, MAX_POINTS);
    expect(s.rows).toHaveLength(MAX_POINTS);
    expect(s.stride).toBe(1);
    pushSteps(s, MAX_POINTS, MAX_POINTS + 1);
    expect(s.stride).toBe(2);
    expect(steps(s)).toEqual(Array.from({ length: MAX_POINTS / 2 + 1 }, (_, k) => 2 * k));
    // From then on only every stride-th step comes in.
    pushSteps(s, MAX_POINTS + 1, MAX_POINTS + 11);
    expect(steps(s).slice(-5)).toEqual([MAX_POINTS + 2, MAX_POINTS + 4, MAX_POINTS + 6, MAX_POINTS + 8, MAX_POINTS + 10]);
  });

  it('stays bounded over a long run and keeps the whole run visible', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    const n = 20 * MAX_POINTS + 37;
    for (let a = 0; a < n; a += 1000) {
      pushSteps(s, a, Math.min(n, a + 1000));
      expect(s.rows.length).toBeLessThanOrEqual(MAX_POINTS);
    }
    expect(s.total).toBe(n);
    // Stride 32: 20·4096/32 = 2560 rows; one more doubling would leave fewer than half.
    expect(s.stride).toBe(32);
    const kept = steps(s);
    expect(kept[0]).toBe(0);
    expect(kept.every((x) => x % s.stride === 0)).toBe(true);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(n - 1 - kept[kept.length - 1]).toBeLessThan(s.stride);
    expect(kept.length).toBeGreaterThan(MAX_POINTS / 2);
  });

  it('keeps diverged and evaluation rows whatever the stride', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    pushSteps(s, 0, 2 * MAX_POINTS + 1); // stride 4
    expect(s.stride).toBe(4);
    const at = 2 * MAX_POINTS + 1;
    pushRows(s, pack({ step: at, evaluated: true }, { step: at + 1 }, { step: at + 2, status: 'clipped' }, { step: at + 5, status: 'diverged' }), 4);
    expect(steps(s).slice(-2)).toEqual([at, at + 5]);
    expect(isEvaluated(s.rows.at(-2)!)).toBe(true);
    expect(isDiverged(s.rows.at(-1)!)).toBe(true);
    expect(s.divergedAt).toBe(at + 5);
    // More doublings drop ordinary rows but not those two.
    pushSteps(s, at + 6, 8 * MAX_POINTS + 1);
    expect(s.stride).toBe(16);
    expect(steps(s)).toContain(at);
    expect(steps(s)).toContain(at + 5);
    expect(s.rows.filter((r) => head(r, 'step') % 16 !== 0).map((r) => head(r, 'step'))).toEqual([at, at + 5]);
  });

  it('a million steps, every one evaluated: rows stay bounded and the work per batch stays flat', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    const batch = 1000;
    const times: number[] = [];
    for (let a = 0; a < 1_000_000; a += batch) {
      const buf = pack(...Array.from({ length: batch }, (_, k) => ({ step: a + k, evaluated: true })));
      const t0 = performance.now();
      pushRows(s, buf, batch);
      times.push(performance.now() - t0);
      expect(s.rows.length).toBeLessThanOrEqual(MAX_POINTS + MAX_EVAL_POINTS + 1);
    }
    expect(s.total).toBe(1_000_000);
    expect(s.evalRows).toBeLessThanOrEqual(MAX_EVAL_POINTS);
    expect(s.evalRows).toBeGreaterThan(MAX_EVAL_POINTS / 2);
    // The whole run stays visible: the first and nearly the last evaluation are there.
    const kept = steps(s);
    expect(kept[0]).toBe(0);
    expect(1_000_000 - kept[kept.length - 1]).toBeLessThanOrEqual(s.evalStride);
    // Flat: the late batches cost about what the early ones did (medians; a re-filter is amortised).
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    expect(median(times.slice(-100))).toBeLessThan(3 * median(times.slice(100, 200)) + 0.5);
  });

  it('the first diverged step is remembered', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    pushRows(s, pack({ step: 0 }, { step: 1, status: 'diverged' }, { step: 2, status: 'diverged' }), 3);
    expect(s.divergedAt).toBe(1);
  });

  it('the latest row is kept apart, dropped by the stride or not, and is a copy', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    pushSteps(s, 0, MAX_POINTS + 1); // stride 2
    const buf = pack({ step: MAX_POINTS + 1 }, { step: MAX_POINTS + 2 }, { step: MAX_POINTS + 3 });
    pushRows(s, buf, 3);
    expect(head(s.latest!, 'step')).toBe(MAX_POINTS + 3);
    expect(steps(s).at(-1)).toBe(MAX_POINTS + 2);
    buf.fill(0);
    expect(head(s.latest!, 'step')).toBe(MAX_POINTS + 3);
    expect(s.latest).toHaveLength(W);
  });

  it('reads only `count` rows of the buffer, each through the row layout', () => {
    const s = newSeries(0, 'A', LAYERS, W);
    pushRows(s, pack({ step: 0 }, { step: 1 }, { step: 2 }), 2);
    expect(steps(s)).toEqual([0, 1]);
    expect(s.total).toBe(2);
    expect(layerValue(s.rows[1], 1, 'weightNorm')).toBeCloseTo(1 + 1 + 0.2, 5);
    expect(head(s.rows[1], 'lr')).toBeCloseTo(0.01, 7);
  });

  it('a row decodes to a contract record', () => {
    const row = pack({ step: 7, status: 'clipped', evaluated: true });
    const rec = rowToRecord(row, { run: 2, label: 'B', layerNames: LAYERS });
    expect(rec).toMatchObject({ run: 2, label: 'B', step: 7, status: 'clipped', gradNorm: 7, gradNormClipped: 1, testLoss: 2, testAcc: 0.25 });
    expect(rec.layers.map((l) => l.name)).toEqual(LAYERS);
    expect(rec.layers[1].actGradNorm).toBeCloseTo(7 + 1 + 0.4, 5);
  });
});

describe('thin', () => {
  it('keeps short lists and the last item of long ones', () => {
    expect(thin([1, 2, 3], 5)).toEqual([1, 2, 3]);
    const t = thin(Array.from({ length: 100 }, (_, i) => i), 10);
    expect(t).toHaveLength(10);
    expect(t[0]).toBe(0);
    expect(t.at(-1)).toBe(99);
  });
});

describe('MetricsStore', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('collects each run on its own and tells subscribers once per frame', () => {
    const m = new MetricsStore();
    const heard = vi.fn();
    m.subscribe(heard);
    m.reset(0, 'A', LAYERS, W);
    m.reset(1, 'B', LAYERS, W);
    const v1 = m.runVersion(1);
    m.add(0, pack({ step: 0 }, { step: 1 }), 2);
    m.add(0, pack({ step: 2 }), 1);
    expect(m.get(0)!.total).toBe(3);
    expect(m.runVersion(1)).toBe(v1);
    expect(heard).not.toHaveBeenCalled();
    vi.advanceTimersByTime(16);
    expect(heard).toHaveBeenCalledTimes(1);
    // Records for a run that is not (yet) reset are dropped.
    m.add(5, pack({ step: 0 }), 1);
    expect(m.get(5)).toBeUndefined();
    m.setLabel(0, 'A2');
    expect(m.all().map((s) => s.label)).toEqual(['A2', 'B']);
    m.clear();
    expect(m.all()).toEqual([]);
    expect(m.runVersion(1)).toBeGreaterThan(v1);
  });
});
