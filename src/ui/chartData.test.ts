import { describe, expect, test } from 'vitest';
import { ROW, STATUS, rowLength } from '../engine/rows.ts';
import { defaultRunConfig } from '../engine/config.ts';
import { changeMarkers, columnOf, divergedMarkers, heatGrid, labelledLayers, layerChartData, layerLabel, runsChartData } from './chartData.ts';
import { newSeries, pushRows, type RunSeries } from './metrics.ts';

const NAMES = ['dense1', 'dense2', 'dense3'];

/** A run of `n` steps; the loss is 1/(step+1); with `divergeAt`, that step is diverged (NaN loss). */
function run(i: number, n: number, divergeAt: number | null = null, evalEvery = 0): RunSeries {
  const s = newSeries(i, `run ${i}`, NAMES, rowLength(NAMES.length));
  const w = s.rowLength;
  const packed = new Float32Array(n * w);
  for (let k = 0; k < n; k++) {
    const o = k * w;
    const diverged = divergeAt !== null && k >= divergeAt;
    packed[o + ROW.step] = k;
    packed[o + ROW.lr] = 0.01;
    packed[o + ROW.loss] = diverged ? NaN : 1 / (k + 1);
    packed[o + ROW.acc] = 0.5;
    packed[o + ROW.gradNorm] = 2;
    packed[o + ROW.gradNormClipped] = 1;
    packed[o + ROW.status] = diverged ? STATUS.diverged : STATUS.ok;
    if (evalEvery && k % evalEvery === 0) {
      packed[o + ROW.evaluated] = 1;
      packed[o + ROW.testLoss] = 2 / (k + 1);
      packed[o + ROW.testAcc] = 0.4;
    }
    for (let l = 0; l < NAMES.length; l++) for (let f = 0; f < ROW.PER_LAYER; f++) packed[o + ROW.HEAD + l * ROW.PER_LAYER + f] = (l + 1) * (f + 1);
  }
  pushRows(s, packed, divergeAt === null ? n : Math.min(n, divergeAt + 1));
  return s;
}

const opts = { smoothing: 0, hiddenLayers: {}, showClipped: true };
const none = defaultRunConfig().stabilizers.clip;
const globalClip = { ...none, mode: 'global_norm' as const, threshold: 1 };

