/**
 * The page's exports stand alone: the JSON document, the JSONL file and the CSV
 * file each carry the experiment, and it reads back as the same experiment.
 */
import { describe, expect, test } from 'vitest';
import { defaultRunConfig, parseExperiment, type Experiment } from './config.ts';
import { shareUrl } from './shareLink.ts';
import { EXPORT_VERSION, exportCsv, exportJson, exportJsonl, exportedExperiment, keptNote, parseExperimentOrExport, type ExportInput } from './exportDoc.ts';
import { parseJsonLine } from './format.ts';
import { csvHeader, parseRecordJson, recordToCsv, recordToJson, type StepRecord } from './records.ts';

const EXP: Experiment = {
  v: 1,
  runs: [defaultRunConfig({ label: 'A', optimizer: { lr: 0.1 } }), defaultRunConfig({ label: 'B, "quoted"\nline', seed: 3, model: { hidden: [4] } })],
};

function rec(run: number, label: string, step: number, layers: string[], loss = 0.5 + step / 1000): StepRecord {
  return {
    run,
    label,
    step,
    loss: Math.fround(loss),
    dataLoss: Math.fround(loss),
    penalty: 0,
    acc: 0.5,
    lr: Math.fround(0.1),
    gradNorm: step === 2 ? Infinity : 1.5,
    gradNormClipped: step === 2 ? NaN : 1.5,
    status: step === 2 ? 'diverged' : 'ok',
    layers: layers.map((name) => ({ name, gradNorm: 1, gradNormClipped: 1, weightNorm: 2, updateNorm: 0.001, actGradNorm: 0.25, kernelGradNorm: 0.75, kernelWeightNorm: 1.5, kernelUpdateNorm: 0.001 })),
    ...(step === 3 ? { testLoss: 0.75, testAcc: 0.5 } : {}),
  };
}

function input(keptEvery = 1): ExportInput {
  const a = Array.from({ length: 5 }, (_, s) => rec(0, 'A', s, ['dense1', 'dense2', 'dense3', 'dense4']));
  const b = Array.from({ length: 3 }, (_, s) => rec(1, EXP.runs[1].label, s * keptEvery, ['dense1', 'dense2']));
  return {
    experiment: EXP,
    url: shareUrl(EXP, 'http://127.0.0.1:5173/', { backend: 'wasm' }),
    runs: [
      { run: 0, label: 'A', keptEvery: 1, records: a },
      { run: 1, label: EXP.runs[1].label, keptEvery, records: b },
    ],
  };
}

describe('the JSON document', () => {
  test('holds the experiment and every record of every run, in the contract format', () => {
    const x = input();
    const text = exportJson(x);
    const doc = parseJsonLine<{ gradscope: number; experiment: unknown; url: string; runs: { run: number; label: string; keptEvery: number; records: StepRecord[] }[] }>(text);
    expect(doc.gradscope).toBe(EXPORT_VERSION);
    expect(doc.url).toBe(x.url);
    const back = parseExperiment(doc.experiment);
    expect(back).toEqual({ ok: true, value: EXP });
    expect(doc.runs.map((r) => [r.run, r.label, r.keptEvery, r.records.length])).toEqual([
      [0, 'A', 1, 5],
      [1, EXP.runs[1].label, 1, 3],
    ]);
    // The records as the CLI's JSONL lines read back (float32 values in their shortest form).
    for (const k of [0, 1]) expect(doc.runs[k].records).toEqual(x.runs[k].records.map((r) => parseRecordJson(recordToJson(r))));
    // One record per line, written as the CLI writes them.
    const lines = text.split('\n');
    for (const r of x.runs.flatMap((run) => run.records)) expect(lines.some((l) => l.replace(/,$/, '') === recordToJson(r))).toBe(true);
    expect(text).toContain('"gradNorm":"Infinity"');
    expect(text).not.toContain('"note"');
  });

  test('a run with no records, and no runs at all, are still valid JSON', () => {
    const x = input();
    x.runs[1].records = [];
    expect(JSON.parse(exportJson(x)).runs[1].records).toEqual([]);
    expect(JSON.parse(exportJson({ ...x, runs: [] })).runs).toEqual([]);
  });

  test('a run that outgrew the record budget says which steps it holds', () => {
    const doc = JSON.parse(exportJson(input(4)));
    expect(doc.runs[1].keptEvery).toBe(4);
    expect(doc.runs[1].records.map((r: StepRecord) => r.step)).toEqual([0, 4, 8]);
    expect(doc.runs[1].note).toMatch(/only every 4th step was kept/);
    expect(doc.runs[0].note).toBeUndefined();
    expect(keptNote({ label: 'A', keptEvery: 2 })).toMatch(/every 2nd step/);
    expect(keptNote({ label: 'A', keptEvery: 1 })).toBeNull();
  });
});

