import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig } from './config.ts';
import { Trainer } from './trainer.ts';
import { LAYER_FIELDS, ROW, STATUS, STATUS_NAMES, decodeRow, describeDivergence, firstDiverged, head, layerValue, layersOf, rowLength } from './rows.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

describe('packed rows', () => {
  test('the status names follow the codes', () => {
    for (const [name, code] of Object.entries(STATUS)) expect(STATUS_NAMES[code]).toBe(name);
  });

  test('a trainer row carries its step and lr, and decodes to the record of that step', async () => {
    const cfg = defaultRunConfig({ model: { hidden: [6, 5] }, optimizer: { lr: 0.05, schedule: { kind: 'cosine' } }, train: { steps: 10, evalEvery: 4 } });
    const t = new Trainer(cfg);
    try {
      const rows = await t.runStepsPacked(5);
      const L = t.nLayers;
      expect(rows.length).toBe(5 * rowLength(L));
      expect(layersOf(t.rowLength)).toBe(L);
      for (let i = 0; i < 5; i++) {
        const off = i * t.rowLength;
        expect(head(rows, 'step', off)).toBe(i);
        expect(head(rows, 'lr', off)).toBe(Math.fround(t.lrAt(i)));
        const r = decodeRow(rows, off, { run: 0, label: 'A', layerNames: t.layerNames });
        expect(r.step).toBe(i);
        expect(r.layers.map((l) => l.name)).toEqual(t.layerNames);
        for (let l = 0; l < L; l++) for (const f of LAYER_FIELDS) expect(r.layers[l][f]).toBe(layerValue(rows, l, f, off));
        expect(r.testLoss !== undefined).toBe(i % 4 === 0);
      }
    } finally {
      t.dispose();
    }
  });

  test('firstDiverged and the divergence text', () => {
    const rl = rowLength(2);
    const rows = new Float32Array(3 * rl);
    rows[rl + ROW.status] = STATUS.clipped;
    rows[2 * rl + ROW.status] = STATUS.diverged;
    rows[2 * rl + ROW.loss] = NaN;
    rows[2 * rl + ROW.gradNorm] = Infinity;
    rows[2 * rl + ROW.HEAD] = 3; // dense1 gradNorm
    rows[2 * rl + ROW.HEAD + ROW.PER_LAYER] = Infinity; // dense2 gradNorm
    expect(firstDiverged(rows, 3, rl)).toBe(2);
    expect(firstDiverged(rows, 2, rl)).toBe(-1);
    expect(describeDivergence(rows, 2 * rl, ['dense1', 'dense2'])).toBe('loss NaN, gradient norm Infinity in layer dense2 (Infinity)');
  });
});
