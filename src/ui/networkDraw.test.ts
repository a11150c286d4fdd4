import { describe, expect, test } from 'vitest';
import type { LayerUnits, UnitSnapshot } from '../engine/unitSnapshot.ts';
import { PLANE_N, representativeUnits } from '../engine/unitSnapshot.ts';
import {
  MIN_COLUMN_PX,
  NEGATIVE,
  POSITIVE,
  columnAt,
  edgeWidth,
  fmtShort,
  layerSignals,
  layoutNetwork,
  legendItems,
  logPosition,
  logScaleOf,
  planePixels,
  scalesOf,
  signColor,
  signalColor,
  unitAt,
} from './networkDraw.ts';

function dense(name: string, units: number, prev: number, signal: number, extra: Partial<LayerUnits> = {}): LayerUnits {
  const drawn = representativeUnits(units);
  const n = drawn.length * prev;
  return {
    name,
    kind: 'dense',
    units,
    drawn,
    signal: new Float32Array(drawn.length).fill(signal),
    dead: new Uint8Array(drawn.length),
    weight: new Float32Array(n).map((_, i) => (i % 2 ? -1 : 1) * (i + 1)),
    grad: new Float32Array(n).fill(1e-3),
    update: new Float32Array(n),
    filterW: null,
    filterG: null,
    filterU: null,
    plane: null,
    ...extra,
  };
}

const snap: UnitSnapshot = {
  step: 7,
  updateSteps: 1,
  batch: 32,
  input: { size: 2, drawn: [0, 1], image: false },
  layers: [dense('dense1', 64, 2, 10), dense('dense2', 8, 16, 1), dense('dense3', 2, 8, 0.01)],
};

