/**
 * The page's display clock. The views that change while a run trains (the line
 * charts, the heatmap, the gradient-flow bars, the decision boundary, the network
 * view, the run's summary line) redraw on its ticks only, every view due at a
 * tick in the same task, so that React renders them together and the browser
 * composites one frame per tick. Left to their own timers, the views and the
 * summary's step counter changed the page about 20–30 times a second at
 * different moments, and every change is a frame to composite: with every chart
 * on screen and software compositing (no GPU) that took most of a core from the
 * training worker (bench: `npm run bench -- --only=pace`).
 */

/** Tick period: 4 frames with new numbers per second while training. */
export const DISPLAY_TICK_MS = 250;

export class DisplayClock {
  private readonly pending = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly tickMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Runs `fn` at the next tick (on the clock's grid of multiples of tickMs); asked
   * again before then, it still runs once.
   */
  schedule(fn: () => void): void {
    this.pending.add(fn);
    if (this.timer !== null) return;
    const t = this.now();
    const next = (Math.floor(t / this.tickMs) + 1) * this.tickMs;
    this.timer = setTimeout(() => this.flush(), next - t);
  }

  cancel(fn: () => void): void {
    this.pending.delete(fn);
  }

  /** Whether `fn` waits for the next tick. */
  isPending(fn: () => void): boolean {
    return this.pending.has(fn);
  }

  /** Runs the tick's callbacks in the order they were asked; one asked during the tick waits for the next. */
  flush(): void {
    this.timer = null;
    const due = [...this.pending];
    this.pending.clear();
    for (const fn of due) fn();
  }

  /**
   * Whether a view that last drew at `last` and redraws at most every
   * `minIntervalMs` may draw at this tick: ticks come on a grid, so an interval
   * rounds to the nearest whole number of ticks (at least one).
   */
  due(last: number, minIntervalMs: number): boolean {
    return this.now() - last >= Math.max(this.tickMs, minIntervalMs) - this.tickMs / 2;
  }
}

/** The page's one display clock. */
export const displayClock = new DisplayClock(DISPLAY_TICK_MS);
