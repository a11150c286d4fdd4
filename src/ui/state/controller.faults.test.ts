/**
 * The run controller against broken, busy and hammered workers (fake client,
 * fake timers): a worker whose step threw is never reused; a step that takes
 * long is shown with an estimate, and Pause/Reset that it does not answer
 * replace the worker; rebuilds asked for in a burst are sent as one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REBUILD_DELAY_MS } from './rebuilds.ts';
import { ANSWER_MS, STALL_MS } from './stepWatch.ts';
import { HUGE, experiment, setup } from './controllerFake.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

/** A model whose step takes tens of seconds on the cpu backend (about 13 GFLOP a step). */
const WIDE = { model: { hidden: Array<number>(8).fill(1024) }, train: { batchSize: 256 } };

describe('after an error that broke the worker', () => {
  it('the out-of-memory message is in plain words, with the memory the model needed', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0, 'wasm');
    c.error(0, 'step', 'training step failed: memory access out of bounds');
    expect(t.get().runtime[0].error?.message).toMatch(
      /^The browser ran out of memory for this model: about [\d.]+ [KMG]iB were needed on wasm \(training step failed: memory access out of bounds\)\. Make the model or the batch smaller, or Reset: either starts a fresh worker\.$/,
    );
    // other errors are shown as they are
    c.error(0, 'step', 'training step failed: injected fault');
    expect(t.get().runtime[0].error?.message).toBe('training step failed: injected fault');
  });

  it('Reset builds the run in a fresh worker, not in the broken one', () => {
    const t = setup();
    const c = t.load(experiment({}, {}));
    c.ready(0);
    c.ready(1);
    c.error(0, 'step', 'training step failed: memory access out of bounds');
    c.calls.length = 0;
    t.get().resetAll();
    expect(c.calls).toEqual([
      ['create', 0, 'auto', []],
      ['reset', 1],
    ]);
    expect(t.get().runtime[0]).toMatchObject({ status: 'idle', step: 0, error: undefined, backend: undefined });
  });

  it('any edit, live or not, builds the run in a fresh worker', () => {
    for (const edit of [(d: { optimizer: { lr: number } }) => (d.optimizer.lr = 0.5), (d: { model: { hidden: number[] } }) => (d.model.hidden = [8])]) {
      const t = setup();
      const c = t.load(experiment({}));
      c.ready(0);
      c.error(0, 'internal', 'memory access out of bounds');
      c.calls.length = 0;
      t.get().editRun(0, edit as never);
      expect(t.get().runtime[0]).toMatchObject({ status: 'idle', error: undefined });
      vi.advanceTimersByTime(REBUILD_DELAY_MS);
      expect(c.calls).toEqual([['create', 0, 'auto', []]]);
      expect(c.workers.get(0)!.config).toBe(t.get().experiment.runs[0]);
    }
  });

  it('after a lost device, Reset or an edit builds it on another backend', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0, 'webgpu');
    c.error(0, 'device-lost', 'The GPU device was lost');
    t.get().resetAll();
    expect(c.of('create').at(-1)).toEqual(['create', 0, 'auto', ['webgpu']]);
    expect(c.of('reset')).toEqual([]);
  });

  it('a config error does not break the worker: Reset rebuilds in it', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    c.error(0, 'config', 'bad');
    t.get().resetAll();
    expect(c.of('reset')).toEqual([['reset', 0]]);
  });
});