describe('scales', () => {
  test('a log scale spans the given decades below the largest finite magnitude', () => {
    const s = logScaleOf([-100, 3, Infinity, NaN, 0], 3)!;
    expect(s.hi).toBe(100);
    expect(s.lo).toBeCloseTo(0.1);
    expect(logPosition(-100, s)).toBe(1);
    expect(logPosition(0.1, s)).toBe(0);
    expect(logPosition(0.01, s)).toBe(0);
    expect(logPosition(Math.sqrt(10), s)).toBeCloseTo(0.5);
    expect(logPosition(Infinity, s)).toBeNaN();
    expect(logScaleOf([0, NaN], 3)).toBeNull();
  });

  test('colour by sign, thickness by position, unit fill from light to dark, red when not finite', () => {
    expect(signColor(2)).toBe(POSITIVE);
    expect(signColor(-2)).toBe(NEGATIVE);
    expect(edgeWidth(1)).toBeGreaterThan(3 * edgeWidth(0));
    const lum = (c: string) => c.match(/\d+/g)!.map(Number).reduce((a, b) => a + b, 0);
    expect(lum(signalColor(0))).toBeGreaterThan(lum(signalColor(0.5)));
    expect(lum(signalColor(0.5))).toBeGreaterThan(lum(signalColor(1)));
    expect(signalColor(NaN)).toMatch(/^#d0/);
  });

  test('one scale for every layer: edges of the chosen quantity, unit signals over 4 decades', () => {
    const s = scalesOf(snap, 'weight');
    expect(s.edge!.hi).toBe(128); // the largest |W| of any layer: dense2's 16 × 8 edges hold 1 … 128
    expect(s.signal!.hi).toBe(10);
    expect(s.signal!.lo).toBeCloseTo(1e-3);
    expect(layerSignals(snap)).toEqual([10, 1, expect.closeTo(0.01, 6)]);
  });

  test('numbers in a few characters', () => {
    expect(fmtShort(0.0123)).toBe('0.012');
    expect(fmtShort(1.5e-5)).toBe('1.5e-5');
    expect(fmtShort(31000)).toBe('3.1e4');
    expect(fmtShort(Infinity)).toBe('∞');
    expect(fmtShort(NaN)).toBe('NaN');
  });

  test('the legend gives both scales’ numbers and says how many units a wide layer shows', () => {
    const items = legendItems(snap, 'grad');
    expect(items[1]).toMatchObject({ mark: 'ramp', lo: '1.0e-3', hi: '10' });
    expect(items.map((i) => i.text).join(' ')).toContain('gradient ∂L/∂W');
    expect(items.some((i) => i.text.includes('16 evenly spread units'))).toBe(true);
  });
});

describe('layout', () => {
  test('columns input → output left to right, 16 units of a 64-wide layer, all inside the canvas', () => {
    const L = layoutNetwork(snap, 600, 13, legendItems(snap, 'grad'));
    expect(L.columns.map((c) => c.name)).toEqual(['input', 'dense1', 'dense2', 'dense3']);
    for (let i = 1; i < L.columns.length; i++) expect(L.columns[i].x).toBeGreaterThan(L.columns[i - 1].x);
    expect(L.columns[1].units).toHaveLength(16);
    expect(L.columns[1].caption).toBe('64 units');
    expect(L.columns[1].note).toBe('16 shown');
    for (const c of L.columns)
      for (const u of c.units) {
        expect(u.y - L.radius).toBeGreaterThan(3 * L.line);
        expect(u.y + L.radius).toBeLessThan(L.normsY);
        expect(u.x).toBeLessThan(L.width);
      }
    expect(L.legend.at(-1)!.y).toBeLessThan(L.height - L.line + 1);
  });

  test('a narrow box: the canvas is wider (it scrolls) so that no column is under the minimum', () => {
    const L = layoutNetwork(snap, 200);
    expect(L.width).toBeGreaterThan(200);
    expect(L.columns[1].x1 - L.columns[1].x0).toBeGreaterThanOrEqual(MIN_COLUMN_PX);
  });

  test('hit testing: the unit under a point, the column of an x', () => {
    const L = layoutNetwork(snap, 600);
    const u = L.columns[2].units[3];
    expect(unitAt(L, u.x + 2, u.y - 1)).toMatchObject({ column: { name: 'dense2' }, unit: { index: 3 } });
    expect(unitAt(L, u.x + 40, u.y)).toBeNull();
    expect(columnAt(L, u.x + 10)?.name).toBe('dense2');
  });

  test('a conv layer is a strip of cells, one per filter', () => {
    const conv: LayerUnits = { ...dense('conv1', 40, 2, 1), kind: 'conv', drawn: representativeUnits(40, 128), signal: new Float32Array(40).fill(1), dead: new Uint8Array(40), weight: null, grad: null, update: null, filterW: new Float32Array(40).fill(1), filterG: new Float32Array(40), filterU: new Float32Array(40) };
    const L = layoutNetwork({ ...snap, input: { size: 256, drawn: representativeUnits(256), image: true }, layers: [conv] }, 600);
    expect(L.columns[1].kind).toBe('conv');
    expect(L.columns[1].units).toHaveLength(40);
    expect(L.columns[1].cellCols).toBe(3);
    expect(L.columns[0].caption).toBe('256 pixels');
  });
});

test('a unit’s output over the plane: y up, orange for positive, blue for negative', () => {
  const P = PLANE_N * PLANE_N;
  const plane = new Float32Array(P);
  plane[0] = 1; // (lo, lo): bottom left
  plane[P - 1] = -1; // (hi, hi): top right
  const px = planePixels(plane, 0);
  const at = (r: number, c: number) => [...px.slice((r * PLANE_N + c) * 4, (r * PLANE_N + c) * 4 + 3)];
  expect(at(PLANE_N - 1, 0)).toEqual([0xd5, 0x5e, 0x00]);
  expect(at(0, PLANE_N - 1)).toEqual([0x00, 0x72, 0xb2]);
  expect(at(5, 5)).toEqual([255, 255, 255]);
});

test('the page keeps a bounded ring of snapshots, unit outputs over the plane only in the latest few', async () => {
  const { metrics, MAX_UNIT_SNAPSHOTS, UNIT_PLANES_KEPT } = await import('./metrics.ts');
  metrics.reset(9, 'X', ['dense1'], 0);
  for (let step = 0; step < MAX_UNIT_SNAPSHOTS + 30; step++) {
    const layer = dense('dense1', 4, 2, 1, { plane: new Float32Array(4 * PLANE_N * PLANE_N) });
    metrics.addUnits(9, { ...snap, step, layers: [layer] });
  }
  const u = metrics.get(9)!.units;
  expect(u).toHaveLength(MAX_UNIT_SNAPSHOTS);
  expect(u[0].step).toBe(30);
  expect(u.filter((s) => s.layers[0].plane).length).toBe(UNIT_PLANES_KEPT);
  // A snapshot of a step already shown replaces the last one.
  metrics.addUnits(9, { ...snap, step: MAX_UNIT_SNAPSHOTS + 29, layers: [dense('dense1', 4, 2, 1)] });
  expect(u).toHaveLength(MAX_UNIT_SNAPSHOTS);
});
