/**
 * Record formatting (contract section 3): JSON numbers are the float32 values read
 * back from the device in their shortest exact form; non-finite numbers are the strings
 * "NaN", "Infinity", "-Infinity"; CSV has one column per layer field.
 */
import { describe, expect, test } from 'vitest';
import { makeRng } from './rng.ts';
import { csvHeader, parseRecordJson, recordToCsv, recordToJson, type StepRecord } from './records.ts';
import { decodeRow, rowLength } from './rows.ts';

function record(values: number[], label = 'A'): StepRecord {
  const names = ['dense1', 'dense2'];
  const buf = new Float32Array(rowLength(names.length));
  // values: the row after its step (3) and lr (0.01).
  buf.set([3, 0.01, ...values].slice(0, buf.length));
  return decodeRow(buf, 0, { run: 1, label, layerNames: names });
}

describe('JSON', () => {
  test('float32 values: at most 9 significant digits, and they read back as the same float32', () => {
    const rng = makeRng('records');
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround(Math.exp(rng.uniform(-40, 40)) * (rng.next() < 0.5 ? -1 : 1));
      const r = record([x, 0.5, Math.abs(x), Math.abs(x), 0, 0, 0, 0, x, x, x, x, x]);
      const text = recordToJson(r);
      const loss = /"loss":([^,]+),/.exec(text)![1];
      const digits = loss.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
      expect(digits.length, loss).toBeLessThanOrEqual(9);
      expect(Math.fround(Number(loss))).toBe(x);
      const back = parseRecordJson(text);
      expect(Math.fround(back.loss)).toBe(x);
      expect(Math.fround(back.layers[0].gradNorm)).toBe(x);
    }
  });

  test('non-finite numbers are written as "NaN", "Infinity", "-Infinity" and parsed back', () => {
    const r = record([NaN, 0.25, Infinity, NaN, 3, 0, 0, 0, -Infinity, 1, 2, 0, NaN]);
    expect(r.status).toBe('diverged');
    const text = recordToJson(r);
    expect(text).toContain('"loss":"NaN"');
    expect(text).toContain('"gradNorm":"Infinity"');
    expect(text).toContain('"gradNorm":"-Infinity"');
    expect(text).not.toMatch(/null/);
    const back = parseRecordJson(text);
    expect(back.loss).toBeNaN();
    expect(back.gradNorm).toBe(Infinity);
    expect(back.layers[0].gradNorm).toBe(-Infinity);
    expect(back.layers[0].actGradNorm).toBeNaN();
    expect(back.run).toBe(1);
    expect(back.step).toBe(3);
    expect(back.lr).toBe(0.01);
  });

  test('decodeRow: status codes, layer order and the evaluation fields', () => {
    const statuses = ['ok', 'clipped', 'skipped', 'diverged'];
    statuses.forEach((s, code) => expect(record([0.7, 0.5, 1, 1, code]).status).toBe(s));
    const r = record([0.7, 0.5, 1, 1, 0, 1, 0.6, 0.75, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]);
    expect(r.testLoss).toBeCloseTo(0.6, 6);
    expect(r.testAcc).toBe(0.75);
    expect(r.layers).toEqual([
      { name: 'dense1', gradNorm: 10, gradNormClipped: 11, weightNorm: 12, updateNorm: 13, actGradNorm: 14 },
      { name: 'dense2', gradNorm: 20, gradNormClipped: 21, weightNorm: 22, updateNorm: 23, actGradNorm: 24 },
    ]);
    expect(record([0.7, 0.5, 1, 1, 0, 0, 0.6]).testLoss).toBeUndefined();
  });
});

describe('CSV', () => {
  test('header and row: per-layer columns in the given order; labels quoted when needed', () => {
    const names = ['dense1', 'dense2', 'dense3'];
    const header = csvHeader(names).split(',');
    expect(header.slice(0, 11)).toEqual(['run', 'label', 'step', 'loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'testLoss', 'testAcc']);
    expect(header.slice(11, 16)).toEqual(['dense1.gradNorm', 'dense1.gradNormClipped', 'dense1.weightNorm', 'dense1.updateNorm', 'dense1.actGradNorm']);
    expect(header).toHaveLength(11 + 15);
    const r = record([NaN, 0.5, 2, 1, 1, 0, 0, 0, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24], 'a, "b"');
    const row = recordToCsv(r, names);
    expect(row.startsWith('1,"a, ""b""",3,NaN,0.5,0.01,2,1,clipped,,,10,11,12,13,14,20,21,22,23,24')).toBe(true);
    // dense3 is missing from this run: empty cells
    expect(row.endsWith(',,,,,')).toBe(true);
  });
});
