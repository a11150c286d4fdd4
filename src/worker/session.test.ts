/**
 * The training worker's session, driven in Node as the page drives it in a
 * browser: messages in, posted messages out, on the cpu backend.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, type RunConfig, type RunConfigInput } from '../engine/config.ts';
import { head, rowLength } from '../engine/rows.ts';
import type { FromWorker, ToWorker } from '../shared/protocol.ts';
import { RunSession } from './session.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

const SMALL: RunConfigInput = { model: { hidden: [8, 8] }, data: { samples: 128 }, train: { batchSize: 16, steps: 40, evalEvery: 0 } };
const EXPLODING: RunConfigInput = {
  model: { hidden: Array(8).fill(32), init: 'normal', initGain: 3 },
  optimizer: { name: 'momentum', lr: 0.1, momentum: 0.9 },
  train: { batchSize: 32, evalEvery: 0, steps: 200 },
};

type Msg<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

class Harness {
  posted: FromWorker[] = [];
  session: RunSession;
  gen = 1;
  constructor(opts: { failBackend?: boolean } = {}) {
    this.session = new RunSession({
      post: (m) => this.posted.push(m),
      setupBackend: async () => {
        if (opts.failBackend) throw new Error('no backend could be started');
        return { backend: 'cpu', attempts: [{ backend: 'cpu', ok: true }], fallbackReason: '' };
      },
    });
  }
  send(m: ToWorker): Promise<void> {
    return this.session.receive(m);
  }
  init(cfg: RunConfig, gen = this.gen, backend: 'auto' | 'cpu' = 'auto'): Promise<void> {
    this.gen = gen;
    return this.send({ type: 'init', gen, run: 0, config: cfg, backend });
  }
  of<T extends FromWorker['type']>(type: T): Msg<T>[] {
    return this.posted.filter((m): m is Msg<T> => m.type === type && m.gen === this.gen);
  }
  lastStatus(): Msg<'status'> | undefined {
    return this.of('status').at(-1);
  }
  /** Steps of every posted record row of the current generation, in order. */
  steps(): number[] {
    const ready = this.of('ready').at(-1)!;
    return this.of('records').flatMap((m) => Array.from({ length: m.count }, (_, i) => head(m.rows, 'step', i * ready.rowLength)));
  }
  async until(pred: () => boolean, ms = 30_000): Promise<void> {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

describe('RunSession', () => {
  test('init announces the run; start trains every step once, in order, to train.steps', async () => {
    const h = new Harness();
    const cfg = defaultRunConfig(SMALL);
    await h.init(cfg);
    expect(h.posted[0]).toEqual({ type: 'progress', gen: 1, what: 'starting the backend' });
    const ready = h.of('ready')[0];
    expect(ready.backend).toBe('cpu');
    // auto: a small MLP trains on the typed engine, and the page is told why.
    expect(ready.engine).toBe('typed');
    expect(ready.engineReason).toMatch(/multiply-adds per step, below the typed engine's bound/);
    expect(ready.layerNames).toEqual(['dense1', 'dense2', 'dense3']);
    expect(ready.rowLength).toBe(rowLength(3));
    expect(h.lastStatus()!.status).toBe('idle');
    await h.send({ type: 'start', gen: h.gen });
    await h.until(() => h.lastStatus()?.status === 'done');
    expect(h.steps()).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(h.lastStatus()!.step).toBe(40);
    // lr is in every row: SGD with a constant schedule.
    const rec = h.of('records')[0];
    expect(head(rec.rows, 'lr')).toBeCloseTo(cfg.optimizer.lr, 7);
  });

  test('pause stops between chunks; start resumes where it stopped, without repeating a step', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig({ ...SMALL, train: { ...SMALL.train, steps: 2000 } }));
    await h.send({ type: 'start', gen: h.gen });
    await h.until(() => h.steps().length > 20);
    await h.send({ type: 'pause', gen: h.gen });
    await h.until(() => h.lastStatus()?.status === 'paused');
    const at = h.lastStatus()!.step;
    expect(at).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.lastStatus()!.step).toBe(at);
    await h.send({ type: 'start', gen: h.gen, stopAt: at + 10 });
    await h.until(() => h.lastStatus()?.status === 'done');
    const steps = h.steps();
    expect(steps).toEqual(Array.from({ length: at + 10 }, (_, i) => i));
  });

  test('a backend forced by name trains with the tfjs engine', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(SMALL), 1, 'cpu');
    expect(h.of('ready')[0]).toMatchObject({ engine: 'tfjs', engineReason: 'tfjs engine requested' });
  });

  test('step-once makes exactly one step', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(SMALL));
    await h.send({ type: 'step-once', gen: h.gen });
    await h.send({ type: 'step-once', gen: h.gen });
    expect(h.steps()).toEqual([0, 1]);
    expect(h.lastStatus()!.status).toBe('paused');
  });

  test('a diverging run stops at its first diverged step, says why, and cannot be started again', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(EXPLODING));
    await h.send({ type: 'start', gen: h.gen });
    await h.until(() => h.lastStatus()?.status === 'diverged');
    const st = h.lastStatus()!;
    expect(st.divergedAt).toBeGreaterThanOrEqual(1);
    expect(st.divergedAt).toBeLessThanOrEqual(5);
    expect(st.divergedReason).toMatch(/^loss \S+, gradient norm \S+ in layer dense\d+/);
    // The run's records end at its first diverged step, and so does its step count.
    expect(h.steps()).toEqual(Array.from({ length: st.divergedAt! + 1 }, (_, i) => i));
    expect(st.step).toBe(st.divergedAt! + 1);
    await new Promise((r) => setTimeout(r, 100)); // the last decision boundary
    const n = h.posted.length;
    await h.send({ type: 'start', gen: h.gen });
    expect(h.posted.length).toBe(n);
  });

  test('messages of an older generation are ignored; a new init rebuilds at step 0', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(SMALL), 1);
    await h.send({ type: 'step-once', gen: 1 });
    await h.init(defaultRunConfig(SMALL), 2);
    await h.send({ type: 'step-once', gen: 1 }); // stale
    expect(h.of('ready')).toHaveLength(1);
    expect(h.lastStatus()!.step).toBe(0);
    await h.send({ type: 'step-once', gen: 2 });
    expect(h.steps()).toEqual([0]);
  });

  test('a live edit keeps the step; an edit that needs a new model rebuilds at step 0', async () => {
    const h = new Harness();
    const cfg = defaultRunConfig(SMALL);
    await h.init(cfg);
    await h.send({ type: 'step-once', gen: h.gen });
    await h.send({ type: 'update-config', gen: h.gen, config: { ...cfg, optimizer: { ...cfg.optimizer, lr: 0.5 } } });
    await h.send({ type: 'step-once', gen: h.gen });
    expect(h.of('applied')).toEqual([{ type: 'applied', gen: 1, step: 1, changes: [{ path: 'optimizer.lr', value: 0.5 }] }]);
    const rows = h.of('records').at(-1)!;
    expect(head(rows.rows, 'step')).toBe(1);
    expect(head(rows.rows, 'lr')).toBeCloseTo(0.5, 7);
    await h.send({ type: 'update-config', gen: h.gen, config: { ...cfg, model: { ...cfg.model, hidden: [4] } } });
    const ready = h.of('ready');
    expect(ready).toHaveLength(2);
    expect(ready[1].layerNames).toEqual(['dense1', 'dense2']);
    expect(h.lastStatus()!.step).toBe(0);
  });

  test('export returns every recorded row of the run', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(SMALL));
    await h.send({ type: 'start', gen: h.gen });
    await h.until(() => h.lastStatus()?.status === 'done');
    await h.send({ type: 'export', gen: h.gen, requestId: 7 });
    const hist = h.of('history')[0];
    expect(hist.requestId).toBe(7);
    expect(hist.count).toBe(40);
    expect(Array.from({ length: 40 }, (_, i) => head(hist.rows, 'step', i * rowLength(3)))).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  test('an exception inside training is reported as a step error, and a new init recovers', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(SMALL));
    await h.send({ type: 'debug', gen: h.gen, action: 'throw-in-step' });
    await h.send({ type: 'start', gen: h.gen });
    await h.until(() => h.lastStatus()?.status === 'error');
    expect(h.of('error')[0]).toMatchObject({ kind: 'step', recoverable: true });
    expect(h.of('error')[0].message).toMatch(/injected fault/);
    await h.init(defaultRunConfig(SMALL), 2);
    await h.send({ type: 'step-once', gen: 2 });
    expect(h.steps()).toEqual([0]);
  });

  test('a backend that cannot start is reported, not thrown', async () => {
    const h = new Harness({ failBackend: true });
    await h.init(defaultRunConfig(SMALL));
    expect(h.of('error')[0]).toMatchObject({ kind: 'backend', recoverable: false });
    expect(h.of('ready')).toHaveLength(0);
  });
});

