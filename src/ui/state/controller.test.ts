import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultExperiment } from '../../engine/config.ts';
import { REBUILD_DELAY_MS } from './rebuilds.ts';
import { cpuShare } from './workerClient.ts';
import { HUGE, experiment, setup } from './controllerFake.ts';

describe('RunController', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });

  it('builds one worker per run when an experiment loads, on the chosen backend', () => {
    const t = setup();
    t.get().setBackendChoice('wasm');
    const cleared = t.env.cleared;
    const c = t.load(experiment({}, { seed: 2 }));
    expect(c.of('create').slice(-2)).toEqual([
      ['create', 0, 'wasm', []],
      ['create', 1, 'wasm', []],
    ]);
    expect(c.calls.at(-3)).toEqual(['terminateAll', -1]);
    expect(t.env.cleared).toBe(cleared + 1);
    expect(t.get().runtime.map((r) => r.status)).toEqual(['idle', 'idle']);
  });

  it('an engine choice rebuilds every run in a fresh worker asked for that engine', () => {
    const t = setup();
    const c = t.load(experiment({}, { seed: 2 }));
    expect([...c.workers.values()].map((w) => w.engine)).toEqual(['auto', 'auto']);
    const made = c.of('create').length;
    t.get().setEngineChoice('tfjs');
    expect(c.of('create').length).toBe(made + 2);
    expect([...c.workers.values()].map((w) => w.engine)).toEqual(['tfjs', 'tfjs']);
    // The same choice again builds nothing.
    t.get().setEngineChoice('tfjs');
    expect(c.of('create').length).toBe(made + 2);
  });

  it('start, status, pause and step go to the workers; the runtime shows what they report', () => {
    const t = setup({ cores: 2 });
    const c = t.load(experiment({}, {}));
    c.ready(0);
    expect(t.get().runtime[0]).toMatchObject({ backend: 'wasm', layerNames: ['dense1', 'dense2'], paramCount: 10 });
    t.get().startAll();
    // Two runs on two cores: each may compute half of the time.
    expect(c.of('start')).toEqual([
      ['start', 0, { cpuShare: 0.5, background: false }],
      ['start', 1, { cpuShare: 0.5, background: false }],
    ]);
    c.status(0, 'training', 12);
    c.status(1, 'training', 9);
    expect(t.get().runtime[0]).toMatchObject({ status: 'training', step: 12, stepsPerSec: 50 });
    // Training runs are not started twice.
    t.get().startRun(0);
    expect(c.of('start')).toHaveLength(2);
    t.get().stepAll();
    expect(c.of('stepOnce')).toEqual([]);
    t.get().toggleAll();
    expect(c.of('pause')).toEqual([
      ['pause', 0],
      ['pause', 1],
    ]);
    c.status(0, 'paused', 13);
    c.status(1, 'paused', 10);
    t.get().stepAll();
    expect(c.of('stepOnce')).toEqual([
      ['stepOnce', 0],
      ['stepOnce', 1],
    ]);
  });

  it('says what a worker is busy with until its first numbers; a new worker claims no backend until it reports one', () => {
    const t = setup();
    const c = t.load(experiment({}));
    expect(t.get().runtime[0].backend).toBeUndefined();
    c.progress(0, 'starting the backend');
    expect(t.get().runtime[0].progress?.what).toBe('starting the backend');
    c.ready(0, 'webgpu', 'conv net: GPU first');
    expect(t.get().runtime[0]).toMatchObject({ backend: 'webgpu', plan: 'conv net: GPU first', progress: undefined });
    t.get().startAll();
    c.status(0, 'training', 0);
    c.progress(0, 'first step on webgpu: compiling shaders');
    c.status(0, 'training', 0);
    expect(t.get().runtime[0].progress?.what).toBe('first step on webgpu: compiling shaders');
    c.status(0, 'training', 3);
    expect(t.get().runtime[0].progress).toBeUndefined();
    // Another backend choice builds new workers: the old backend is not claimed meanwhile.
    t.get().setBackendChoice('fastest');
    expect(t.get().runtime[0]).toMatchObject({ backend: undefined, plan: undefined, speeds: undefined });
  });

  it('does not start a diverged or failed run', () => {
    const t = setup();
    const c = t.load(experiment({}, {}));
    c.status(0, 'diverged', 5, { divergedAt: 5, divergedReason: 'loss is NaN' });
    c.error(1, 'step');
    t.get().startAll();
    expect(c.of('start')).toEqual([]);
    expect(t.get().runtime[0]).toMatchObject({ status: 'diverged', divergedAt: 5, divergedReason: 'loss is NaN' });
    expect(t.get().runtime[1]).toMatchObject({ status: 'error', error: { kind: 'step', message: 'failed', recoverable: true } });
  });

  it('reset takes every run back to step 0 and clears the same fields for every run', () => {
    const t = setup();
    const c = t.load(experiment({}, {}));
    c.status(0, 'diverged', 40, { divergedAt: 40, divergedReason: 'loss is NaN' });
    c.error(1, 'step');
    t.get().resetAll();
    // (a run whose step threw gets a fresh worker: see controller.faults.test.ts)
    expect(c.of('reset')).toEqual([['reset', 0]]);
    expect(c.of('create').at(-1)).toEqual(['create', 1, 'auto', []]);
    for (const rt of t.get().runtime) {
      expect(rt).toMatchObject({ status: 'idle', step: 0, stepsPerSec: 0 });
      expect(rt.error).toBeUndefined();
      expect(rt.divergedAt).toBeUndefined();
      expect(rt.divergedReason).toBeUndefined();
    }
    // What the worker said about its backend stays.
    c.ready(0);
    t.get().resetAll();
    expect(t.get().runtime[0].backend).toBe('wasm');
  });

  it('an edit that needs a rebuild resets the run; a live one updates it', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.status(0, 'paused', 30);
    expect(t.get().editRun(0, (d) => (d.optimizer.lr = 0.5))).toBeNull();
    expect(c.of('update')).toEqual([['update', 0]]);
    expect(c.of('reset')).toEqual([]);
    expect(t.get().runtime[0].step).toBe(30);
    expect(c.workers.get(0)!.config.optimizer.lr).toBe(0.5);

    // The worker applied the live edit at step 30: recorded as a mid-run change.
    c.applied(0, 30, [{ path: 'optimizer.lr', value: 0.5 }]);
    expect(t.get().experiment.runs[0].changes).toEqual([{ step: 30, path: 'optimizer.lr', value: 0.5 }]);
    expect(t.get().experiment.runs[0].optimizer.lr).not.toBe(0.5); // the run's start is unchanged

    // An edit that needs a new model does not wipe the trained run: it waits for the user.
    expect(t.get().editRun(0, (d) => (d.seed = 99))).toBeNull();
    expect(t.get().pendingRebuild[0]).toMatchObject({ seed: 99, optimizer: { lr: 0.5 } });
    expect(t.get().runtime[0]).toMatchObject({ step: 30 });
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    expect(c.of('reset')).toEqual([]);
    // Restart with these settings: step 0, at once in the page; to the worker after a quiet REBUILD_DELAY_MS.
    t.get().restartWithPending(0);
    expect(t.get().pendingRebuild[0]).toBeUndefined();
    expect(t.get().experiment.runs[0]).toMatchObject({ seed: 99, optimizer: { lr: 0.5 } });
    expect(t.get().experiment.runs[0].changes).toBeUndefined();
    expect(t.get().runtime[0]).toMatchObject({ status: 'idle', step: 0 });
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    expect(c.of('reset')).toEqual([['reset', 0]]);

    // An invalid edit changes nothing.
    expect(t.get().editRun(0, (d) => (d.optimizer.lr = -1))).toMatch(/lr/);
    expect(c.calls.filter((x) => x[0] === 'update' || x[0] === 'reset')).toHaveLength(2);
  });

  it('an edit that needs a new model can be added as a new run instead; the trained run trains on', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.status(0, 'paused', 12);
    t.get().editRun(0, (d) => (d.model.hidden = [4, 4]));
    t.get().addPendingAsRun(0);
    expect(t.get().experiment.runs).toHaveLength(2);
    expect(t.get().experiment.runs[1].model.hidden).toEqual([4, 4]);
    expect(t.get().experiment.runs[0].model.hidden).not.toEqual([4, 4]);
    expect(t.get().runtime[0].step).toBe(12);
    expect(c.of('create').at(-1)).toEqual(['create', 1, 'auto', []]);
  });

  it('restart after a lost GPU device builds the run again without that backend', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0, 'webgpu');
    c.status(0, 'training', 8);
    c.error(0, 'device-lost', 'The GPU device was lost');
    expect(t.get().runtime[0].status).toBe('error');
    t.get().restartRun(0);
    expect(c.of('create').at(-1)).toEqual(['create', 0, 'auto', ['webgpu']]);
    expect(t.get().runtime[0]).toMatchObject({ status: 'idle', step: 0, disabled: ['webgpu'] });
    expect(t.get().runtime[0].error).toBeUndefined();
    // A new backend choice forgets the disabled backends.
    t.get().setBackendChoice('auto');
    expect(c.of('create').at(-1)).toEqual(['create', 0, 'auto', []]);
  });

  it('adds and removes runs: a new run gets its own worker; removing one rebuilds the rest', () => {
    const t = setup();
    const c = t.load(experiment({}));
    t.get().addRun();
    expect(t.get().experiment.runs.map((r) => r.label)).toEqual(['A', 'B']);
    expect(c.of('create').at(-1)?.[1]).toBe(1);
    t.get().compareWithClipping(0);
    expect(t.get().experiment.runs[2]).toMatchObject({ label: 'A + clip', stabilizers: { clip: { mode: 'global_norm', threshold: 1 } } });
    t.get().duplicateRun(1);
    expect(t.get().experiment.runs).toHaveLength(4);
    t.get().addRun(); // at most four runs
    expect(t.get().experiment.runs).toHaveLength(4);
    expect(t.get().runtime).toHaveLength(4);

    c.calls.length = 0;
    t.get().removeRun(1);
    expect(t.get().experiment.runs.map((r) => r.label)).toEqual(['A', 'A + clip', 'C']);
    expect(c.calls.map((x) => x.slice(0, 2))).toEqual([
      ['terminateAll', -1],
      ['create', 0],
      ['create', 1],
      ['create', 2],
    ]);
    expect(t.get().runtime).toHaveLength(3);
    // The last run cannot be removed.
    t.get().removeRun(0);
    t.get().removeRun(0);
    t.get().removeRun(0);
    expect(t.get().experiment.runs).toHaveLength(1);
  });

  describe('resource refusal', () => {
    it('a run too large for a tab is not built; "Build it anyway" builds it; an edit asks again', () => {
      const t = setup();
      const c = t.load(experiment({}, HUGE));
      expect(t.controller.verdict(1).level).toBe('refuse');
      expect(c.of('create').map((x) => x[1])).toEqual([0]);
      expect(t.get().runtime[1]).toMatchObject({ status: 'idle', step: 0, error: { kind: 'resources', recoverable: true } });
      expect(t.get().runtime[1].error!.message).toMatch(/^Not built: /);
      // Starting it does nothing (there is no worker).
      t.get().startAll();
      expect(c.of('start').map((x) => x[1])).toEqual([0, 1]);
      expect(c.has(1)).toBe(false);

      // Reset leaves a refused run as it is.
      t.get().resetAll();
      expect(t.get().runtime[1].error?.kind).toBe('resources');

      t.get().restartRun(1);
      expect(t.controller.verdict(1).level).not.toBe('refuse');
      expect(c.has(1)).toBe(true);
      expect(t.get().runtime[1].error).toBeUndefined();

      // An edit makes a new config: the override was for the old one.
      t.get().editRun(1, (d) => (d.optimizer.lr = 0.02));
      vi.advanceTimersByTime(REBUILD_DELAY_MS);
      expect(t.controller.verdict(1).level).toBe('refuse');
      expect(c.has(1)).toBe(false);
      expect(t.get().runtime[1].error?.kind).toBe('resources');
    });

    it('an edit that makes a refused run small enough builds it', () => {
      const t = setup();
      const c = t.load(experiment(HUGE));
      expect(c.has(0)).toBe(false);
      t.get().editRun(0, (d) => (d.model.hidden = [8, 8]));
      vi.advanceTimersByTime(REBUILD_DELAY_MS);
      expect(c.has(0)).toBe(true);
      expect(t.get().runtime[0].error).toBeUndefined();
      // ...and restarting a trained run with a size too large drops its worker.
      c.status(0, 'paused', 3);
      t.get().editRun(0, (d) => (d.model.hidden = HUGE.model!.hidden!));
      t.get().restartWithPending(0);
      vi.advanceTimersByTime(REBUILD_DELAY_MS);
      expect(c.of('terminate')).toEqual([['terminate', 0]]);
      expect(t.get().runtime[0]).toMatchObject({ status: 'idle', step: 0, error: { kind: 'resources' } });
    });
  });

  it('cpuShare leaves a core to the page', () => {
    expect(cpuShare(1, 2)).toBe(1);
    expect(cpuShare(2, 2)).toBe(0.5);
    expect(cpuShare(4, 2)).toBe(0.25);
    expect(cpuShare(4, 16)).toBe(1);
    expect(cpuShare(3, 4)).toBe(1);
  });

  it('loading a preset replaces the experiment and clears the link messages', () => {
    const t = setup();
    t.load(defaultExperiment());
    t.get().showBanner('experiment', 'bad link');
    t.get().showBanner('sweep', 'bad sweep');
    t.get().loadPreset('no-such-preset');
    expect(t.get().banner).toEqual({ experiment: 'bad link', sweep: 'bad sweep' });
    t.get().loadPreset('clip-rescue');
    expect(t.get().presetId).toBe('clip-rescue');
    expect(t.get().banner).toEqual({});
    expect(t.get().experiment.runs.length).toBeGreaterThan(1);
    expect(t.get().layout).toBe('columns');
    expect(t.client().of('create')).toHaveLength(1 + t.get().experiment.runs.length);
  });
});
