/**
 * No tensor leaks: tf.memory().numTensors is the same before and after hundreds of
 * steps, and disposing a trainer returns to the count before it was built.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import * as tf from './tf.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import { CLIP_MODES } from './meta.ts';
import { Trainer } from './trainer.ts';
import { trainRun } from './train.ts';

const STEPS = 500;
const CHUNK = 25; // 500/25 = 20 chunks, so each of the 6 clip modes runs 75–100 steps

async function checkNoLeak(cfg: RunConfigInput, backend: 'cpu' | 'wasm', cycleClipModes: boolean, steps = STEPS, chunk = CHUNK): Promise<void> {
  await setNodeBackend(backend);
  const start = tf.memory().numTensors;
  const run = defaultRunConfig(cfg);
  const tr = new Trainer(run);
  try {
    const built = tf.memory().numTensors;
    expect(built).toBeGreaterThan(start);
    const counts: number[] = [];
    const modes = new Set<string>();
    for (let done = 0, i = 0; done < steps; done += chunk, i++) {
      if (cycleClipModes) {
        // every clip mode in turn (a change that needs no rebuild)
        const mode = CLIP_MODES[i % CLIP_MODES.length];
        modes.add(mode);
        expect(tr.updateConfig({ ...run, stabilizers: { ...run.stabilizers, clip: { ...run.stabilizers.clip, mode, threshold: 0.05 } } })).toBe(true);
      }
      const rs = await tr.runSteps(Math.min(chunk, steps - done));
      expect(rs.every((r) => r.status !== 'diverged')).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    expect(counts.every((c) => c === built), `tensor counts per chunk: ${counts.join(',')} (after build: ${built})`).toBe(true);
    if (cycleClipModes) expect(modes.size).toBe(CLIP_MODES.length);
    await tr.predictGrid(8).catch(() => undefined);
    expect(tf.memory().numTensors).toBe(built);
  } finally {
    tr.dispose();
  }
  expect(tf.memory().numTensors).toBe(start);
}

beforeAll(async () => {
  await setNodeBackend('wasm');
});

describe('steps leave the tensor count unchanged', () => {
  const base: RunConfigInput = {
    data: { name: 'circle', samples: 128 },
    model: { hidden: [8, 8] },
    optimizer: { name: 'adam', lr: 0.01 },
    train: { batchSize: 8, evalEvery: 40 },
  };

  test('MLP + BatchNorm, every clip mode in turn', async () => {
    await checkNoLeak({ ...base, model: { hidden: [4], norm: 'batch' } }, 'wasm', true);
  });

  test('plain MLP, every clip mode in turn (fewer steps)', async () => {
    await checkNoLeak(base, 'wasm', true, 60, 10);
  });

  test('MLP + LayerNorm + residual + L1/L2 + weight decay, rmsprop', async () => {
    await checkNoLeak(
      { ...base, model: { hidden: [8, 8], norm: 'layer', residual: true }, optimizer: { name: 'rmsprop', lr: 0.001, weightDecay: 0.01 }, stabilizers: { l1: 1e-4, l2: 1e-4 } },
      'wasm',
      false,
      50,
    );
  });

  test('CNN + BatchNorm on cpu (a few steps)', async () => {
    await checkNoLeak(
      { data: { name: 'shapes', samples: 48 }, model: { arch: 'cnn', hidden: [2, 2], norm: 'batch' }, train: { batchSize: 4, evalEvery: 10 } },
      'cpu',
      false,
      20,
    );
  });

  test('diverged steps do not leak either', async () => {
    await setNodeBackend('wasm');
    const start = tf.memory().numTensors;
    const tr = new Trainer(defaultRunConfig({ model: { hidden: Array(8).fill(16), init: 'normal', initGain: 4 }, optimizer: { name: 'momentum', lr: 1 }, train: { batchSize: 16, evalEvery: 5 } }));
    const built = tf.memory().numTensors;
    const rs = await tr.runSteps(10);
    expect(rs.some((r) => r.status === 'diverged')).toBe(true);
    await tr.runSteps(10);
    expect(tf.memory().numTensors).toBe(built);
    tr.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  test('trainRun disposes everything, also when aborted', async () => {
    await setNodeBackend('wasm');
    const start = tf.memory().numTensors;
    await trainRun(defaultRunConfig({ ...base, train: { ...base.train, steps: 30 } }), 0, { chunk: 7 });
    expect(tf.memory().numTensors).toBe(start);
    const signal = { aborted: false };
    let n = 0;
    await trainRun(defaultRunConfig({ ...base, train: { ...base.train, steps: 1000 } }), 0, {
      chunk: 5,
      signal,
      onStep: () => {
        if (++n === 12) signal.aborted = true;
      },
    });
    expect(n).toBe(15);
    expect(tf.memory().numTensors).toBe(start);
  });
});