describe('a long step', () => {
  it('after a second without an answer the page says which step is computed, with an estimate and the time so far', () => {
    const t = setup();
    const c = t.load(experiment(WIDE));
    c.ready(0, 'cpu');
    const t0 = performance.now();
    t.get().startRun(0);
    c.status(0, 'training', 0); // the worker's answer to start; then it computes step 0
    vi.advanceTimersByTime(STALL_MS - 10);
    expect(t.get().runtime[0].progress).toBeUndefined();
    vi.advanceTimersByTime(20);
    expect(t.get().runtime[0].progress).toEqual({ what: expect.stringMatching(/^computing step 0 \(estimated \d+ s\)$/), since: t0 });
    // the first numbers end it
    c.status(0, 'training', 1);
    expect(t.get().runtime[0].progress).toBeUndefined();
    // and a later long step is shown the same way
    vi.advanceTimersByTime(STALL_MS + 10);
    expect(t.get().runtime[0].progress?.what).toMatch(/^computing step 1 /);
  });

  it('a run shows as training from Train on, so that Pause works even before a busy worker answers', () => {
    const t = setup();
    const c = t.load(experiment(WIDE));
    c.ready(0, 'cpu');
    c.status(0, 'idle', 0);
    t.get().toggleAll();
    expect(c.of('start')).toHaveLength(1);
    expect(t.get().runtime[0].status).toBe('training');
    vi.advanceTimersByTime(1500); // no answer: the worker is busy
    t.get().toggleAll();
    expect(c.of('pause')).toEqual([['pause', 0]]);
    vi.advanceTimersByTime(ANSWER_MS + 10);
    expect(c.of('create')).toHaveLength(2);
  });

  it('a worker that is still starting says so itself, and is not stopped by a Pause; a run that trains normally shows nothing', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.progress(0, 'starting the backend');
    t.get().startRun(0);
    // (it answers start, and a pause, once started: no claim of training before that)
    expect(t.get().runtime[0].status).toBe('idle');
    t.get().pauseRun(0);
    vi.advanceTimersByTime(5 * STALL_MS);
    expect(t.get().runtime[0].progress?.what).toBe('starting the backend');
    expect(c.of('create')).toHaveLength(1);
    c.ready(0);
    // the time of a step counts from the worker's ready
    expect(t.get().runtime[0].progress).toBeUndefined();
    vi.advanceTimersByTime(STALL_MS / 2);
    expect(t.get().runtime[0].progress).toBeUndefined();
    c.status(0, 'training', 0);
    for (let k = 1; k <= 50; k++) {
      vi.advanceTimersByTime(100);
      c.status(0, 'training', k * 10);
    }
    expect(t.get().runtime[0].progress).toBeUndefined();
  });

  it('a single step (or a paced one) that takes long is shown too', () => {
    const t = setup();
    const c = t.load(experiment(WIDE));
    c.ready(0, 'cpu');
    c.status(0, 'idle', 0);
    t.get().stepAll();
    vi.advanceTimersByTime(STALL_MS + 10);
    expect(t.get().runtime[0].progress?.what).toMatch(/^computing step 0 \(estimated/);
    c.status(0, 'paused', 1);
    expect(t.get().runtime[0].progress).toBeUndefined();
  });

  it('Pause that the worker does not answer within 2 s stops the worker; the run starts again at step 0 in a fresh one, and the page says so', () => {
    const t = setup();
    const c = t.load(experiment(WIDE));
    c.ready(0, 'cpu');
    t.get().startRun(0);
    c.status(0, 'training', 0);
    vi.advanceTimersByTime(1500);
    c.calls.length = 0;
    t.get().pauseRun(0);
    expect(c.calls).toEqual([['pause', 0]]);
    vi.advanceTimersByTime(ANSWER_MS - 10);
    expect(c.of('create')).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(c.calls).toEqual([
      ['pause', 0],
      ['create', 0, 'auto', []],
    ]);
    const rt = t.get().runtime[0];
    expect(rt).toMatchObject({ status: 'idle', step: 0, progress: undefined, error: { kind: 'stopped', recoverable: false } });
    expect(rt.error?.message).toMatch(/^Pause: the run's worker did not answer within 2 s \(it was inside a step, 3\.5 s into step 0, estimated at \d+ s\), so it was stopped; the run starts again from step 0 in a fresh worker\.$/);
    // the new worker's ready keeps the notice; the next start clears it
    c.ready(0, 'cpu');
    expect(t.get().runtime[0].error?.kind).toBe('stopped');
    t.get().startRun(0);
    expect(t.get().runtime[0].error).toBeUndefined();
  });

  it('a slow but working run gets three of its steps to answer a Pause', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0, 'webgpu');
    t.get().startRun(0);
    c.status(0, 'training', 40, { stepsPerSec: 0.5 }); // 2 s a step
    t.get().pauseRun(0);
    vi.advanceTimersByTime(5000);
    expect(c.of('create')).toHaveLength(1);
    c.status(0, 'paused', 41);
    vi.advanceTimersByTime(10_000);
    expect(c.of('create')).toHaveLength(1);
    expect(t.get().runtime[0].status).toBe('paused');
  });

  it('Pause answered in time keeps the worker', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().startRun(0);
    c.status(0, 'training', 40);
    t.get().pauseRun(0);
    vi.advanceTimersByTime(100);
    c.status(0, 'paused', 41);
    vi.advanceTimersByTime(10 * ANSWER_MS);
    expect(c.of('create')).toHaveLength(1);
    expect(t.get().runtime[0]).toMatchObject({ status: 'paused', step: 41 });
  });

  it('Reset inside a step that has not answered for a second replaces the worker at once', () => {
    const t = setup();
    const c = t.load(experiment(WIDE));
    c.ready(0, 'cpu');
    t.get().startRun(0);
    c.status(0, 'training', 0);
    vi.advanceTimersByTime(STALL_MS + 10);
    c.calls.length = 0;
    t.get().resetAll();
    expect(c.calls).toEqual([['create', 0, 'auto', []]]);
    expect(t.get().runtime[0].error?.message).toMatch(/^Reset: the run's worker did not answer/);
  });

  it('Reset early in a step waits 2 s for the rebuilt model, then replaces the worker', () => {
    const t = setup();
    const c = t.load(experiment(WIDE));
    c.ready(0, 'cpu');
    t.get().startRun(0);
    c.status(0, 'training', 0);
    vi.advanceTimersByTime(300);
    t.get().resetAll();
    expect(c.of('reset')).toEqual([['reset', 0]]);
    vi.advanceTimersByTime(ANSWER_MS + 10);
    expect(c.of('create')).toHaveLength(2);
    // answered in time: nothing more
    const t2 = setup();
    const c2 = t2.load(experiment({}));
    c2.ready(0);
    t2.get().startRun(0);
    c2.status(0, 'training', 5);
    t2.get().resetAll();
    c2.ready(0);
    vi.advanceTimersByTime(10 * ANSWER_MS);
    expect(c2.of('create')).toHaveLength(1);
  });

  it('removing a run during a long step stops its worker at once', () => {
    const t = setup();
    const c = t.load(experiment(WIDE, {}));
    c.ready(0, 'cpu');
    t.get().startRun(0);
    vi.advanceTimersByTime(5 * STALL_MS);
    c.calls.length = 0;
    t.get().removeRun(0);
    expect(c.calls.map((x) => x.slice(0, 2))).toEqual([
      ['terminateAll', -1],
      ['create', 0],
    ]);
    vi.advanceTimersByTime(10 * ANSWER_MS);
    expect(c.of('create')).toHaveLength(1);
    expect(t.get().runtime[0].progress).toBeUndefined();
  });

  it('in a hidden tab (where workers rest for seconds) no progress line is made up, nor when it is shown again', () => {
    const t = setup({ hidden: true });
    t.controller.watchVisibility();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().startRun(0);
    c.status(0, 'training', 3);
    vi.advanceTimersByTime(5 * STALL_MS);
    expect(t.get().runtime[0].progress).toBeUndefined();
    t.env.hiddenNow = false;
    t.visibilityChanged();
    vi.advanceTimersByTime(STALL_MS - 10);
    expect(t.get().runtime[0].progress).toBeUndefined();
    c.status(0, 'training', 9);
    vi.advanceTimersByTime(STALL_MS - 10);
    expect(t.get().runtime[0].progress).toBeUndefined();
  });
});

