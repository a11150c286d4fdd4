/**
 * The records of one run on their way out of the worker: rows waiting for the
 * next post to the page, the run's history for exports, and the step rate.
 * Rows are the engine's packed rows (engine/rows.ts); each carries its step.
 */

/** Rows waiting for one post before only every other one is kept (the page is not keeping up). */
export const MAX_ROWS_PER_POST = 4096;
/** History budget (floats) for exports; past it the history is thinned 2:1. */
export const HISTORY_BUDGET_FLOATS = 8_000_000;

export class RecordQueue {
  private pending: Float32Array[] = [];
  private history: Float32Array[] = [];
  private historyFloats = 0;
  private historyStride = 1;
  private historyRowsSeen = 0;

  constructor(
    private readonly maxPending = MAX_ROWS_PER_POST,
    private readonly historyBudget = HISTORY_BUDGET_FLOATS,
  ) {}

  get pendingCount(): number {
    return this.pending.length;
  }

  get historyCount(): number {
    return this.history.length;
  }

  /** Queues `count` rows of `rowLength` floats (copied). */
  push(rows: Float32Array, count: number, rowLength: number): void {
    for (let i = 0; i < count; i++) {
      const row = rows.slice(i * rowLength, (i + 1) * rowLength);
      this.addToHistory(row);
      if (this.pending.length >= this.maxPending) this.pending = this.pending.filter((_, j) => j % 2 === 0);
      this.pending.push(row);
    }
  }

  /** The waiting rows packed into one transferable array, or null when none wait. */
  take(): { rows: Float32Array; count: number } | null {
    if (this.pending.length === 0) return null;
    const out = { rows: pack(this.pending), count: this.pending.length };
    this.pending = [];
    return out;
  }

  /** Every kept row of the run, packed (thinned 2:1 each time the history outgrew its budget). */
  exportHistory(): { rows: Float32Array; count: number } {
    return { rows: pack(this.history), count: this.history.length };
  }

  clear(): void {
    this.pending = [];
    this.history = [];
    this.historyFloats = 0;
    this.historyStride = 1;
    this.historyRowsSeen = 0;
  }

  private addToHistory(row: Float32Array): void {
    if (this.historyRowsSeen++ % this.historyStride !== 0) return;
    this.history.push(row);
    this.historyFloats += row.length;
    if (this.historyFloats > this.historyBudget) {
      this.history = this.history.filter((_, i) => i % 2 === 0);
      this.historyFloats = this.history.reduce((a, r) => a + r.length, 0);
      this.historyStride *= 2;
    }
  }
}

function pack(rows: Float32Array[]): Float32Array {
  const w = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * w);
  rows.forEach((r, i) => out.set(r, i * w));
  return out;
}

/** Steps per second over a sliding window of about a second. */
export class RateMeter {
  private window: { t: number; step: number }[] = [];

  reset(t: number, step: number): void {
    this.window = [{ t, step }];
  }

  add(t: number, step: number): void {
    this.window.push({ t, step });
    while (this.window.length > 2 && t - this.window[0].t > 1000) this.window.shift();
  }

  perSec(): number {
    const w = this.window;
    if (w.length < 2) return 0;
    const a = w[0];
    const b = w[w.length - 1];
    return b.t > a.t ? ((b.step - a.step) * 1000) / (b.t - a.t) : 0;
  }
}