describe('per-unit snapshots for the network view', () => {
  test('none while the view is closed; one after the build, each single step and while training once it opens', async () => {
    const h = new Harness();
    await h.init(defaultRunConfig(SMALL));
    await h.until(() => h.of('status').length > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.of('units')).toHaveLength(0);
    await h.send({ type: 'watch-units', gen: 1, on: true });
    expect(h.of('units').map((m) => m.snapshot.step)).toEqual([0]);
    await h.send({ type: 'step-once', gen: 1 });
    expect(h.of('units').map((m) => m.snapshot.step)).toEqual([0, 1]);
    await h.send({ type: 'start', gen: 1 });
    await h.until(() => h.lastStatus()?.status === 'done');
    const steps = h.of('units').map((m) => m.snapshot.step);
    expect(steps.at(-1)).toBe(40); // the end of the run is pictured
    await h.send({ type: 'watch-units', gen: 1, on: false });
    await h.send({ type: 'init', gen: 2, run: 0, config: defaultRunConfig(SMALL), backend: 'auto' });
    h.gen = 2;
    await h.send({ type: 'step-once', gen: 2 });
    expect(h.of('units')).toHaveLength(0);
  });

  test('the policy: at most every 250 ms and a fortieth of the time; a forced one skips the interval when cheap', async () => {
    const { UnitsPolicy } = await import('./units.ts');
    const p = new UnitsPolicy();
    expect(p.due(0, false)).toBe(true);
    p.took(3000); // the first (cold) one does not count
    expect(p.due(300, false)).toBe(true);
    p.took(5);
    expect(p.due(400, false)).toBe(false);
    expect(p.due(400, true)).toBe(true);
    p.took(100); // costly twice: the next waits 40 × 100 ms, forced or not
    expect(p.due(700, false)).toBe(true); // …after the shorter of the last two (5 ms)
    p.took(100);
    expect(p.due(1500, true)).toBe(false);
    expect(p.due(3000, true)).toBe(false);
    expect(p.due(4800, false)).toBe(true);
  });
});