describe('per-layer chart data', () => {
  test('one line per layer, the last named as the output layer', () => {
    const d = layerChartData(run(0, 10), 'actGradNorm', { ...opts, clip: none });
    expect(d.series.map((s) => s.name)).toEqual(['dense1', 'dense2', 'dense3 (output)']);
    expect(d.series.map((s) => s.key)).toEqual(NAMES);
    expect(d.xs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(layerLabel(['dense1'], 0)).toBe('dense1');
  });
  test('"global (clipped)" and τ only when the run clips', () => {
    const plain = layerChartData(run(0, 5), 'gradNorm', { ...opts, clip: none });
    expect(plain.series.map((s) => s.key)).toEqual([...NAMES, 'global']);
    expect(plain.refLines).toEqual([]);
    const clipped = layerChartData(run(0, 5), 'gradNorm', { ...opts, clip: globalClip });
    const post = clipped.series.find((s) => s.key === 'global (clipped)');
    expect(post?.dash).toBeDefined();
    expect(clipped.refLines).toEqual([{ y: 1, label: 'τ = 1' }]);
    const off = layerChartData(run(0, 5), 'gradNorm', { ...opts, showClipped: false, clip: globalClip });
    expect(off.series.some((s) => s.key === 'global (clipped)')).toBe(false);
  });
  test('update ratio: the 1e-3 reference line', () => {
    expect(layerChartData(run(0, 5), 'updateRatio', { ...opts, clip: none }).refLines).toEqual([{ y: 1e-3, label: '1e-3' }]);
  });
});

describe('runs chart data', () => {
  test('lines are labelled batch and test (loss and accuracy), on one merged step axis', () => {
    const runs = [run(0, 6, null, 5), run(1, 3)];
    const loss = runsChartData(runs, 'loss', ['A', 'B'], { smoothing: 0, hiddenLayers: {} });
    expect(loss.series.map((s) => s.name)).toEqual(['A batch loss', 'A test loss', 'B batch loss', 'B test loss']);
    expect(loss.xs).toEqual([0, 1, 2, 3, 4, 5]);
    // B's line ends at its last step
    expect(loss.series[2].values.slice(3)).toEqual([null, null, null]);
    expect(loss.series[1].values[5]).toBeCloseTo(2 / 6);
    const acc = runsChartData(runs, 'acc', ['A', 'B'], { smoothing: 0, hiddenLayers: {} });
    expect(acc.series.map((s) => s.name)).toEqual(['A batch accuracy', 'A test accuracy', 'B batch accuracy', 'B test accuracy']);
    // A regression run's 'acc' is R², and its lines say so; the classification run's keep their names.
    const mixed = runsChartData(runs, 'acc', ['A', 'B'], { smoothing: 0, hiddenLayers: {}, regression: [false, true] });
    expect(mixed.series.map((s) => s.name)).toEqual(['A batch accuracy', 'A test accuracy', 'B batch R²', 'B test R²']);
    expect(runsChartData(runs, 'lr', ['A', 'B'], { smoothing: 0, hiddenLayers: {} }).series.map((s) => s.name)).toEqual(['A', 'B']);
  });
  test("diverged markers sit at the run's first diverged step, labelled as the banner counts", () => {
    const a = run(0, 20, 7);
    expect(a.divergedAt).toBe(7);
    const b = run(1, 20);
    expect(divergedMarkers([a, b], 'long', ['A', 'B'])).toEqual([{ x: 7, label: 'A diverged at step 7', color: expect.any(String) as string }]);
    expect(divergedMarkers([a], 'long')[0].label).toBe('diverged at step 7');
    expect(divergedMarkers([a], 'short')[0].label).toBe('diverged @7');
    expect(divergedMarkers([a], 'none')[0].label).toBe('');
  });
});

describe('heatmap layout', () => {
  test('grid values per layer and column; fractional column of a step', () => {
    const g = heatGrid(run(0, 4), 'gradNorm');
    expect(g.steps).toEqual([0, 1, 2, 3]);
    expect(g.layers).toBe(3);
    expect([...g.values.slice(4, 8)]).toEqual([2, 2, 2, 2]); // the second layer: gradNorm (l + 1)·1 = 2
    expect(columnOf([0, 10, 20], 15)).toBeCloseTo(1.5);
    expect(columnOf([0, 10, 20], -5)).toBe(0);
    expect(columnOf([0, 10, 20], 99)).toBe(2);
  });
  test('layer labels at least a line apart, first and output layer always labelled', () => {
    expect(labelledLayers(9, 144, 15)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const many = labelledLayers(64, 256, 15);
    expect(many[0]).toBe(0);
    expect(many[many.length - 1]).toBe(63);
    for (let i = 1; i < many.length; i++) expect(((many[i] - many[i - 1]) * 256) / 64).toBeGreaterThanOrEqual(15);
    expect(labelledLayers(0, 100, 15)).toEqual([]);
  });
});

describe('mid-run changes on the charts', () => {
  test('a marker per change, labelled with the step and the old and new value', () => {
    const cfg = defaultRunConfig({ optimizer: { name: 'sgd' }, changes: [{ step: 240, path: 'optimizer.name', value: 'adam' }, { step: 300, path: 'optimizer.lr', value: 0.1 }] });
    const marks = changeMarkers([{ run: 0, cfg }]);
    expect(marks.map((m) => [m.x, m.label])).toEqual([
      [240, 'step 240: Optimizer sgd → adam'],
      [300, 'step 300: Learning rate 0.01 → 0.1'],
    ]);
    // Two runs on one chart: each label names its run.
    expect(changeMarkers([{ run: 0, cfg }, { run: 1, cfg: undefined }], ['A', 'B'])[0].label).toBe('A step 240: Optimizer sgd → adam');
  });
});