describe('rebuilds in a burst', () => {
  it('typing 1024 into 64 layer boxes builds one model, once the typing stops; the page shows step 0 at once', () => {
    const t = setup();
    // (A run that has not trained yet: on a trained one such edits wait for Restart, see controller.test.ts.)
    const c = t.load(experiment({ model: { hidden: Array<number>(64).fill(16) } }));
    c.ready(0);
    for (let k = 0; k < 64; k++) {
      expect(t.get().editRun(0, (d) => (d.model.hidden[k] = 1024))).toBeNull();
      expect(t.get().runtime[0]).toMatchObject({ status: 'idle', step: 0 });
      vi.advanceTimersByTime(REBUILD_DELAY_MS - 50);
    }
    expect(c.of('reset')).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(c.of('reset')).toEqual([['reset', 0]]);
    expect(c.workers.get(0)!.config.model.hidden).toEqual(Array<number>(64).fill(1024));
    expect(c.of('create')).toHaveLength(1);
  });

  it('live edits go at once; one during a waiting rebuild goes with it', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().editRun(0, (d) => (d.optimizer.lr = 0.2));
    expect(c.of('update')).toEqual([['update', 0]]);
    t.get().editRun(0, (d) => (d.seed = 7));
    t.get().editRun(0, (d) => (d.optimizer.lr = 0.3));
    expect(c.of('update')).toHaveLength(1);
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    expect(c.of('reset')).toHaveLength(1);
    expect(c.workers.get(0)!.config).toMatchObject({ seed: 7, optimizer: { lr: 0.3 } });
  });

  it('a rebuild waits while the worker is still building the previous one', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().editRun(0, (d) => (d.seed = 2));
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    expect(c.of('reset')).toHaveLength(1);
    t.get().editRun(0, (d) => (d.seed = 3));
    vi.advanceTimersByTime(10 * REBUILD_DELAY_MS);
    expect(c.of('reset')).toHaveLength(1);
    c.ready(0);
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    expect(c.of('reset')).toHaveLength(2);
    expect(c.workers.get(0)!.config.seed).toBe(3);
  });

  it('Train or Step right after an edit sends the rebuild first', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().editRun(0, (d) => (d.seed = 2));
    c.calls.length = 0;
    t.get().startRun(0);
    expect(c.calls.map((x) => x[0])).toEqual(['reset', 'start']);
    vi.advanceTimersByTime(10 * REBUILD_DELAY_MS);
    expect(c.of('reset')).toHaveLength(1);
  });

  it('restarting with a new model stops the old one at once, and what it still reports is not shown', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().startRun(0);
    c.status(0, 'training', 100);
    t.get().editRun(0, (d) => (d.model.hidden = [8]));
    // A trained run is not wiped by the edit: it trains on until the user restarts.
    expect(c.of('pause')).toEqual([]);
    expect(t.get().runtime[0]).toMatchObject({ status: 'training', step: 100 });
    t.get().restartWithPending(0);
    expect(c.of('pause')).toEqual([['pause', 0]]);
    c.status(0, 'paused', 103);
    expect(t.get().runtime[0]).toMatchObject({ status: 'idle', step: 0 });
  });

  it('nothing is built while the resource check would refuse: edits through a refused size build only the last config', () => {
    const t = setup();
    const c = t.load(experiment({}));
    c.ready(0);
    t.get().editRun(0, (d) => Object.assign(d, { model: { ...d.model, hidden: HUGE.model!.hidden }, optimizer: { ...d.optimizer, name: 'adam' }, train: { ...d.train, batchSize: 4096 } }));
    expect(t.controller.verdict(0).level).toBe('refuse');
    t.get().editRun(0, (d) => (d.model.hidden = [8, 8]));
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    // from the refused size back: a fresh worker with the last config, nothing in between
    expect(c.of('terminate')).toEqual([]);
    expect(c.of('create')).toHaveLength(2);
    expect(c.workers.get(0)!.config.model.hidden).toEqual([8, 8]);
    // into it: the worker goes, nothing is built
    t.get().editRun(0, (d) => Object.assign(d, { model: { ...d.model, hidden: HUGE.model!.hidden }, optimizer: { ...d.optimizer, name: 'adam' }, train: { ...d.train, batchSize: 4096 } }));
    vi.advanceTimersByTime(REBUILD_DELAY_MS);
    expect(c.has(0)).toBe(false);
    expect(c.of('create')).toHaveLength(2);
    expect(t.get().runtime[0].error?.kind).toBe('resources');
  });
});
