import { describe, expect, test } from 'vitest';
import { defaultRunConfig } from './config.ts';
import { estimateRun } from './estimate.ts';
import { BACKEND_ORDER, GPU_FROM_FLOPS, autoPlan, cannotTrain, excludedFor, nodeBackendFor } from './backends.ts';

describe('which backend can train which model', () => {
  test('wasm cannot train a conv net; every backend trains an MLP', () => {
    expect(cannotTrain('wasm', 'cnn')).toMatch(/cannot train conv nets/);
    for (const b of BACKEND_ORDER) expect(cannotTrain(b, 'mlp')).toBeNull();
    expect(Object.keys(excludedFor('cnn'))).toEqual(['wasm']);
    expect(excludedFor('mlp')).toEqual({});
  });

  test('the CLI: auto is wasm for an MLP and cpu for a CNN; wasm forced on a CNN is an error that says why', () => {
    expect(nodeBackendFor('mlp', 'auto')).toEqual({ backend: 'wasm' });
    expect(nodeBackendFor('cnn', 'auto')).toEqual({ backend: 'cpu' });
    expect(nodeBackendFor('cnn', 'cpu')).toEqual({ backend: 'cpu' });
    expect(nodeBackendFor('cnn', 'wasm')).toEqual({ error: expect.stringMatching(/^--backend wasm: the wasm backend cannot train conv nets/) });
  });
});

describe('the page\'s auto order', () => {
  test('the default experiment is a small MLP: a CPU backend first', () => {
    const cfg = defaultRunConfig();
    const flops = estimateRun(cfg).flopsPerStep;
    expect(flops).toBeLessThan(GPU_FROM_FLOPS);
    const p = autoPlan('mlp', flops);
    expect(p.order.slice(0, 2)).toEqual(['wasm', 'cpu']);
    expect(p.reason).toMatch(/^small model: CPU first \(\S+ \S+ a step; a GPU backend from 1 GFLOP\)$/);
  });

  test('conv nets and large MLPs try the GPU first', () => {
    expect(autoPlan('cnn', 1e3).order[0]).toBe('webgpu');
    const wide = defaultRunConfig({ model: { hidden: Array(16).fill(1024) }, train: { batchSize: 256 } });
    const p = autoPlan('mlp', estimateRun(wide).flopsPerStep);
    expect(p.order).toEqual([...BACKEND_ORDER]);
    expect(p.reason).toMatch(/^large model: GPU first/);
  });

  test('every order holds every backend once', () => {
    for (const f of [0, 1e6, 1e9, 1e12]) for (const a of ['mlp', 'cnn'] as const) expect([...autoPlan(a, f).order].sort()).toEqual([...BACKEND_ORDER].sort());
  });
});
