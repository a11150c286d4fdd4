import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKGROUND_SHARE } from './workerClient.ts';
import { experiment, setup } from './controllerFake.ts';

describe('RunController: who sends the steps', () => {
  describe('slow motion', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    });
    afterEach(() => {
      vi.clearAllTimers();
      vi.useRealTimers();
    });

    it('in slow motion the page sends single steps and the run shows as training', () => {
      const t = setup();
      const c = t.load(experiment({}));
      t.get().setSpeed(10);
      t.get().startRun(0);
      expect(c.of('start')).toEqual([]);
      expect(c.of('stepOnce')).toEqual([['stepOnce', 0]]);
      expect(t.get().runtime[0].status).toBe('training');
      // The worker pauses after each single step; the page still shows training.
      for (let step = 1; step <= 5; step++) {
        c.status(0, 'paused', step);
        vi.advanceTimersByTime(100);
      }
      expect(c.of('stepOnce')).toHaveLength(6);
      expect(t.get().runtime[0]).toMatchObject({ status: 'training', step: 5 });
      expect(t.get().runtime[0].stepsPerSec).toBeCloseTo(10, 0);
      // Pause stops the pacer: no more steps, the run shows paused.
      t.get().pauseRun(0);
      expect(t.get().runtime[0]).toMatchObject({ status: 'paused', stepsPerSec: 0 });
      expect(c.of('pause')).toEqual([]);
      vi.advanceTimersByTime(1000);
      expect(c.of('stepOnce')).toHaveLength(6);
    });

    it('changing the speed while training hands the run between the worker loop and the pacer', () => {
      const t = setup({ cores: 3 });
      const c = t.load(experiment({}));
      t.get().startRun(0);
      c.status(0, 'training', 20);
      t.get().setSpeed(3);
      // The worker's loop is paused; the pacer takes over from the step reached.
      expect(c.of('pause')).toEqual([['pause', 0]]);
      expect(c.of('stepOnce')).toEqual([['stepOnce', 0]]);
      c.status(0, 'paused', 21);
      expect(t.get().runtime[0].status).toBe('training');
      vi.advanceTimersByTime(334);
      expect(c.of('stepOnce')).toHaveLength(2);
      // A second slow speed only changes the pacer's rate.
      t.get().setSpeed(1);
      expect(c.of('pause')).toHaveLength(1);
      // Back to full speed: the worker's own loop again.
      t.get().setSpeed('max');
      expect(c.of('start')).toEqual([
        ['start', 0, { cpuShare: 1, background: false }],
        ['start', 0, { cpuShare: 1, background: false }],
      ]);
      vi.advanceTimersByTime(5000);
      expect(c.of('stepOnce')).toHaveLength(2);
    });

    it('a paced run that diverges stops being stepped and shows diverged', () => {
      const t = setup();
      const c = t.load(experiment({}));
      t.get().setSpeed(30);
      t.get().startRun(0);
      c.status(0, 'diverged', 1, { divergedAt: 1, divergedReason: 'loss is Infinity' });
      expect(t.get().runtime[0]).toMatchObject({ status: 'diverged', stepsPerSec: 0, divergedAt: 1 });
      vi.advanceTimersByTime(5000);
      expect(c.of('stepOnce')).toHaveLength(1);
    });

    it('reset stops the pacer', () => {
      const t = setup();
      const c = t.load(experiment({}));
      t.get().setSpeed(10);
      t.get().startRun(0);
      t.get().resetAll();
      c.status(0, 'idle', 0);
      expect(t.get().runtime[0].status).toBe('idle');
      vi.advanceTimersByTime(5000);
      expect(c.of('stepOnce')).toHaveLength(1);
    });
  });

  it('a hidden tab trains on a small share; shown again, the share is back', () => {
    const t = setup({ cores: 2 });
    const c = t.load(experiment({}));
    t.controller.watchVisibility();
    t.get().startRun(0);
    c.status(0, 'training', 5);
    t.env.hiddenNow = true;
    t.visibilityChanged();
    expect(c.of('start').at(-1)).toEqual(['start', 0, { cpuShare: BACKGROUND_SHARE, background: true }]);
    t.env.hiddenNow = false;
    t.visibilityChanged();
    expect(c.of('start').at(-1)).toEqual(['start', 0, { cpuShare: 1, background: false }]);
    // Not training: nothing to tell.
    c.status(0, 'paused', 9);
    t.visibilityChanged();
    expect(c.of('start')).toHaveLength(3);
  });
});
