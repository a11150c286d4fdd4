import { describe, expect, it } from 'vitest';
import type { BackendName } from '../engine/backends.ts';
import { MEASURE_MS, Warmup, type ProbeTrainer, type WarmupHost } from './warmup.ts';

/**
 * A fake clock and backends: the probe's steps take `gpuStepMs` each (its first
 * `compileMs`), and record which backend was active when they were dispatched.
 */
function fake(opts: { gpuStepMs: number; compileMs?: number; cpuRate?: number | null; failBuild?: boolean }) {
  let now = 0;
  let active: BackendName = 'cpu';
  const log: string[] = [];
  const dispatchedOn: BackendName[] = [];
  let cpuRate: number | null = opts.cpuRate === undefined ? 10 : opts.cpuRate;
  let held = false;
  let disposed = false;
  let handedOver: string | null = null;
  let first = true;
  const probe: ProbeTrainer = {
    runStepsPacked(k) {
      dispatchedOn.push(active);
      const ms = first ? (opts.compileMs ?? 5000) : k * opts.gpuStepMs;
      first = false;
      return Promise.resolve().then(() => {
        now += ms;
        return new Float32Array(k);
      });
    },
    dispose() {
      disposed = true;
    },
  };
  const host: WarmupHost = {
    use(b) {
      active = b;
    },
    buildProbe() {
      if (opts.failBuild) throw new Error('out of GPU memory');
      log.push(`build on ${active}`);
      return probe;
    },
    cpuRate: () => cpuRate,
    hold: async () => {
      held = true;
      log.push('hold');
      return () => {
        held = false;
        log.push('release');
      };
    },
    handOver(gpu, summary) {
      expect(held).toBe(true); // only at a chunk boundary, while the run's loop is held
      handedOver = `${gpu}: ${summary}`;
      log.push('handover');
    },
    now: () => now,
    wait: async (ms) => {
      now += ms;
      log.push('wait');
    },
    report(plan) {
      log.push(`report ${plan}`);
    },
  };
  return {
    host,
    log,
    dispatchedOn,
    active: () => active,
    disposed: () => disposed,
    handedOver: () => handedOver,
    setCpuRate: (r: number | null) => (cpuRate = r),
  };
}

describe('warm start', () => {
  it('builds and steps the probe on the GPU backend and switches back before awaiting it; a faster GPU takes over', async () => {
    const f = fake({ gpuStepMs: 10, cpuRate: 20 }); // GPU 100 steps/s, CPU 20
    const r = await new Warmup(f.host, 'cpu', 'webgpu').run();
    expect(f.log[0]).toMatch(/^report cpu now; webgpu warming up/);
    expect(f.log[1]).toBe('build on webgpu');
    expect(f.dispatchedOn.every((b) => b === 'webgpu')).toBe(true);
    expect(r).not.toBeNull();
    expect(r!.handover).toBe(true);
    expect(r!.compileMs).toBe(5000);
    expect(r!.gpuRate).toBeCloseTo(100, 6);
    expect(r!.cpuRate).toBe(20);
    expect(f.handedOver()).toBe('webgpu: webgpu measured 100 steps/s, cpu 20');
    // The GPU stays active after the handover; the probe is gone; the loop is released.
    expect(f.active()).toBe('webgpu');
    expect(f.disposed()).toBe(true);
    expect(f.log.slice(-2)).toEqual(['handover', 'release']);
  });

  it('measures the GPU for at least MEASURE_MS after its compiling step, in chunks that double', async () => {
    const f = fake({ gpuStepMs: 50, cpuRate: 1 });
    const r = await new Warmup(f.host, 'cpu', 'webgpu').run();
    // 1 (compile) + chunks 1, 2, 4, 8 = 15 steps ≥ 600 ms at 50 ms a step (750 ms).
    expect(f.dispatchedOn.length).toBe(5);
    expect(r!.gpuRate).toBeCloseTo(20, 6);
    expect(15 * 50).toBeGreaterThanOrEqual(MEASURE_MS);
  });

  it('a slower GPU leaves the run on the CPU backend, and says what it measured', async () => {
    const f = fake({ gpuStepMs: 2000, cpuRate: 1.5 }); // GPU 0.5 steps/s
    const r = await new Warmup(f.host, 'cpu', 'webgpu').run();
    expect(r!.handover).toBe(false);
    expect(f.handedOver()).toBeNull();
    expect(f.active()).toBe('cpu');
    expect(f.log).toContain('report cpu: faster for this model (webgpu measured 0.50 steps/s, cpu 1.5)');
    expect(f.disposed()).toBe(true);
  });

  it('waits for the run to train before comparing (no CPU rate yet), then compares', async () => {
    const f = fake({ gpuStepMs: 10, cpuRate: null });
    const w = new Warmup(f.host, 'wasm', 'webgpu');
    const p = w.run();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(f.log.filter((l) => l === 'wait').length).toBeGreaterThan(0);
    expect(f.log).not.toContain('hold');
    f.setCpuRate(500); // wasm 500 steps/s: faster than the GPU's 100
    const r = await p;
    expect(r!.handover).toBe(false);
    expect(f.active()).toBe('wasm');
  });

  it('minRatio 0 hands over whatever the GPU measures (the browser test of the handover)', async () => {
    const f = fake({ gpuStepMs: 2000, cpuRate: 1.5 });
    const w = new Warmup(f.host, 'cpu', 'webgpu');
    w.minRatio = 0;
    expect((await w.run())!.handover).toBe(true);
    expect(f.active()).toBe('webgpu');
  });

  it('cancelled while compiling: no hold, no handover, the CPU backend active, the probe disposed', async () => {
    const f = fake({ gpuStepMs: 10, cpuRate: 20 });
    const w = new Warmup(f.host, 'cpu', 'webgpu');
    const p = w.run();
    w.cancel();
    expect(await p).toBeNull();
    expect(f.log).not.toContain('hold');
    expect(f.handedOver()).toBeNull();
    expect(f.active()).toBe('cpu');
    expect(f.disposed()).toBe(true);
  });

  it('a GPU that fails while warming up leaves the run where it is and says why', async () => {
    const f = fake({ gpuStepMs: 10, failBuild: true });
    const r = await new Warmup(f.host, 'cpu', 'webgpu').run();
    expect(r).toBeNull();
    expect(f.active()).toBe('cpu');
    expect(f.log.at(-1)).toBe('report cpu; webgpu failed while warming up: out of GPU memory');
  });
});
