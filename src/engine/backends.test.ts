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
    expect(p.reason).toMatch(/^large model \(24.2 GFLOP a step\): GPU first$/);
    // 24.2 GFLOP at wasm's ~4 GFLOP/s is 6 s a step: no warm start, the GPU's first step is worth the wait.
    expect(p.warmStart).toBeUndefined();
  });

  test('warm start: a GPU-first model whose step a CPU backend does within a second starts there', () => {
    // A conv net of 5.3 MFLOP a step: 0.04 s on cpu (0.12 GFLOP/s for convs); wasm cannot train conv nets.
    expect(autoPlan('cnn', 5.3e6)).toMatchObject({ order: [...BACKEND_ORDER], warmStart: 'cpu', reason: 'conv net: cpu at once while the GPU warms up' });
    // The bound: 1 s on cpu for a conv net is 0.12 GFLOP.
    expect(autoPlan('cnn', 0.12e9).warmStart).toBe('cpu');
    expect(autoPlan('cnn', 0.13e9).warmStart).toBeUndefined();
    // A large MLP warm-starts on wasm up to 4 GFLOP a step.
    expect(autoPlan('mlp', 2e9)).toMatchObject({ warmStart: 'wasm', reason: 'large model (2 GFLOP a step): wasm at once while the GPU warms up' });
    expect(autoPlan('mlp', 5e9).warmStart).toBeUndefined();
  });

  test('every order holds every backend once', () => {
    for (const f of [0, 1e6, 1e9, 1e12]) for (const a of ['mlp', 'cnn'] as const) expect([...autoPlan(a, f).order].sort()).toEqual([...BACKEND_ORDER].sort());
  });
});