describe('JSON lines', () => {
  test('a first line with the experiment, then one record per line', () => {
    const x = input(2);
    const lines = exportJsonl(x).trimEnd().split('\n');
    const head = JSON.parse(lines[0]);
    expect(head).not.toHaveProperty('step');
    expect(parseExperiment(head.experiment)).toEqual({ ok: true, value: EXP });
    expect(head.runs).toEqual([
      { run: 0, label: 'A', keptEvery: 1, records: 5 },
      { run: 1, label: EXP.runs[1].label, keptEvery: 2, note: keptNote(x.runs[1]), records: 3 },
    ]);
    expect(lines.slice(1)).toEqual(x.runs.flatMap((r) => r.records).map(recordToJson));
  });
});

describe('CSV', () => {
  test('a first line with the share URL, then the CLI’s header and rows', () => {
    const x = input();
    const lines = exportCsv(x).trimEnd().split('\n');
    expect(lines[0]).toBe(`# experiment: ${x.url}`);
    const names = ['dense1', 'dense2', 'dense3', 'dense4'];
    expect(lines[1]).toBe(csvHeader(names));
    // The label with a comma, quotes and a line break is one quoted cell: count rows by records.
    const body = lines.slice(2).join('\n');
    expect(body).toBe(x.runs.flatMap((r) => r.records).map((r) => recordToCsv(r, names)).join('\n'));
  });

  test('missing steps are named on the first line', () => {
    expect(exportCsv(input(3)).split('\n')[0]).toMatch(/^# experiment: \S+ \(run "B, \\"quoted\\"\\nline": only every 3rd step was kept/);
  });
});

describe('reading the experiment back', () => {
  test('from the first bytes of each format, however long the file', () => {
    const x = input();
    for (const text of [exportJson(x), exportJsonl(x), exportCsv(x)]) {
      expect(exportedExperiment(text)).toEqual({ ok: true, value: EXP });
      // Only the first line is needed.
      expect(exportedExperiment(text.slice(0, text.indexOf('\n') + 10))).toEqual({ ok: true, value: EXP });
      expect(parseExperimentOrExport(text)).toEqual({ ok: true, value: EXP });
    }
  });

  test('a re-formatted document, an experiment and a bare run config', () => {
    const pretty = JSON.stringify(JSON.parse(exportJson(input())), null, 2);
    expect(exportedExperiment(pretty)).toBeNull();
    expect(parseExperimentOrExport(pretty)).toEqual({ ok: true, value: EXP });
    // Not an export: left to config.ts's reading of experiments and run configs (bounded nesting).
    expect(parseExperimentOrExport(JSON.stringify(EXP))).toBeNull();
    expect(parseExperimentOrExport('{"seed":4}')).toBeNull();
    expect(parseExperimentOrExport('not json')).toBeNull();
    expect(exportedExperiment('{"v":1}')).toBeNull();
    expect(exportedExperiment('')).toBeNull();
  });

  test('refusals name the field inside the document', () => {
    const bad = exportJson({ ...input(), experiment: { v: 1, runs: [{ ...EXP.runs[0], train: { ...EXP.runs[0].train, steps: 0 } }] } });
    const r = exportedExperiment(bad);
    expect(r?.ok).toBe(false);
    expect(r && !r.ok && r.errors[0]).toMatch(/^experiment\.runs\[0\]\.train\.steps: /);
    expect(parseExperimentOrExport('{"gradscope":2,"experiment":{}}')).toEqual({ ok: false, errors: ['gradscope: this gradscope reads exports of version 1, got 2'] });
    expect(parseExperimentOrExport('{"gradscope":1}')).toMatchObject({ ok: false, errors: [expect.stringMatching(/^experiment: missing/)] });
    expect(exportedExperiment('# experiment: http://x/#backend=cpu\nstep')).toEqual({ ok: false, errors: ['# experiment: the link holds no experiment'] });
  });
});
