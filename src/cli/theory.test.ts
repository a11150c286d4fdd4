/**
 * `gradscope theory`: the predicted per-layer profile at initialization against
 * the measured step-0 records, the command's output and its failures.
 *
 * The nets are the ones of the report that the single-q line failed on: 16
 * hidden layers of 128 units, batch 256, the default spiral data, seed 1.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, type RunConfigInput } from '../engine/config.ts';
import { parseJsonLine } from '../engine/format.ts';
import { layerNamesFor } from '../engine/model.ts';
import { THEORY_NOTES, netSpecOf, predictedActGradNorms, predictedProfile } from '../engine/theory.ts';
import { captureMain, type Result } from './captureMain.ts';
import { theoryLine, type TheoryLine, type TheoryRun } from './theory.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

const DEEP = Array(16).fill(128);
const net = (model: RunConfigInput['model']) => defaultRunConfig({ model: { hidden: DEEP, ...model }, optimizer: { lr: 0 }, train: { batchSize: 256 } });

const relErrors = (pred: number[], measured: number[]) => pred.map((p, l) => p / measured[l] - 1);
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');

describe('the per-example line against step 0 (16 × 128, batch 256)', () => {
  /**
   * `within`: bound on |predicted/measured − 1| at every layer from `from` on.
   * The first four meet 15% everywhere at this seed. That is one net: over seeds
   * 1–6 their worst layer is off by 5–28% (finite-width scatter of a single
   * initialization around the mean-field line), so these pin seed 1, they are
   * not a bound the theory promises. The two others miss 15% at the input end
   * for finite-width reasons (README, "Theory line"):
   *  - sigmoid, gain 4: the binary output sends every example's gradient along
   *    one vector and sigmoid's mean of ½ gives every example the same masks, so
   *    the batch is one random product of 15 matrices; the line is the mean over
   *    initializations and a single net sits 0.7–2.3× off it at dense1 (32
   *    seeds; theory.measured.test.ts). Near the anchor it holds.
   *  - residual ReLU: the line carries the part of ∂L/∂h along the all-positive
   *    stream from each example's ∂L/∂logits · logits (theory.ts); one net still
   *    scatters around it (here 21% above at dense3; the mean over 12
   *    initializations is within 8% at every layer, theory.measured.test.ts).
   */
  const CASES: { name: string; model: RunConfigInput['model']; within: number; from: number; lineAbove?: boolean }[] = [
    { name: 'tanh, normal, gain 1.5', model: { activation: 'tanh', init: 'normal', initGain: 1.5 }, within: 0.15, from: 0 },
    { name: 'tanh, normal, gain 3', model: { activation: 'tanh', init: 'normal', initGain: 3 }, within: 0.15, from: 0 },
    { name: 'selu, lecun_normal', model: { activation: 'selu', init: 'lecun_normal' }, within: 0.15, from: 0 },
    { name: 'elu, he_normal', model: { activation: 'elu', init: 'he_normal' }, within: 0.15, from: 0 },
    { name: 'sigmoid, normal, gain 4', model: { activation: 'sigmoid', init: 'normal', initGain: 4 }, within: 0.15, from: 9, lineAbove: true },
    { name: 'residual relu, he_normal', model: { activation: 'relu', init: 'he_normal', residual: true }, within: 0.25, from: 0 },
  ];
  const runs = new Map<string, TheoryRun>();
  beforeAll(async () => {
    for (const c of CASES) runs.set(c.name, await theoryLine(net(c.model), 0));
  }, 120_000);

  test.each(CASES)('$name', ({ name, model, within, from, lineAbove }) => {
    const r = runs.get(name)!;
    const err = relErrors(r.profile.actGradNorm, r.measured);
    const msg = `${name}: predicted/measured − 1 per layer: ${fmt(err)}`;
    console.info(`[theory] ${msg}`);
    for (let l = from; l < err.length; l++) expect(Math.abs(err[l]), `${msg} (layer ${l + 1})`).toBeLessThan(within);
    if (lineAbove !== undefined) {
      // the documented direction of the finite-width gap at the input end
      expect(err[0] > 0, msg).toBe(lineAbove);
      expect(Math.abs(err[0]), msg).toBeLessThan(0.5);
    }
    // The output layer's entry is the anchor itself.
    expect(r.profile.actGradNorm.at(-1)).toBe(r.anchor);
    expect(r.anchor).toBe(r.measured.at(-1));
    // The per-example squares are the anchor's split: their sum over B² is the anchor² (float32 record).
    const sum = r.exampleSquares.reduce((a, b) => a + b, 0) / 256 ** 2;
    expect(Math.abs(Math.sqrt(sum) / r.anchor - 1)).toBeLessThan(1e-5);
    // One q per layer from the data's mean x² (the teaching χ's recursion) is far off
    // for the smooth activations, where the spread of ‖x‖ over the batch matters.
    if (model?.activation !== 'relu' && model?.activation !== 'sigmoid') {
      const spec = netSpecOf(net(model))!;
      const single = predictedProfile({ ...spec, batch: undefined }, r.anchor).actGradNorm;
      expect(single[0] / r.measured[0], `${name}: the single-q line at dense1`).toBeLessThan(0.7);
    }
  });

  test('the page draws its line with the same function, anchored at the same measured ‖∂L/∂logits‖', () => {
    for (const c of CASES) {
      const r = runs.get(c.name)!;
      const spec = netSpecOf(net(c.model))!;
      // the CLI's line is predictedProfile on the page's spec, split by the measured per-example squares
      expect(predictedProfile(spec, r.anchor, r.exampleSquares, r.streamSquares).actGradNorm).toEqual(r.profile.actGradNorm);
      expect(r.layers.map((l) => l.actGradNorm)).toEqual(r.profile.actGradNorm);
      expect(r.layers.map((l) => l.factor)).toEqual(r.profile.factor);
      // the page passes no per-example squares (a step record has only their sum): the theory's shares
      const page = predictedActGradNorms(spec, r.anchor);
      expect(page.at(-1)).toBe(r.anchor);
      if (c.model?.activation === 'relu') {
        // ReLU's χ does not depend on q: the shares cannot matter; the page takes the stream
        // part at its average over output kernels, as the line does without each example's e²
        const averaged = predictedProfile(spec, r.anchor, r.exampleSquares).actGradNorm;
        page.forEach((p, l) => expect(p / averaged[l]).toBeCloseTo(1, 12));
      } else {
        page.forEach((p, l) => expect(Math.abs(p / r.profile.actGradNorm[l] - 1), `${c.name} layer ${l + 1}`).toBeLessThan(0.25));
      }
    }
  });

  test('factor is the ratio of the predicted squared norms; dense1 maps to the data, the output layer is σ_w²', () => {
    const r = runs.get('tanh, normal, gain 3')!;
    const a = r.profile.actGradNorm;
    for (let l = 1; l < a.length; l++) expect(r.profile.factor[l]).toBeCloseTo((a[l - 1] / a[l]) ** 2, 10);
    expect(r.profile.factor.at(-1)).toBeCloseTo(9, 12);
    // toward the input the factor settles at χ₁ of tanh at gain 3 (≈ 1.86) and is larger
    // in the first layers, where the examples with small ‖x‖ are still in tanh's linear part
    expect(r.profile.factor[10]).toBeCloseTo(1.86, 2);
    expect(r.profile.factor[1]).toBeGreaterThan(3);
    expect(r.layers.map((l) => l.name)).toEqual(layerNamesFor(net({}).model));
  });
});

