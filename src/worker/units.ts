/**
 * When the worker takes a per-unit snapshot for the network view: only while
 * the view is open, at most every 250 ms (a few pictures a second is all the
 * eye follows), and at most a twentieth of the worker's time: the next one waits
 * at least twenty times as long as the last took. A forced one (after a build,
 * a single step, the end of a run) skips the interval, not the time share,
 * unless the last took under 20 ms (slow motion step by step stays exact).
 */
export const UNITS_MIN_INTERVAL_MS = 250;
const SHARE = 20;
const CHEAP_MS = 20;

export class UnitsPolicy {
  private last = -Infinity;
  private interval = UNITS_MIN_INTERVAL_MS;
  private lastMs = 0;

  due(now: number, force: boolean): boolean {
    const wait = now - this.last;
    if (wait < this.interval && !(force && (this.lastMs < CHEAP_MS || wait >= SHARE * this.lastMs))) return false;
    this.last = now;
    return true;
  }

  took(ms: number): void {
    this.lastMs = ms;
    this.interval = Math.max(UNITS_MIN_INTERVAL_MS, SHARE * ms);
  }
}
