import { describe, expect, it } from 'vitest';
import { describeSpeeds } from './backendSpeeds.ts';

describe('describeSpeeds', () => {
  it('lists the backends fastest first with the unit once, bounds and failures marked', () => {
    expect(
      describeSpeeds([
        { backend: 'wasm', stepsPerSec: 212.4, firstStepMs: 12, steps: 80 },
        { backend: 'cpu', stepsPerSec: 45.26, firstStepMs: 9, steps: 20 },
        { backend: 'webgpu', stepsPerSec: 1000 / 6000, firstStepMs: 6000, steps: 0, note: 'first step still running after 6000 ms' },
        { backend: 'webgl', stepsPerSec: 0, firstStepMs: 0, steps: 0, note: 'could not be started' },
      ]),
    ).toBe('wasm 212 steps/s · cpu 45.3 · webgpu ≤ 0.17 (first step still running after 6000 ms) · webgl – (could not be started)');
  });
});