// ---------------------------------------------------------------- the command

const CFG = JSON.stringify({ label: 'T', model: { hidden: [32, 32, 32], activation: 'tanh', init: 'normal', initGain: 2 }, train: { batchSize: 64 } });
const EXP = JSON.stringify({
  v: 1,
  runs: [
    { label: 'a', model: { hidden: [16, 16] } },
    { label: 'b', seed: 3, model: { hidden: [8, 8, 8], activation: 'selu', init: 'lecun_normal' }, data: { name: 'moons', samples: 64 } },
  ],
});

describe('gradscope theory', () => {
  test('--help', async () => {
    const r = await captureMain(['theory', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gradscope theory <config>/);
    expect(r.stdout).toContain('"layers":[{"name":"dense1","factor"');
    const main = await captureMain(['--help']);
    expect(main.stdout).toMatch(/gradscope theory <config> +the theory line/);
  });

  test('one JSON object per run, in the layer order of the step records, equal to the engine’s line', async () => {
    const r = await captureMain(['theory', EXP]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => parseJsonLine<TheoryLine>(l));
    expect(lines.map((l) => [l.run, l.label])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(Object.keys(lines[0])).toEqual(['run', 'label', 'layers']);
    expect(lines[0].layers.map((l) => l.name)).toEqual(['dense1', 'dense2', 'dense3']);
    expect(lines[1].layers.map((l) => l.name)).toEqual(['dense1', 'dense2', 'dense3', 'dense4']);
    for (const l of lines.flatMap((x) => x.layers)) {
      expect(Object.keys(l)).toEqual(['name', 'factor', 'actGradNorm']);
      expect(l.factor).toBeGreaterThan(0);
      expect(l.actGradNorm).toBeGreaterThan(0);
    }
    // the same numbers as the engine function on the run's step 0
    const exp = JSON.parse(EXP) as { runs: RunConfigInput[] };
    const again = await theoryLine(defaultRunConfig(exp.runs[1]), 1);
    expect(lines[1].layers).toEqual(again.layers);
  }, 60_000);

  test('a run in a regime the line leaves out carries the page’s note', async () => {
    const r = await captureMain(['theory', '{"model":{"hidden":[16,16,16],"residual":true},"train":{"batchSize":16}}', '--backend', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    const line = parseJsonLine<TheoryLine>(r.stdout.trim());
    expect(Object.keys(line)).toEqual(['run', 'label', 'layers', 'note']);
    expect(line.note).toBe(THEORY_NOTES['residual-relu']);
  }, 60_000);

  test.each([
    ['no config', ['theory'], /expects exactly one <config>/],
    ['two configs', ['theory', CFG, CFG], /expects exactly one <config>/],
    ['bad JSON', ['theory', '{"model":'], /config/],
    ['invalid field', ['theory', '{"model":{"initGain":-1}}'], /model\.initGain/],
    ['a CNN', ['theory', '{"model":{"arch":"cnn"},"data":{"name":"shapes"}}'], /run 0 \("A"\) is a CNN: the theory line is for plain MLPs/],
    ['normalization', ['theory', '{"model":{"norm":"batch"}}'], /uses batch normalization/],
    ['bad option', ['theory', CFG, '--steps', '3'], /steps/],
    ['bad backend', ['theory', CFG, '--backend', 'gpu'], /--backend: must be auto, cpu or wasm/],
  ])('%s: exit 2, one line, nothing on stdout', async (_name, argv, message) => {
    const r: Result = await captureMain(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('the binary: stdout carries the lines, exit 0', async () => {
    const ROOT = resolve(import.meta.dirname, '../..');
    const r = await new Promise<Result>((done) =>
      execFile(process.execPath, [join(ROOT, 'bin/gradscope.mjs'), 'theory', CFG, '--backend', 'cpu'], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) =>
        done({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout, stderr }),
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const [line, ...rest] = r.stdout.trim().split('\n');
    expect(rest).toEqual([]);
    const obj = parseJsonLine<TheoryLine>(line);
    expect(obj.label).toBe('T');
    expect(obj.layers.map((l) => l.name)).toEqual(['dense1', 'dense2', 'dense3', 'dense4']);
  }, 120_000);
});
