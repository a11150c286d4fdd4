/**
 * When the worker takes a per-unit snapshot for the network view: only while
 * the view is open, at most every 250 ms (a few pictures a second is all the
 * eye follows), and at most a fortieth of the worker’s time: the next one waits
 * at least forty times as long as the last took. A forced one (after a build,
 * a single step, the end of a run) skips the interval, not the time share,
 * unless the last took under 20 ms (slow motion step by step stays exact); a
 * forced one refused for now is taken as soon as the share allows (session.ts).
 */
export const UNITS_MIN_INTERVAL_MS = 250;
const SHARE = 40;
const CHEAP_MS = 20;

export class UnitsPolicy {
  private last = -Infinity;
  private interval = UNITS_MIN_INTERVAL_MS;
  private lastMs = 0;
  private samples: number[] = [];
  private cold = true;

  due(now: number, force: boolean): boolean {
    if (now - this.last < this.interval && !(force && this.forcedWait(now) === 0)) return false;
    this.last = now;
    return true;
  }

  /** Milliseconds until a forced snapshot is allowed (0: now). */
  forcedWait(now: number): number {
    if (this.lastMs < CHEAP_MS) return 0;
    return Math.max(0, SHARE * this.lastMs - (now - this.last));
  }

  /**
   * The last snapshot took `ms`. The first of a trainer is not counted (a backend
   * sets up the kernels of a pass on first use: seconds on the cpu backend for a
   * conv net), and of the last two the shorter one counts (a pause of the machine
   * does not hold the pictures back for long).
   */
  took(ms: number): void {
    if (this.cold) {
      this.cold = false;
      return;
    }
    this.samples.push(ms);
    if (this.samples.length > 2) this.samples.shift();
    this.lastMs = Math.min(...this.samples);
    this.interval = Math.max(UNITS_MIN_INTERVAL_MS, SHARE * this.lastMs);
  }
}
