import { afterAll, describe, expect, it } from 'vitest';
import * as tf from './tf.ts';
import { setNodeBackend, type NodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig } from './config.ts';
import { measureStepRate, rankBackends } from './backendSpeed.ts';
import { Trainer } from './trainer.ts';

const cfg = defaultRunConfig({ seed: 5, data: { name: 'spiral', samples: 200 }, model: { hidden: [8, 8] }, train: { batchSize: 10 } });

afterAll(() => setNodeBackend('cpu'));

describe('the measured "auto" backend choice', () => {
  it('ranks every backend that starts, fastest first; one that cannot start is last with the reason', async () => {
    const before = new Map<string, number>();
    const use = async (b: string) => {
      if (b === 'nope') return false;
      await setNodeBackend(b as NodeBackend);
      before.set(b, tf.memory().numTensors);
      return true;
    };
    const speeds = await rankBackends(cfg, ['cpu', 'nope', 'wasm'], use, { measureMs: 150 });
    expect(speeds.map((s) => s.backend).sort()).toEqual(['cpu', 'nope', 'wasm']);
    for (let i = 1; i < speeds.length; i++) expect(speeds[i - 1].stepsPerSec).toBeGreaterThanOrEqual(speeds[i].stepsPerSec);
    const nope = speeds.find((s) => s.backend === 'nope')!;
    expect(nope).toMatchObject({ stepsPerSec: 0, steps: 0, note: 'could not be started' });
    expect(speeds[speeds.length - 1]).toBe(nope);
    for (const s of speeds.filter((x) => x.backend !== 'nope')) {
      expect(s.steps).toBeGreaterThan(0);
      expect(s.stepsPerSec).toBeGreaterThan(0);
      expect(s.firstStepMs).toBeGreaterThan(0);
      // the measuring trainer is gone: the backend holds what it held before
      await setNodeBackend(s.backend as NodeBackend);
      expect(tf.memory().numTensors).toBe(before.get(s.backend));
    }
  });

  it('a measurement that throws is a rate of 0 with the message, not an exception', async () => {
    const speeds = await rankBackends(cfg, ['cpu'], async () => {
      throw new Error('boom');
    });
    expect(speeds).toEqual([{ backend: 'cpu', stepsPerSec: 0, firstStepMs: 0, steps: 0, note: 'boom' }]);
  });

  it('stops at maxSteps, and leaves the run it is measuring for untouched (same records as without it)', async () => {
    await setNodeBackend('cpu');
    const a = new Trainer(cfg);
    const recA = await a.runSteps(3);
    a.dispose();
    const m = await measureStepRate(cfg, { maxSteps: 5, measureMs: 10_000 });
    expect(m.steps).toBe(5);
    const b = new Trainer(cfg);
    const recB = await b.runSteps(3);
    b.dispose();
    expect(recB.map((r) => r.loss)).toEqual(recA.map((r) => r.loss));
    expect(recB.map((r) => r.gradNorm)).toEqual(recA.map((r) => r.gradNorm));
  });
});
