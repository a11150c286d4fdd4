/**
 * Record formatting (contract section 3): JSON numbers are the float32 values read
 * back from the device in their shortest exact form; non-finite numbers are the strings
 * "NaN", "Infinity", "-Infinity"; CSV has one column per layer field.
 */
import { describe, expect, test } from 'vitest';
import { makeRng } from './rng.ts';
import { csvHeader, parseRecordJson, recordToCsv, recordToJson, type StepRecord } from './records.ts';
import { ROW, decodeRow, rowLength } from './rows.ts';

/**
 * A record of step 3 at lr 0.01 from `values`: loss, acc, gradNorm, gradNormClipped,
 * status, evaluated, testLoss, testAcc, then per layer gradNorm, gradNormClipped,
 * weightNorm, updateNorm, actGradNorm. The data loss is the loss (no penalty); the
 * kernel-only norms are 0.
 */
function record(values: number[], label = 'A'): StepRecord {
  const names = ['dense1', 'dense2'];
  const buf = new Float32Array(rowLength(names.length));
  const v = (i: number) => values[i] ?? 0;
  const head: [number, number][] = [
    [ROW.step, 3],
    [ROW.lr, 0.01],
    [ROW.loss, v(0)],
    [ROW.dataLoss, v(0)],
    [ROW.penalty, 0],
    [ROW.acc, v(1)],
    [ROW.gradNorm, v(2)],
    [ROW.gradNormClipped, v(3)],
    [ROW.status, v(4)],
    [ROW.evaluated, v(5)],
    [ROW.testLoss, v(6)],
    [ROW.testAcc, v(7)],
  ];
  for (const [at, x] of head) buf[at] = x;
  for (let l = 0; l < names.length; l++) for (let k = 0; k < 5; k++) buf[ROW.HEAD + l * ROW.PER_LAYER + k] = v(8 + 5 * l + k);
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
    const kernel = { kernelGradNorm: 0, kernelWeightNorm: 0, kernelUpdateNorm: 0 };
    expect(r.layers).toEqual([
      { name: 'dense1', gradNorm: 10, gradNormClipped: 11, weightNorm: 12, updateNorm: 13, actGradNorm: 14, ...kernel },
      { name: 'dense2', gradNorm: 20, gradNormClipped: 21, weightNorm: 22, updateNorm: 23, actGradNorm: 24, ...kernel },
    ]);
    expect(r.dataLoss).toBeCloseTo(0.7, 6);
    expect(r.penalty).toBe(0);
    expect(record([0.7, 0.5, 1, 1, 0, 0, 0.6]).testLoss).toBeUndefined();
  });
});

describe('CSV', () => {
  test('header and row: per-layer columns in the given order; labels quoted when needed', () => {
    const names = ['dense1', 'dense2', 'dense3'];
    const header = csvHeader(names).split(',');
    expect(header.slice(0, 13)).toEqual(['run', 'label', 'step', 'loss', 'acc', 'lr', 'gradNorm', 'gradNormClipped', 'status', 'testLoss', 'testAcc', 'dataLoss', 'penalty']);
    expect(header.slice(13, 21)).toEqual([
      'dense1.gradNorm',
      'dense1.gradNormClipped',
      'dense1.weightNorm',
      'dense1.updateNorm',
      'dense1.actGradNorm',
      'dense1.kernelGradNorm',
      'dense1.kernelWeightNorm',
      'dense1.kernelUpdateNorm',
    ]);
    expect(header).toHaveLength(13 + 24);
    const r = record([NaN, 0.5, 2, 1, 1, 0, 0, 0, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24], 'a, "b"');
    const row = recordToCsv(r, names);
    expect(row.startsWith('1,"a, ""b""",3,NaN,0.5,0.01,2,1,clipped,,,NaN,0,10,11,12,13,14,0,0,0,20,21,22,23,24,0,0,0')).toBe(true);
    // dense3 is missing from this run: empty cells
    expect(row.endsWith(',,,,,,,,')).toBe(true);
  });

  test('a label that a spreadsheet would run as a formula is written as text; negative numbers stay numbers', () => {
    const r = record([-0.5, 0.5, 2, 1, 0, 1, -1.5, 0.25, -10], '=1+1');
    const row = recordToCsv(r, ['dense1']);
    expect(row.startsWith("1,'=1+1,3,-0.5,0.5,0.01,2,1,ok,-1.5,0.25,-0.5,0,-10,")).toBe(true);
    for (const label of ['+1', '-1', '@A1', '\tx']) expect(recordToCsv(record([0], label), []).split(',')[1]).toBe(`'${label}`);
  });
});
