import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Pacer } from './pacer.ts';

describe('Pacer (slow motion: one step-once at a time from the page)', () => {
  let sent: number[];
  let pacer: Pacer;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    sent = [];
    pacer = new Pacer((run) => sent.push(run));
  });
  afterEach(() => {
    pacer.stopAll();
    vi.useRealTimers();
  });

  it('sends the first step at once, then one per tick, each after the previous one was reported', () => {
    pacer.setRate(10);
    pacer.start(0, 0);
    expect(sent).toEqual([0]);
    expect(pacer.isPaced(0)).toBe(true);
    // Not reported yet: the ticks wait (at most one step in flight).
    vi.advanceTimersByTime(500);
    expect(sent).toEqual([0]);
    for (let step = 1; step <= 5; step++) {
      expect(pacer.onStatus(0, 'paused', step)).toMatchObject({ status: 'training' });
      vi.advanceTimersByTime(100);
      expect(sent.length).toBe(step + 1);
    }
  });

  it('reports the paced rate measured from the acknowledged steps', () => {
    pacer.setRate(10);
    pacer.start(0, 0);
    let shown = pacer.onStatus(0, 'paused', 1);
    expect(shown).toEqual({ status: 'training', stepsPerSec: 0 }); // one ack: no span yet
    for (let step = 2; step <= 11; step++) {
      vi.advanceTimersByTime(100);
      shown = pacer.onStatus(0, 'paused', step);
    }
    expect(shown!.status).toBe('training');
    expect(shown!.stepsPerSec).toBeCloseTo(10, 5);
  });

  it('resends a step whose report never came, after the timeout', () => {
    pacer.setRate(10);
    pacer.start(0, 0);
    vi.advanceTimersByTime(1900);
    expect(sent).toEqual([0]);
    vi.advanceTimersByTime(200);
    expect(sent).toEqual([0, 0]);
  });

  it('lets go of a run that diverged, finished or failed, and shows the worker status', () => {
    pacer.start(0, 0);
    pacer.start(1, 0);
    expect(pacer.onStatus(0, 'diverged', 1)).toEqual({ status: 'diverged', stepsPerSec: 0 });
    expect(pacer.isPaced(0)).toBe(false);
    expect(pacer.onStatus(1, 'done', 1)).toEqual({ status: 'done', stepsPerSec: 0 });
    expect(pacer.isPaced(1)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    sent.length = 0;
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
  });

  it('ignores reports of runs it does not pace', () => {
    expect(pacer.onStatus(3, 'training', 10)).toBeNull();
  });

  it('paces several runs on one timer and stops it with the last run', () => {
    pacer.setRate(3);
    pacer.start(0, 0);
    pacer.start(1, 7);
    expect(sent).toEqual([0, 1]); // the second start ticks again, but run 0's step is still in flight
    expect(vi.getTimerCount()).toBe(1);
    pacer.onStatus(0, 'paused', 1);
    pacer.onStatus(1, 'paused', 8);
    vi.advanceTimersByTime(Math.ceil(1000 / 3));
    expect(sent).toEqual([0, 1, 0, 1]);
    pacer.stop(0);
    expect(vi.getTimerCount()).toBe(1);
    pacer.stop(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('changes the tick interval with the rate', () => {
    pacer.setRate(1);
    pacer.start(0, 0);
    pacer.onStatus(0, 'paused', 1);
    vi.advanceTimersByTime(999);
    expect(sent).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([0, 0]);
    pacer.onStatus(0, 'paused', 2);
    pacer.setRate(30);
    vi.advanceTimersByTime(34);
    expect(sent).toEqual([0, 0, 0]);
  });
});
