import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DisplayClock } from './displayClock.ts';

describe('DisplayClock', () => {
  let now = 0;
  const clock = () => new DisplayClock(250, () => now);
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
  });
  afterEach(() => vi.useRealTimers());
  const advance = (ms: number) => {
    now += ms;
    vi.advanceTimersByTime(ms);
  };

  it('runs what is asked at the next multiple of the tick, all of a tick together, each once', () => {
    const c = clock();
    const ran: string[] = [];
    advance(30);
    c.schedule(() => ran.push('a'));
    advance(100);
    const b = () => ran.push('b');
    c.schedule(b);
    c.schedule(b);
    advance(119);
    expect(ran).toEqual([]);
    advance(1); // t = 250
    expect(ran).toEqual(['a', 'b']);
    advance(500);
    expect(ran).toEqual(['a', 'b']);
  });

  it('a callback asked during a tick waits for the next one; cancel drops it', () => {
    const c = clock();
    const ran: number[] = [];
    const again = () => {
      ran.push(now);
      if (ran.length < 3) c.schedule(again);
    };
    c.schedule(again);
    advance(250);
    expect(ran).toEqual([250]);
    advance(250);
    expect(ran).toEqual([250, 500]);
    const never = () => ran.push(-1);
    c.schedule(never);
    expect(c.isPending(never)).toBe(true);
    c.cancel(never);
    for (let i = 0; i < 4; i++) advance(250);
    expect(ran).toEqual([250, 500, 750]);
  });

  it('due: an interval rounds to whole ticks, at least one', () => {
    const c = clock();
    now = 1000;
    // 400 ms → 2 ticks (500 ms); 250 → 1; 100 → 1; 600 → 2; 1000 → 4
    expect(c.due(750, 400)).toBe(false);
    expect(c.due(500, 400)).toBe(true);
    expect(c.due(750, 250)).toBe(true);
    expect(c.due(750, 100)).toBe(true);
    expect(c.due(500, 600)).toBe(true);
    expect(c.due(250, 1000)).toBe(false);
    expect(c.due(0, 1000)).toBe(true);
    expect(c.due(-Infinity, 1000)).toBe(true);
  });
});
