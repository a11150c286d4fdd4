/**
 * Mid-run changes: validated in the config, replayed by the trainer exactly as
 * a live edit at that step, and an optimizer switched mid-run starts afresh.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, parseRunConfig, type RunConfig, type RunConfigInput } from './config.ts';
import { CHANGE_PATHS, describeChange, latestSettings, settingsAt, withValue } from './changes.ts';
import { Trainer } from './trainer.ts';
import { createTrainer, trainRun } from './train.ts';
import type { StepRecord } from './records.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

const BASE: RunConfigInput = { model: { hidden: [12, 12], activation: 'tanh' }, data: { samples: 128 }, train: { batchSize: 16, steps: 12, evalEvery: 0 } };

function parse(input: unknown): ReturnType<typeof parseRunConfig> {
  return parseRunConfig(input, ['runs', 0]);
}

describe('the changes field', () => {
  test('valid changes parse; a run without changes has none', () => {
    const r = parse({ ...BASE, changes: [{ step: 3, path: 'optimizer.lr', value: 0.5 }, { step: 3, path: 'optimizer.name', value: 'adam' }] });
    expect(r.ok).toBe(true);
    const plain = parse(BASE);
    expect(plain.ok && plain.value.changes).toBeUndefined();
  });

  test('a path that cannot change mid-run, a bad value, a step out of order and __proto__ are refused with the field named', () => {
    const errors = (changes: unknown) => {
      const r = parse({ ...BASE, changes });
      return r.ok ? [] : r.errors;
    };
    expect(errors([{ step: 2, path: 'model.hidden', value: [4] }])[0]).toMatch(/^runs\[0\]\.changes\[0\]\.path: must be a field that can change mid-run/);
    expect(errors([{ step: 2, path: 'optimizer.lr', value: -1 }])[0]).toMatch(/^runs\[0\]\.changes\[0\]\.value: optimizer\.lr must be a number 0\.\.1000/);
    expect(errors([{ step: 5, path: 'optimizer.lr', value: 1 }, { step: 2, path: 'optimizer.lr', value: 2 }])[0]).toMatch(/changes\[1\]\.step: changes must be in step order/);
    expect(errors([{ step: 2, path: '__proto__.polluted', value: 1 }])[0]).toMatch(/changes\[0\]\.path/);
    expect(errors([{ step: 0, path: 'optimizer.lr', value: 1 }])[0]).toMatch(/changes\[0\]\.step: must be an integer 1\.\./);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(CHANGE_PATHS).toContain('optimizer.name');
    expect(CHANGE_PATHS).not.toContain('model.hidden');
    expect(CHANGE_PATHS).not.toContain('label');
  });

  test('settings at a step, the latest settings, and a readable description', () => {
    const cfg = defaultRunConfig({ ...BASE, changes: [{ step: 3, path: 'optimizer.lr', value: 0.5 }, { step: 7, path: 'optimizer.name', value: 'adam' }] });
    expect(settingsAt(cfg, 2).optimizer.lr).toBe(cfg.optimizer.lr);
    expect(settingsAt(cfg, 3).optimizer.lr).toBe(0.5);
    expect(settingsAt(cfg, 6).optimizer.name).toBe('sgd');
    expect(latestSettings(cfg).optimizer.name).toBe('adam');
    expect(cfg.optimizer.lr).toBe(0.01); // untouched: a copy
    expect(describeChange(cfg.changes![1], settingsAt(cfg, 6))).toBe('step 7: Optimizer sgd → adam');
    expect(() => withValue(cfg, 'model.hidden' as never, [1])).toThrow(/cannot change mid-run|not a field/);
  });
});

async function run(cfg: RunConfig, steps: number, edits: Record<number, (c: RunConfig) => RunConfig> = {}): Promise<StepRecord[]> {
  const t = new Trainer(cfg);
  const out: StepRecord[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      if (edits[s]) expect(t.updateConfig(edits[s](t.cfg))).toBe(true);
      out.push(...(await t.runSteps(1)));
    }
  } finally {
    t.dispose();
  }
  return out;
}

describe('replaying changes', () => {
  test('a replayed change gives the records of the same live edit at that step (lr, clipping, optimizer)', async () => {
    const changes = [
      { step: 3, path: 'optimizer.lr', value: 0.2 },
      { step: 5, path: 'stabilizers.clip.mode', value: 'global_norm' },
      { step: 8, path: 'optimizer.name', value: 'momentum' },
    ] as const;
    const replayed = await run(defaultRunConfig({ ...BASE, changes: [...changes] }), 12);
    const base = defaultRunConfig(BASE);
    const live = await run(base, 12, {
      3: (c) => withValue(c, 'optimizer.lr', 0.2),
      5: (c) => withValue(c, 'stabilizers.clip.mode', 'global_norm'),
      8: (c) => withValue(c, 'optimizer.name', 'momentum'),
    });
    expect(replayed).toEqual(live);
    expect(replayed[2].lr).toBeCloseTo(0.01, 7);
    expect(replayed[3].lr).toBeCloseTo(0.2, 7);
    // The records differ from the run without changes from step 3 on, not before.
    const plain = await run(base, 12);
    expect(replayed.slice(0, 3)).toEqual(plain.slice(0, 3));
    expect(replayed[3].layers[0].updateNorm).not.toBe(plain[3].layers[0].updateNorm);
  });

  test('an optimizer switched mid-run starts with fresh state: Adam\'s first step moves each weight by about lr', async () => {
    const lr = 0.003;
    const cfg = defaultRunConfig({ ...BASE, optimizer: { name: 'momentum', lr }, changes: [{ step: 6, path: 'optimizer.name', value: 'adam' }] });
    const rs = await run(cfg, 8);
    // Bias-corrected first Adam step: Δw = lr·m̂/(√v̂+ε) = lr·g/(|g|+ε) ≈ lr·sign(g), so a layer's
    // ‖ΔW‖ ≈ lr·√(its parameter count) whatever its gradient's size (tanh: no gradient is exactly 0).
    const sizes = [2 * 12 + 12, 12 * 12 + 12, 12 * 2 + 2];
    rs[6].layers.forEach((l, i) => {
      const ratio = l.updateNorm / (lr * Math.sqrt(sizes[i]));
      expect(ratio, l.name).toBeGreaterThan(0.95);
      expect(ratio, l.name).toBeLessThanOrEqual(1.0001);
    });
    // Momentum before the switch carried its velocity: not that signature.
    const before = rs[5].layers[1].updateNorm / (lr * Math.sqrt(sizes[1]));
    expect(Math.abs(before - 1)).toBeGreaterThan(0.05);
  });

  test('the typed engine replays the same changes to the same records (optimizer switch included)', async () => {
    const cfg = defaultRunConfig({
      ...BASE,
      optimizer: { name: 'momentum', lr: 0.05 },
      changes: [
        { step: 2, path: 'optimizer.lr', value: 0.1 },
        { step: 4, path: 'stabilizers.clip.mode', value: 'global_norm' },
        { step: 7, path: 'optimizer.name', value: 'adam' },
      ],
    });
    const records = async (engine: 'tfjs' | 'typed') => {
      const t = createTrainer(cfg, { engine });
      try {
        return (await t.runSteps(12)).map(({ engine: _e, ...r }) => r);
      } finally {
        t.dispose();
      }
    };
    const [tfjs, typed] = [await records('tfjs'), await records('typed')];
    for (let i = 0; i < tfjs.length; i++) {
      expect(typed[i].loss).toBeCloseTo(tfjs[i].loss, 5);
      expect(typed[i].lr).toBe(tfjs[i].lr);
      typed[i].layers.forEach((l, j) => expect(l.updateNorm).toBeCloseTo(tfjs[i].layers[j].updateNorm, 6));
    }
  });

  test('trainRun (the CLI) replays the changes', async () => {
    const cfg = defaultRunConfig({ ...BASE, changes: [{ step: 4, path: 'optimizer.lr', value: 0.3 }] });
    const lrs: number[] = [];
    await trainRun(cfg, 0, { onStep: (r) => lrs.push(r.lr) });
    expect(lrs.map((x) => Math.round(x * 1000) / 1000)).toEqual([0.01, 0.01, 0.01, 0.01, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]);
  });
});
