/**
 * The one number and CSV format of step records and sweep results: float32 values
 * (measured on the device) in their shortest exact form, float64 values (config
 * values, swept parameters) in full, non-finite numbers as strings, CSV cells quoted.
 */
import { describe, expect, test } from 'vitest';
import { makeRng } from './rng.ts';
import { csvCell, jsonNumber, parseJsonLine, toJsonLine } from './format.ts';
import { parseRecordJson, recordToCsv, recordToJson, type StepRecord } from './records.ts';
import { parseSweepLine, trialsToCsv, trialToJson } from './sweep/format.ts';
import { failedResult, type TrialResult } from './sweep/result.ts';
import type { TrialSpec } from './sweep/planner.ts';

/** The shortest decimal (1..9 significant digits) that reads back as the float32 x. */
function shortestFloat32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  throw new Error(`no decimal for ${x}`);
}

/** Random float32 values from random bit patterns (normal, subnormal, huge and tiny). */
function float32s(n: number, seed: string): number[] {
  const rng = makeRng(seed);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  const out: number[] = [];
  while (out.length < n) {
    bits[0] = Math.floor(rng.next() * 2 ** 32);
    if (Number.isFinite(f[0])) out.push(f[0]);
  }
  return out;
}

describe('jsonNumber', () => {
  test('float32: the shortest decimal that reads back as the same float32, subnormals included', () => {
    for (const x of [...float32s(10_000, 'format'), Math.fround(0.1), Math.fround(1e-45), -Math.fround(3.4e38), 0, 1, 16777216]) {
      const y = jsonNumber(x, 'float32');
      expect(typeof y).toBe('number');
      expect(Math.fround(y as number)).toBe(x);
      expect(y).toBe(shortestFloat32(x));
    }
    expect(jsonNumber(Math.fround(0.1), 'float32')).toBe(0.1);
  });

  test('float64: the value itself, even when it happens to be a float32', () => {
    const x = Math.fround(0.3); // 0.30000001192092896, a float64 like any other
    expect(jsonNumber(x)).toBe(x);
    expect(jsonNumber(x, 'float64')).toBe(x);
    expect(jsonNumber(0.1)).toBe(0.1);
    expect(jsonNumber(2 ** 30)).toBe(2 ** 30);
    // a float32 value given as float64 is not rounded either way
    expect(JSON.parse(toJsonLine({ a: x, b: x }, new Set(['b'])))).toEqual({ a: x, b: 0.3 });
  });

  test('a float64 that is not a float32 is written in full even as float32', () => {
    expect(jsonNumber(0.1, 'float32')).toBe(0.1);
    expect(jsonNumber(Math.PI, 'float32')).toBe(Math.PI);
  });

  test('non-finite numbers are strings, and come back as numbers', () => {
    for (const p of ['float32', 'float64'] as const) {
      expect(jsonNumber(NaN, p)).toBe('NaN');
      expect(jsonNumber(Infinity, p)).toBe('Infinity');
      expect(jsonNumber(-Infinity, p)).toBe('-Infinity');
    }
    const line = toJsonLine({ a: NaN, b: [Infinity, -Infinity, 1.5], c: { d: -0.25 } });
    expect(line).toBe('{"a":"NaN","b":["Infinity","-Infinity",1.5],"c":{"d":-0.25}}');
    expect(parseJsonLine(line)).toEqual({ a: NaN, b: [Infinity, -Infinity, 1.5], c: { d: -0.25 } });
  });
});

describe('csvCell', () => {
  test('numbers as in JSON; text quoted when it holds a comma, a quote or a line break; nothing for a missing value', () => {
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(Math.fround(0.1), 'float32')).toBe('0.1');
    expect(csvCell(NaN)).toBe('NaN');
    expect(csvCell(-Infinity)).toBe('-Infinity');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a, "b"')).toBe('"a, ""b"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  test('text that a spreadsheet would run as a formula gets a leading quote; negative numbers stay numbers', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('-0.5')).toBe("'-0.5"); // text, even when it reads as a number
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('a=1')).toBe('a=1');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(-Infinity)).toBe('-Infinity');
    expect(csvCell(-3, 'float32')).toBe('-3');
  });
});

describe('both formats use it', () => {
  const spec: TrialSpec = {
    index: 0,
    point: 0,
    variant: 0,
    variantLabel: 'A',
    params: { 'optimizer.lr': Math.fround(0.3) },
    values: [Math.fround(0.3)],
    unit: [0.5],
    chosenBy: 'grid',
    round: 0,
    objective: 'final_loss',
    config: null,
  };

  test('sweep lines: a swept parameter keeps every digit; measured values take float32 digits, at most 9', () => {
    for (const x of float32s(500, 'sweep').map(Math.abs)) {
      const r: TrialResult = { ...failedResult(spec, 'error', 'x'), status: 'ok', objective: x, finalLoss: x, maxGradNorm: x };
      const back = parseSweepLine(trialToJson(r)) as unknown as TrialResult;
      expect(back.params['optimizer.lr']).toBe(Math.fround(0.3));
      expect(back.values).toEqual([Math.fround(0.3)]);
      expect(back.finalLoss).toBe(shortestFloat32(x));
      expect(back.maxGradNorm).toBe(shortestFloat32(x));
      const row = trialsToCsv([r], ['optimizer.lr']).split('\n')[1].split(',');
      expect(row[6]).toBe('0.30000001192092896');
      expect(Number(row[12])).toBe(shortestFloat32(x)); // finalLoss
    }
  });

  test('sweep CSV: a label that a spreadsheet would run as a formula is written as text', () => {
    const r: TrialResult = { ...failedResult({ ...spec, variantLabel: '=1+1' }, 'error', 'x'), status: 'ok', objective: -0.5 };
    const row = trialsToCsv([r], ['optimizer.lr']).split('\n')[1].split(',');
    expect(row[3]).toBe("'=1+1");
    expect(row[8]).toBe('-0.5');
  });

  test('step records: device values, the learning rate among them (the float32 the step used), in float32 digits', () => {
    const lr = Math.fround(0.3);
    const r: StepRecord = { run: 0, label: 'A', step: 1, loss: Math.fround(0.1), dataLoss: Math.fround(0.1), penalty: 0, acc: 0.5, lr, gradNorm: 2, gradNormClipped: 2, status: 'ok', layers: [] };
    const text = recordToJson(r);
    expect(text).toContain('"loss":0.1,');
    expect(text).toContain('"lr":0.3,');
    expect(Math.fround(parseRecordJson(text).lr)).toBe(lr);
    expect(recordToCsv(r, [])).toBe('0,A,1,0.1,0.5,0.3,2,2,ok,,,0.1,0');
  });
});
