/**
 * High-rate training metrics, kept out of React. Each run's history is a list
 * of packed rows (engine/rows.ts) decimated by stride doubling: when
 * it holds MAX_POINTS rows, every other row is dropped and only every
 * 2·stride-th step is kept from then on. Evaluation rows (test metrics) are
 * decimated the same way on a budget of their own (MAX_EVAL_POINTS), and the
 * first diverged row is always kept. Memory and the work per row stay bounded
 * however long the run, and the whole run stays visible (decimation, not
 * truncation). The latest row is kept apart.
 *
 * Subscribers are notified at most once per animation frame.
 */
import { decodeRow, head, isDiverged, isEvaluated, layerValue, type HeadField, type LayerField, type RowMeta } from '../engine/rows.ts';
import type { StepRecord } from '../engine/records.ts';
import type { UnitSnapshot } from '../engine/unitSnapshot.ts';

export { head as headValue, isEvaluated, layerValue, type LayerField };

export const MAX_POINTS = 4096;
export const MAX_EVAL_POINTS = 1024;
/** Per-unit snapshots kept per run for the network view's step slider (a ring: the oldest goes). */
export const MAX_UNIT_SNAPSHOTS = 120;
/** Only the latest few keep their unit outputs over the plane (the largest part of a snapshot). */
export const UNIT_PLANES_KEPT = 10;

export interface RunSeries {
  run: number;
  label: string;
  layerNames: string[];
  rowLength: number;
  rows: Float32Array[];
  stride: number;
  /** Evaluation rows are kept at steps that are multiples of this. */
  evalStride: number;
  /** Evaluation rows in `rows`. */
  evalRows: number;
  latest: Float32Array | null;
  /** Latest row that carried test metrics. */
  latestEval: Float32Array | null;
  divergedAt: number | null;
  total: number;
  boundary: { n: number; probs: Float32Array; step: number } | null;
  /** The network view's per-unit snapshots, oldest first (at most MAX_UNIT_SNAPSHOTS). */
  units: UnitSnapshot[];
}

export function newSeries(run: number, label: string, layerNames: string[], rowLength: number): RunSeries {
  return {
    run,
    label,
    layerNames,
    rowLength,
    rows: [],
    stride: 1,
    evalStride: 1,
    evalRows: 0,
    latest: null,
    latestEval: null,
    divergedAt: null,
    total: 0,
    boundary: null,
    units: [],
  };
}

export function pushRows(s: RunSeries, packed: Float32Array, count: number): void {
  const w = s.rowLength;
  // The diverged row is an event: always kept. Evaluation rows on their own stride.
  const keep = (r: Float32Array) => isDiverged(r) || head(r, 'step') % (isEvaluated(r) ? s.evalStride : s.stride) === 0;
  const refilter = () => {
    s.rows = s.rows.filter(keep);
    s.evalRows = s.rows.reduce((n, r) => n + (isEvaluated(r) && !isDiverged(r) ? 1 : 0), 0);
  };
  for (let i = 0; i < count; i++) {
    const row = packed.slice(i * w, i * w + w);
    s.latest = row;
    s.total++;
    if (isDiverged(row) && s.divergedAt === null) s.divergedAt = head(row, 'step');
    if (isEvaluated(row)) s.latestEval = row;
    if (!keep(row)) continue;
    s.rows.push(row);
    if (isEvaluated(row) && !isDiverged(row)) s.evalRows++;
    if (s.rows.length - s.evalRows > MAX_POINTS) {
      s.stride *= 2;
      refilter();
    }
    if (s.evalRows > MAX_EVAL_POINTS) {
      s.evalStride *= 2;
      refilter();
    }
  }
}

/** A packed row as a contract step record. */
export function rowToRecord(row: Float32Array, meta: RowMeta): StepRecord {
  return decodeRow(row, 0, meta);
}

export type MetricField = Extract<HeadField, 'loss' | 'acc' | 'gradNorm' | 'gradNormClipped'>;

/** Evenly thins a list to at most n items (keeps the last). */
export function thin<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  const step = xs.length / n;
  for (let i = 0; i < n - 1; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

// ------------------------------------------------------------------ the store

type Listener = () => void;

export class MetricsStore {
  private series = new Map<number, RunSeries>();
  private listeners = new Set<Listener>();
  private scheduled = false;
  private runVersions = new Map<number, number>();
  version = 0;

  /** Changes whenever that run's series changes (not when another run's does). */
  runVersion(run: number): number {
    return this.runVersions.get(run) ?? 0;
  }

  get(run: number): RunSeries | undefined {
    return this.series.get(run);
  }

  all(): RunSeries[] {
    return [...this.series.values()].sort((a, b) => a.run - b.run);
  }

  reset(run: number, label: string, layerNames: string[], rowLength: number): void {
    this.series.set(run, newSeries(run, label, layerNames, rowLength));
    this.changed(run);
  }

  clear(): void {
    for (const run of this.series.keys()) this.bump(run);
    this.series.clear();
    this.changed();
  }

  add(run: number, packed: Float32Array, count: number): void {
    const s = this.series.get(run);
    if (!s) return;
    pushRows(s, packed, count);
    this.changed(run);
  }

  setBoundary(run: number, b: RunSeries['boundary']): void {
    const s = this.series.get(run);
    if (!s) return;
    s.boundary = b;
    this.changed(run);
  }

  addUnits(run: number, snap: UnitSnapshot): void {
    const s = this.series.get(run);
    if (!s) return;
    const u = s.units;
    // A snapshot of the same step replaces the last one (a forced one after a pause).
    if (u.length && u[u.length - 1].step >= snap.step) u.pop();
    u.push(snap);
    if (u.length > MAX_UNIT_SNAPSHOTS) u.shift();
    const old = u[u.length - 1 - UNIT_PLANES_KEPT];
    if (old) for (const l of old.layers) l.plane = null;
    this.changed(run);
  }

  setLabel(run: number, label: string): void {
    const s = this.series.get(run);
    if (s) s.label = label;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private bump(run: number): void {
    this.runVersions.set(run, this.runVersion(run) + 1);
  }

  /** Coalesces notifications to one per animation frame. */
  private changed(run?: number): void {
    if (run !== undefined) this.bump(run);
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    const notify = () => {
      this.scheduled = false;
      for (const l of this.listeners) l();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(notify);
    else setTimeout(notify, 16);
  }
}

export const metrics = new MetricsStore();
