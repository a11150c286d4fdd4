/**
 * Reproducibility in Node (cpu backend): the same config and seed give bit-identical
 * records; a different seed gives different ones.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import type { StepRecord } from './records.ts';
import { Trainer } from './trainer.ts';
import { trainRun } from './train.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

async function train(cfg: RunConfigInput, steps: number): Promise<StepRecord[]> {
  const tr = new Trainer(defaultRunConfig(cfg));
  try {
    // two chunks: the split into readbacks must not matter
    const a = await tr.runSteps(Math.floor(steps / 2));
    const b = await tr.runSteps(steps - a.length);
    return [...a, ...b];
  } finally {
    tr.dispose();
  }
}

const CONFIGS: [string, RunConfigInput, number][] = [
  [
    'MLP + adam + agc',
    { data: { name: 'moons', samples: 200 }, model: { hidden: [16, 16] }, optimizer: { name: 'adam', lr: 0.01 }, stabilizers: { clip: { mode: 'agc', threshold: 0.05 } }, train: { batchSize: 16, evalEvery: 3 } },
    8,
  ],
  [
    'MLP + BatchNorm + momentum',
    { data: { name: 'spiral', samples: 200 }, model: { hidden: [16, 16, 16], norm: 'batch' }, optimizer: { name: 'momentum', lr: 0.05 }, train: { batchSize: 16, evalEvery: 3 } },
    8,
  ],
  [
    'CNN on shapes',
    { data: { name: 'shapes', samples: 30 }, model: { arch: 'cnn', hidden: [2, 2], norm: 'batch' }, optimizer: { name: 'sgd', lr: 0.05 }, train: { batchSize: 4, evalEvery: 3 } },
    4,
  ],
];

describe('same config and seed → identical records', () => {
  for (const [what, cfg, steps] of CONFIGS) {
    test(what, async () => {
      const a = await train({ ...cfg, seed: 11 }, steps);
      const b = await train({ ...cfg, seed: 11 }, steps);
      expect(a).toHaveLength(steps);
      expect(b).toEqual(a);
      // there is something to compare: the run learns and evaluates
      expect(a.some((r) => r.testLoss !== undefined)).toBe(true);
      expect(a.every((r) => r.layers.every((l) => l.updateNorm > 0))).toBe(true);
      // another seed: other init, data and batches
      const c = await train({ ...cfg, seed: 12 }, steps);
      expect(c.map((r) => r.loss)).not.toEqual(a.map((r) => r.loss));
      expect(c[0].layers.map((l) => l.weightNorm)).not.toEqual(a[0].layers.map((l) => l.weightNorm));
    });
  }

  test('trainRun reports the same records as runSteps, whatever the chunk size', async () => {
    const [, cfg] = CONFIGS[0];
    const full = defaultRunConfig({ ...cfg, seed: 5, train: { ...cfg.train, steps: 7 } });
    const viaTrainer = await train({ ...cfg, seed: 5, train: { ...cfg.train, steps: 7 } }, 7);
    for (const chunk of [1, 3, 16]) {
      const got: StepRecord[] = [];
      let chunks = 0;
      await trainRun(full, 0, { chunk, onStep: (r) => got.push(r), onChunk: () => void chunks++ });
      expect(got).toEqual(viaTrainer);
      expect(chunks).toBe(Math.ceil(7 / chunk));
    }
  });
});
