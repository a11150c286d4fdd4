/**
 * Every preset is a valid experiment (and a share URL that decodes back to
 * it), and its runs do what its text promises when trained in Node: the
 * diverging ones diverge, the rescued ones stay finite.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { loadDigitsInNode } from '../node/digits.ts';
import { parseExperiment } from '../engine/config.ts';
import { parseFragment, shareUrl } from '../engine/shareLink.ts';
import type { StepRecord } from '../engine/records.ts';
import { Trainer } from '../engine/trainer.ts';
import { PRESETS, STARTER_ID, findPreset, nextPreset, presetExperiment, startingExperiment } from './presets.ts';

beforeAll(async () => {
  await setNodeBackend('wasm');
  loadDigitsInNode();
});

describe('preset definitions', () => {
  test('every preset validates, round-trips through a share URL and is recognised', () => {
    const ids = new Set<string>();
    for (const p of PRESETS) {
      expect(ids.has(p.id), `duplicate id ${p.id}`).toBe(false);
      ids.add(p.id);
      const r = parseExperiment(p.input);
      expect(r.ok, `${p.id}: ${r.ok ? '' : r.errors.join('; ')}`).toBe(true);
      const exp = presetExperiment(p);
      expect(p.expect.length).toBe(exp.runs.length);
      const labels = exp.runs.map((run) => run.label);
      expect(new Set(labels).size, `${p.id}: run labels must differ`).toBe(labels.length);
      const back = parseFragment(shareUrl(exp)).experiment;
      expect(back?.ok && back.value).toEqual(exp);
      expect(findPreset(exp)?.id).toBe(p.id);
      // two or three sentences of what to watch for
      const sentences = p.watch.split(/(?<=[.!?])\s+(?=[A-Z])/).filter((s) => s.trim());
      expect(sentences.length, `${p.id}: ${sentences.length} sentences`).toBeGreaterThanOrEqual(2);
      expect(sentences.length, `${p.id}: ${sentences.length} sentences`).toBeLessThanOrEqual(3);
    }
    for (const id of ['explode', 'clip-rescue', 'he-vs-xavier', 'sigmoid-vanishing', 'batchnorm', 'residual', 'adam-vs-sgd', 'agc-vs-global']) {
      expect(ids.has(id), id).toBe(true);
    }
  });
});

async function train(p: (typeof PRESETS)[number], run: number): Promise<StepRecord[]> {
  const cfg = presetExperiment(p).runs[run];
  // wasm cannot train conv nets (tfjs 4.22): the CLI's rule, cpu for a CNN.
  await setNodeBackend(cfg.model.arch === 'cnn' ? 'cpu' : 'wasm');
  const tr = new Trainer({ ...cfg, train: { ...cfg.train, evalEvery: 0 } });
  const out: StepRecord[] = [];
  try {
    while (tr.step < p.checkSteps) {
      const rs = await tr.runSteps(Math.min(10, p.checkSteps - tr.step));
      out.push(...rs);
      if (rs.some((r) => r.status === 'diverged')) break;
    }
  } finally {
    tr.dispose();
  }
  return out;
}

describe('presets do what they say (Node, wasm)', () => {
  for (const p of PRESETS) {
    test(`${p.id}: ${p.expect.join(', ')}`, async () => {
      const exp = presetExperiment(p);
      for (let i = 0; i < exp.runs.length; i++) {
        const recs = await train(p, i);
        const diverged = recs.find((r) => r.status === 'diverged');
        const label = `${p.id} run ${i} (${exp.runs[i].label})`;
        if (p.expect[i] === 'diverges') {
          expect(diverged, `${label} should diverge within ${p.checkSteps} steps`).toBeDefined();
        } else {
          expect(diverged, `${label} diverged at step ${diverged?.step}`).toBeUndefined();
          expect(recs.length).toBe(p.checkSteps);
          for (const r of recs) expect(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm), `${label} step ${r.step}`).toBe(true);
        }
        if (p.id === 'digits-cnn') {
          // The text: the unhelped net's gradient jumps to ~1e3 and it dies at ln 10; clipping and BatchNorm keep learning.
          const maxG = Math.max(...recs.map((r) => r.gradNorm));
          const last = recs.slice(-5).reduce((a, r) => a + r.loss, 0) / 5; // batch losses are noisy: the mean of the last five
          if (i === 0) {
            expect(maxG, label).toBeGreaterThan(300);
            expect(Math.abs(last - Math.log(10)), `${label}: last loss ${last}`).toBeLessThan(0.1);
          } else expect(last, `${label}: last loss ${last}`).toBeLessThan(i === 2 ? 2.1 : recs[0].loss / 3);
        }
        if (p.id === 'scaling') {
          if (i === 0) expect(diverged!.step, label).toBeLessThanOrEqual(5);
          else expect(recs[recs.length - 1].acc, `${label}: batch R²`).toBeGreaterThan(0.8);
        }
        if (p.id === 'agc-vs-global' && exp.runs[i].stabilizers.clip.mode === 'agc') {
          // AGC bounds every layer's relative update by lr·τ (the text says so)
          const bound = exp.runs[i].optimizer.lr * exp.runs[i].stabilizers.clip.threshold;
          for (const r of recs) for (const l of r.layers) expect(l.updateNorm / l.weightNorm, `${r.step} ${l.name}`).toBeLessThanOrEqual(bound * 1.01);
        }
      }
      // Conv nets train on the cpu backend: seconds a step on a busy machine.
    }, p.id === 'digits-cnn' ? 900_000 : undefined);
  }

  test('the starting experiment learns in seconds: test accuracy above 90% by step 300, no layer exploding or vanishing', async () => {
    const exp = startingExperiment();
    expect(findPreset(exp)?.id).toBe(STARTER_ID);
    expect(nextPreset(STARTER_ID)?.expect).toContain('diverges');
    const cfg = exp.runs[0];
    const tr = new Trainer({ ...cfg, train: { ...cfg.train, evalEvery: 100, steps: 300 } });
    const recs: StepRecord[] = [];
    try {
      while (tr.step < 300) recs.push(...(await tr.runSteps(50)));
    } finally {
      tr.dispose();
    }
    const evals = recs.filter((r) => r.testAcc !== undefined);
    expect(evals.at(-1)!.step).toBe(299);
    expect(evals.at(-1)!.testAcc).toBeGreaterThan(0.9);
    for (const r of recs) for (const l of r.layers) expect(l.gradNorm > 0.005 && l.gradNorm < 10, `step ${r.step} ${l.name}: ${l.gradNorm}`).toBe(true);
  });

  test('vanishing presets: the first layer gets a far smaller back-propagated signal than the last hidden layer at step 0', async () => {
    const ratio = async (id: string, run: number) => {
      const p = PRESETS.find((q) => q.id === id)!;
      const [r0] = await train({ ...p, checkSteps: 1 }, run);
      const L = r0.layers.length;
      return r0.layers[0].actGradNorm / r0.layers[L - 2].actGradNorm;
    };
    expect(await ratio('sigmoid-vanishing', 0)).toBeLessThan(1e-4);
    expect(await ratio('sigmoid-vanishing', 1)).toBeGreaterThan(0.1);
    expect(await ratio('he-vs-xavier', 1)).toBeLessThan(1e-2);
    expect(await ratio('he-vs-xavier', 0)).toBeGreaterThan(0.1);
    expect(await ratio('residual', 0)).toBeLessThan(1e-2);
    expect(await ratio('residual', 1)).toBeGreaterThan(0.3);
  });
});
