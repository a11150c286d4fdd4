/**
 * `gradscope run <file>` reads the experiment of a page export: the JSON
 * document, the JSONL file and the CSV file, of any size (the experiment is on
 * the first line), and trains it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultRunConfig, type Experiment } from '../engine/config.ts';
import { shareUrl } from '../engine/shareLink.ts';
import { exportCsv, exportJson, exportJsonl, type ExportInput } from '../engine/exportDoc.ts';
import type { StepRecord } from '../engine/records.ts';
import { captureMain } from './captureMain.ts';
import { MAX_CONFIG_BYTES, loadConfigArg } from './io.ts';

const TMP = mkdtempSync(join(tmpdir(), 'gradscope-export-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(TMP, `f${n++}`);
  writeFileSync(path, text);
  return path;
}

const EXP: Experiment = { v: 1, runs: [defaultRunConfig({ label: 'mine', seed: 7, data: { name: 'moons', samples: 64 }, model: { hidden: [4, 4] } })] };

function exported(records: number): ExportInput {
  const rec = (step: number): StepRecord => ({
    run: 0,
    label: 'mine',
    step,
    loss: 0.69,
    dataLoss: 0.69,
    penalty: 0,
    acc: 0.5,
    lr: 0.01,
    gradNorm: 1,
    gradNormClipped: 1,
    status: 'ok',
    layers: ['dense1', 'dense2', 'dense3'].map((name) => ({ name, gradNorm: 1, gradNormClipped: 1, weightNorm: 1, updateNorm: 0.01, actGradNorm: 0.1, kernelGradNorm: 0.9, kernelWeightNorm: 0.9, kernelUpdateNorm: 0.009 })),
  });
  return { experiment: EXP, url: shareUrl(EXP), runs: [{ run: 0, label: 'mine', keptEvery: 1, records: Array.from({ length: records }, (_, s) => rec(s)) }] };
}

describe('a page export as the config', () => {
  test('the JSON document, JSONL and CSV, small and over the config size limit', () => {
    for (const records of [3, 15_000]) {
      const x = exported(records);
      const texts = [exportJson(x), exportJsonl(x), exportCsv(x)];
      if (records > 3) for (const t of texts) expect(t.length).toBeGreaterThan(MAX_CONFIG_BYTES);
      for (const t of texts) expect(loadConfigArg(file(t))).toEqual({ ok: true, value: EXP });
    }
    // The document as JSON text on the command line, and re-formatted by another tool.
    const doc = exportJson(exported(3));
    expect(loadConfigArg(doc)).toEqual({ ok: true, value: EXP });
    expect(loadConfigArg(file(JSON.stringify(JSON.parse(doc), null, 2)))).toEqual({ ok: true, value: EXP });
  });

  test('a large file that is not an export is still refused by its size', () => {
    const r = loadConfigArg(file(`{"v":1,"runs":[{"label":"${'x'.repeat(MAX_CONFIG_BYTES)}"}]}`));
    expect(r).toEqual({ ok: false, errors: [expect.stringMatching(/^config: file is \d+ bytes, at most 1000000 allowed$/)] });
  });

  test('gradscope run trains the exported experiment', { timeout: 120_000 }, async () => {
    const r = await captureMain(['run', file(exportJson(exported(15_000))), '--steps', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as StepRecord);
    expect(lines.map((l) => [l.label, l.step, l.layers.length])).toEqual([
      ['mine', 0, 3],
      ['mine', 1, 3],
      ['mine', 2, 3],
    ]);
  });
});
