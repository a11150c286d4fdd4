/**
 * When the worker draws the decision boundary (the model's class-1 probability
 * on a grid over the input plane, 2-D data sets): at most every 500 ms, and at
 * most a tenth of the worker's time — a wide net's grid costs as much as many
 * training steps — and never for a model whose grid would take more than
 * MAX_GRID_FLOPS (the page then shows the data without the boundary).
 */
export const BOUNDARY_N = 40;
const MIN_INTERVAL_MS = 500;
/** Forward work of one grid beyond which it is not drawn (about a second on the cpu backend). */
export const MAX_GRID_FLOPS = 1e9;

export class BoundaryPolicy {
  private last = -Infinity;
  private interval = MIN_INTERVAL_MS;

  /** `flopsPerStep`/`batch`: the run's estimate (6 × batch × multiply-adds), so one forward pass is flopsPerStep/(3·batch) per point. */
  constructor(private readonly gridFlops: number) {}

  static forRun(flopsPerStep: number, batch: number): BoundaryPolicy {
    return new BoundaryPolicy((BOUNDARY_N * BOUNDARY_N * flopsPerStep) / (3 * Math.max(1, batch)));
  }

  /** Whether to draw now (`force`: after a build or a single step, unless the grid is too costly). */
  due(now: number, force: boolean): boolean {
    if (this.gridFlops > MAX_GRID_FLOPS) return false;
    if (!force && now - this.last < this.interval) return false;
    this.last = now;
    return true;
  }

  /** The grid took `ms`: the next one waits at least ten times as long. */
  took(ms: number): void {
    this.interval = Math.max(MIN_INTERVAL_MS, 10 * ms);
  }
}
