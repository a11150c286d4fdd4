/**
 * The decision boundary of a 2-D data set: the class-1 probability on a grid,
 * with the training points on top, on a canvas.
 */
import { context2d } from './canvas.ts';
import { useLayoutEffect, useRef } from 'react';
import { metrics } from './metrics.ts';
import { boundaryRgba, chartPalette, valueColor } from './colors.ts';
import { useMetricsVersion } from './useMetrics.ts';
import { useStore } from './store.ts';
import { PngButton } from './PngButton.tsx';
import { CLASS_COLORS } from './DataPreview.tsx';
import { datasetView, isProblem, isRegressionRun } from './datasetCache.ts';
import { targetRange } from '../engine/data/datasets.ts';

/** CSS size of the decision-boundary canvas. */
const BOUNDARY_SIZE = 200;

/** Decision boundary of a 2-D data set: class-1 probability on a grid. */
export function DecisionBoundary({ run }: { run: number }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(600, figRef, run);
  const ref = useRef<HTMLCanvasElement>(null);
  const gridRef = useRef<HTMLCanvasElement | null>(null);
  const cfg = useStore((s) => s.experiment.runs[run]);
  useLayoutEffect(() => {
    const canvas = ref.current;
    const b = metrics.get(run)?.boundary;
    if (!canvas) return;
    const dpr = Math.min(3, window.devicePixelRatio || 1);
    canvas.width = Math.round(BOUNDARY_SIZE * dpr);
    canvas.height = Math.round(BOUNDARY_SIZE * dpr);
    const ctx = context2d(canvas);
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = chartPalette().background;
    ctx.fillRect(0, 0, BOUNDARY_SIZE, BOUNDARY_SIZE);
    if (b) {
      gridRef.current ??= document.createElement('canvas');
      const grid = gridRef.current;
      if (grid.width !== b.n) grid.width = grid.height = b.n;
      const g = context2d(grid);
      if (g) {
        const img = g.createImageData(b.n, b.n);
        for (let r = 0; r < b.n; r++)
          for (let c = 0; c < b.n; c++) {
            const p = b.probs[r * b.n + c];
            const q = Number.isFinite(p) ? p : 0.5;
            // blue (class 0) ↔ orange (class 1), y up
            const o = ((b.n - 1 - r) * b.n + c) * 4;
            img.data.set(boundaryRgba(q), o);
          }
        g.putImageData(img, 0, 0);
        ctx.imageSmoothingEnabled = true;
        ctx.drawImage(grid, 0, 0, BOUNDARY_SIZE, BOUNDARY_SIZE);
      }
    }
    // The training points on top (the grid spans [-1.5, 1.5]², like the data preview).
    const view = cfg ? datasetView(cfg) : null;
    if (view && !isProblem(view) && view.data.inputSize === 2) {
      const d = view.data;
      const [lo, hi] = d.task === 'regression' ? targetRange(d.tTrain) : [0, 1];
      const px = (v: number) => ((v + 1.5) / 3) * BOUNDARY_SIZE;
      const r = d.nTrain > 2000 ? 1.2 : 2;
      ctx.lineWidth = 0.75;
      ctx.strokeStyle = chartPalette().background;
      for (let i = 0; i < d.nTrain; i++) {
        ctx.fillStyle = d.task === 'regression' ? valueColor((d.tTrain[i] - lo) / (hi - lo || 1)) : CLASS_COLORS[d.yTrain[i]];
        ctx.beginPath();
        ctx.arc(px(d.xTrain[2 * i]), BOUNDARY_SIZE - px(d.xTrain[2 * i + 1]), r, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    }
  }, [version, run, cfg]);
  return (
    <figure ref={figRef} className="chart boundary" aria-label="Decision boundary">
      <figcaption>
        <span>
          {cfg && isRegressionRun(cfg)
            ? 'Prediction (shading: the predicted target over the training range, blue low to orange high; dots: training points)'
            : 'Decision boundary (shading: predicted class; dots: training points)'}
        </span>
        <PngButton name={`decision-boundary-${run}`} />
      </figcaption>
      <canvas ref={ref} className="boundary-canvas" data-testid="decision-boundary" />
    </figure>
  );
}
