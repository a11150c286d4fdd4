/**
 * Slow motion: trains runs at a fixed number of steps per second by sending
 * the worker one `step-once` at a time from the page, so an explosion can be
 * watched step by step. At full speed the worker's own loop runs instead.
 *
 * At most one step per run is in flight; the next one is sent on the first
 * tick after the worker reported the previous one (or after a timeout, in case
 * a command was dropped while the worker's loop was winding down).
 */
export type Speed = 'max' | number;

export const SPEEDS: { value: Speed; label: string }[] = [
  { value: 'max', label: 'full speed' },
  { value: 30, label: '30 steps/s' },
  { value: 10, label: '10 steps/s' },
  { value: 3, label: '3 steps/s' },
  { value: 1, label: '1 step/s' },
];

export function speedFromString(s: string): Speed {
  return s === 'max' ? 'max' : Number(s);
}

interface PacedRun {
  waitingSince: number | null;
  lastStep: number;
  acks: number[];
}

export interface PacedStatus {
  status: 'training' | 'diverged' | 'done' | 'error' | 'paused' | 'idle';
  stepsPerSec: number;
}

export class Pacer {
  private runs = new Map<number, PacedRun>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private rate = 10;

  constructor(private readonly stepOnce: (run: number) => void) {}

  setRate(rate: number): void {
    if (rate === this.rate) return;
    this.rate = rate;
    if (this.timer) {
      this.stopTimer();
      this.ensureTimer();
    }
  }

  isPaced(run: number): boolean {
    return this.runs.has(run);
  }

  start(run: number, step: number): void {
    this.runs.set(run, { waitingSince: null, lastStep: step, acks: [] });
    this.ensureTimer();
    this.tick();
  }

  stop(run: number): void {
    this.runs.delete(run);
    if (this.runs.size === 0) this.stopTimer();
  }

  stopAll(): void {
    this.runs.clear();
    this.stopTimer();
  }

  /**
   * A status report from a run's worker. For a paced run, returns what to show:
   * 'training' while it is being stepped, the worker's status once it ended.
   */
  onStatus(run: number, status: string, step: number): PacedStatus | null {
    const r = this.runs.get(run);
    if (!r) return null;
    r.waitingSince = null;
    const now = performance.now();
    if (step > r.lastStep) {
      for (let k = r.lastStep; k < step; k++) r.acks.push(now);
      r.lastStep = step;
    }
    while (r.acks.length > 0 && now - r.acks[0] > 3000) r.acks.shift();
    if (status === 'diverged' || status === 'done' || status === 'error') {
      this.stop(run);
      return { status, stepsPerSec: 0 };
    }
    const span = r.acks.length > 1 ? (r.acks[r.acks.length - 1] - r.acks[0]) / 1000 : 0;
    return { status: 'training', stepsPerSec: span > 0 ? (r.acks.length - 1) / span : 0 };
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 1000 / this.rate);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = performance.now();
    const timeout = Math.max(2000, 3000 / this.rate);
    for (const [run, r] of this.runs) {
      if (r.waitingSince !== null && now - r.waitingSince < timeout) continue;
      r.waitingSince = now;
      this.stepOnce(run);
    }
  }
}
