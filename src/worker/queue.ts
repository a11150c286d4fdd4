/**
 * The records of one run on their way out of the worker: rows waiting for the
 * next post to the page, the run's history for exports, and the step rate.
 * Rows are the engine's packed rows (engine/rows.ts); each carries its step.
 */

/** Rows waiting for one post before only every other one is kept (the page is not keeping up). */
export const MAX_ROWS_PER_POST = 4096;
/**
 * Export history budget (floats, 64 MiB a run): every record is kept up to it
 * (47,000 steps of a 64-layer net, 500,000 of the default one); past it the
 * history is thinned 2:1, and the export says so.
 */
export const HISTORY_BUDGET_FLOATS = 16 * 1024 * 1024;
/** Floats per storage block of the history. */
const BLOCK_FLOATS = 1 << 16;

export class RecordQueue {
  /** The waiting rows, back to back (`waiting` of them), in a buffer that grows by doubling. */
  private pending = new Float32Array(0);
  private waiting = 0;
  private rowLength = 0;
  private readonly history: History;

  constructor(
    private readonly maxPending = MAX_ROWS_PER_POST,
    historyBudget = HISTORY_BUDGET_FLOATS,
  ) {
    this.history = new History(historyBudget);
  }

  get pendingCount(): number {
    return this.waiting;
  }

  get historyCount(): number {
    return this.history.count;
  }

  /**
   * Queues `count` rows of `rowLength` floats (copied). Rows are copied in runs, not
   * one array per row: at the typed engine's 30,000 steps/s a copy per row was a
   * few percent of the worker's time.
   */
  push(rows: Float32Array, count: number, rowLength: number): void {
    this.history.add(rows, count, rowLength);
    if (this.waiting > 0 && rowLength !== this.rowLength) throw new Error(`record rows of ${rowLength} floats queued after rows of ${this.rowLength}`);
    this.rowLength = rowLength;
    const w = rowLength;
    let i = 0;
    while (i < count) {
      // Full: keep every other waiting row (0, 2, 4, …), as the page is not keeping up.
      if (this.waiting >= this.maxPending) this.halve();
      const k = Math.min(count - i, this.maxPending - this.waiting);
      const need = (this.waiting + k) * w;
      if (this.pending.length < need) {
        const grown = new Float32Array(Math.max(need, 2 * this.pending.length));
        grown.set(this.pending.subarray(0, this.waiting * w));
        this.pending = grown;
      }
      this.pending.set(rows.subarray(i * w, (i + k) * w), this.waiting * w);
      this.waiting += k;
      i += k;
    }
  }

  private halve(): void {
    const w = this.rowLength;
    const kept = Math.ceil(this.waiting / 2);
    for (let j = 1; j < kept; j++) this.pending.copyWithin(j * w, 2 * j * w, (2 * j + 1) * w);
    this.waiting = kept;
  }

  /** The waiting rows packed into one transferable array, or null when none wait. */
  take(): { rows: Float32Array; count: number } | null {
    if (this.waiting === 0) return null;
    const out = { rows: this.pending.slice(0, this.waiting * this.rowLength), count: this.waiting };
    this.waiting = 0;
    return out;
  }

  /**
   * Every row of the run, packed; `keptEvery` is 1 when nothing was left out,
   * k when only every k-th step was kept (the run outgrew the budget).
   */
  exportHistory(): { rows: Float32Array; count: number; keptEvery: number } {
    return this.history.export();
  }

  clear(): void {
    this.waiting = 0;
    this.history.clear();
  }
}

/** Rows stored back to back in blocks; thinned 2:1 whenever the budget is passed. */
class History {
  private blocks: Float32Array[] = [];
  private used = 0; // floats used in the last block
  private rowLength = 0;
  count = 0;
  private stride = 1;
  private seen = 0;

  constructor(private readonly budget: number) {}

  add(rows: Float32Array, count: number, rowLength: number): void {
    this.rowLength = rowLength;
    const w = rowLength;
    let i = 0;
    while (i < count) {
      // Every row kept and room in the last block: the rows up to the block's end or the budget in one copy.
      const last = this.blocks[this.blocks.length - 1];
      const room = last ? Math.floor((last.length - this.used) / w) : 0;
      const underBudget = Math.floor(this.budget / w) - this.count;
      if (this.stride === 1 && room > 1 && underBudget > 1) {
        const k = Math.min(count - i, room, underBudget);
        last.set(rows.subarray(i * w, (i + k) * w), this.used);
        this.used += k * w;
        this.count += k;
        this.seen += k;
        i += k;
        continue;
      }
      if (this.seen++ % this.stride === 0) {
        this.append(rows.subarray(i * w, (i + 1) * w));
        if (this.count * w > this.budget) this.thin();
      }
      i++;
    }
  }

  private append(row: Float32Array): void {
    const w = row.length;
    let last = this.blocks[this.blocks.length - 1];
    if (!last || this.used + w > last.length) {
      last = new Float32Array(Math.max(BLOCK_FLOATS - (BLOCK_FLOATS % w), w));
      this.blocks.push(last);
      this.used = 0;
    }
    last.set(row, this.used);
    this.used += w;
    this.count++;
  }

  private thin(): void {
    const all = this.export().rows;
    const w = this.rowLength;
    const n = this.count;
    this.blocks = [];
    this.used = 0;
    this.count = 0;
    for (let i = 0; i < n; i += 2) this.append(all.subarray(i * w, (i + 1) * w));
    this.stride *= 2;
  }

  export(): { rows: Float32Array; count: number; keptEvery: number } {
    const w = this.rowLength;
    const out = new Float32Array(this.count * w);
    let at = 0;
    this.blocks.forEach((b, i) => {
      const n = i === this.blocks.length - 1 ? this.used : b.length - (b.length % w);
      out.set(b.subarray(0, n), at);
      at += n;
    });
    return { rows: out, count: this.count, keptEvery: this.stride };
  }

  clear(): void {
    this.blocks = [];
    this.used = 0;
    this.count = 0;
    this.stride = 1;
    this.seen = 0;
  }
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
