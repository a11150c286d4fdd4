/**
 * CSV files: every malformed file is refused with a message that names where
 * (the row, counting the header as row 1, and the column), none crashes;
 * classification or regression is decided from the target column.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CSV_LIMITS, csvExamples, parseCsvData, parseCsvTable } from './csv.ts';

const HEADER = ['a', 'b', 'c', 'y'];

/** A valid table: numeric features, a target of 2..4 classes. */
const validTable = fc
  .array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -5, max: 5, noNaN: true }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 3 })), { minLength: 4, maxLength: 40 })
  .map((rows) => {
    rows[0][3] = 0;
    rows[1][3] = 1; // at least two classes
    return rows.map((r) => r.map(String));
  });

function toCsv(rows: string[][], header = HEADER): string {
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

type Mutation = { kind: string; apply: (rows: string[][]) => { text: string; where: RegExp } };

const mutations = (row: number, col: number, junk: string): Mutation[] => [
  {
    kind: 'non-numeric cell',
    apply: (rows) => {
      const r = row % rows.length;
      const c = col % 3; // a feature column
      rows[r][c] = junk;
      return { text: toCsv(rows), where: new RegExp(`^row ${r + 2}, column "${HEADER[c]}": `) };
    },
  },
  {
    kind: 'empty cell',
    apply: (rows) => {
      const r = row % rows.length;
      const c = col % 3;
      rows[r][c] = '';
      return { text: toCsv(rows), where: new RegExp(`^row ${r + 2}, column "${HEADER[c]}": an empty cell`) };
    },
  },
  {
    kind: 'ragged row',
    apply: (rows) => {
      const r = row % rows.length;
      if (col % 2 === 0) rows[r].push('1');
      else rows[r].pop();
      return { text: toCsv(rows), where: new RegExp(`^row ${r + 2}: \\d cells?, the header has 4 columns`) };
    },
  },
  {
    kind: 'single class',
    apply: (rows) => {
      for (const r of rows) r[3] = '7';
      return { text: toCsv(rows), where: /^column "y" \(the target\) has the same value/ };
    },
  },
  { kind: 'empty file', apply: () => ({ text: ['', '\n', '  \n\n', '\ufeff'][col % 4], where: /^the file is empty/ }) },
  { kind: 'header only', apply: () => ({ text: `${HEADER.join(',')}\n`, where: /^the file has 0 data rows/ }) },
  {
    kind: 'too many columns',
    apply: () => {
      const header = Array.from({ length: CSV_LIMITS.maxColumns + 1 + (col % 5) }, (_, k) => `c${k}`);
      return { text: toCsv([header.map(() => '1'), header.map(() => '2')], header), where: /^row 1 \(the header\): \d+ columns, at most 64 allowed/ };
    },
  },
  {
    kind: 'too many rows',
    apply: () => {
      const n = CSV_LIMITS.maxRows + 1;
      const rows = Array.from({ length: n }, (_, k) => ['1', '2', '3', String(k % 2)]);
      return { text: toCsv(rows), where: new RegExp(`^row ${n + 1}: more than ${CSV_LIMITS.maxRows} data rows`) };
    },
  },
  {
    kind: 'over the size limit',
    apply: () => ({ text: `a,y\n${'1,0\n'.repeat(Math.ceil(CSV_LIMITS.maxBytes / 4) + 1 + col)}`, where: /^the file is 1,0\d\d,\d\d\d bytes \(1\.0 MB\), at most 1,000,000 allowed/ }),
  },
  {
    kind: 'duplicate column name',
    apply: (rows) => ({ text: toCsv(rows, ['a', 'b', 'a', 'y']), where: /^row 1 \(the header\), column 3: the name "a" appears twice/ }),
  },
  {
    kind: 'too many classes',
    apply: (rows) => {
      const many = Array.from({ length: 12 }, (_, k) => ['1', '2', '3', `class${k}`]);
      return { text: toCsv([...rows, ...many]), where: /^column "y" \(the target\) has \d+ distinct values, at most 10 classes/ };
    },
  },
  {
    kind: 'unclosed quote',
    apply: (rows) => {
      const r = row % rows.length;
      rows[r][0] = '"12';
      return { text: toCsv(rows), where: /^row \d+: .*quoted cell is not closed/ };
    },
  },
];

describe('malformed CSV files', () => {
  test('each is refused with a message naming where; none throws (fast-check)', () => {
    const junk = fc.constantFrom('abc', '1.2.3', 'NaN', 'Infinity', '0x10', '1e999', '--1', '12abc', 'yes', '€');
    fc.assert(
      fc.property(validTable, fc.nat(1000), fc.nat(1000), junk, fc.nat(11), (rows, row, col, j, m) => {
        const mut = mutations(row, col, j)[m];
        const { text, where } = mut.apply(rows.map((r) => [...r]));
        const r = parseCsvData(text, '', 'auto');
        expect(r.ok, mut.kind).toBe(false);
        if (!r.ok) expect(r.error, mut.kind).toMatch(where);
      }),
      { numRuns: 300 },
    );
  });

  test('the valid tables themselves parse (the mutations are what is refused)', () => {
    fc.assert(
      fc.property(validTable, (rows) => {
        const r = parseCsvData(toCsv(rows), '', 'auto');
        expect(r.ok).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('arbitrary text never throws: parsed, or refused with a one-line message', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: fc.constantFrom('1', '2', ',', '\n', '"', 'a', ' ', '.', '-', 'e', '\r', '\t') }), (text) => {
        const r = parseCsvData(text, '', 'auto');
        if (!r.ok) {
          expect(r.error.length).toBeGreaterThan(0);
          expect(r.error).not.toMatch(/undefined|\[object/);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('a target column that is not in the header is named with the columns', () => {
    const r = parseCsvData('a,b\n1,2\n3,4\n', 'price', 'auto');
    expect(r).toEqual({ ok: false, error: 'target column "price" is not in the header (columns: "a", "b")' });
  });
});

describe('classification or regression', () => {
  const table = (ys: string[]) => parseCsvTable(`x,y\n${ys.map((y, i) => `${i},${y}`).join('\n')}\n`);
  const task = (ys: string[], t: 'auto' | 'classification' | 'regression' = 'auto') => {
    const tb = table(ys);
    if (!tb.ok) throw new Error(tb.error);
    const r = csvExamples(tb.value, '', t);
    return r.ok ? r.value : r.error;
  };

  test('few whole-number values are classes, in numeric order', () => {
    const r = task(['2', '10', '2', '1']);
    expect(typeof r !== 'string' && [r.task, r.classNames, [...r.y]]).toEqual(['classification', ['1', '2', '10'], [1, 2, 1, 0]]);
  });
  test('text labels are classes', () => {
    const r = task(['setosa', 'virginica', 'setosa']);
    expect(typeof r !== 'string' && [r.task, r.classNames]).toEqual(['classification', ['setosa', 'virginica']]);
  });
  test('fractions, or more than 10 distinct values, are a regression', () => {
    expect(typeof task(['0.5', '1.5', '0.5']) !== 'string' && (task(['0.5', '1.5', '0.5']) as { task: string }).task).toBe('regression');
    const many = Array.from({ length: 11 }, (_, k) => String(k));
    const r = task(many);
    expect(typeof r !== 'string' && [r.task, r.t[10]]).toEqual(['regression', 10]);
  });
  test('chosen explicitly: 11 whole numbers as classes are refused, 3 as a regression are numbers', () => {
    expect(task(Array.from({ length: 11 }, (_, k) => String(k)), 'classification')).toMatch(/11 distinct values, at most 10 classes/);
    const r = task(['1', '2', '1'], 'regression');
    expect(typeof r !== 'string' && r.task).toBe('regression');
    expect(task(['1', 'x', '1'], 'regression')).toBe('row 3, column "y" (the target of a regression): "x" is not a number');
  });
  test('the target can be any column; the others are the features, in order', () => {
    const tb = parseCsvTable('a,label,b\n1,0,2\n3,1,4\n');
    if (!tb.ok) throw new Error(tb.error);
    const r = csvExamples(tb.value, 'label', 'auto');
    expect(r.ok && [r.value.features, [...r.value.x], [...r.value.y]]).toEqual([['a', 'b'], [1, 2, 3, 4], [0, 1]]);
  });
});
