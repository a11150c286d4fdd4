import { describe, expect, it } from 'vitest';
import { describeSpeeds } from './backendSpeeds.ts';

describe('describeSpeeds', () => {
  it('lists the backends fastest first with the unit once, bounds and failures marked', () => {
    expect(
      describeSpeeds([
        { backend: 'wasm', stepsPerSec: 212.4, firstStepMs: 12, steps: 80 },
        { backend: 'cpu', stepsPerSec: 45.26, firstStepMs: 9, steps: 20 },
        { backend: 'webgpu', stepsPerSec: 2000 / 12000, firstStepMs: 12000, steps: 0, note: 'first steps still running after 12000 ms' },
        { backend: 'webgl', stepsPerSec: 0, firstStepMs: 0, steps: 0, note: 'could not be started' },
      ]),
    ).toBe('wasm 212 steps/s · cpu 45.3 · webgpu ≤ 0.17 (first steps still running after 12000 ms) · webgl – (could not be started)');
  });
});
