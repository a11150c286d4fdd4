/**
 * The run's data set at a glance: the points of a 2-D set coloured by class
 * (training points filled, test points as rings) or, for a regression, by the
 * target's value; a few example images per class (shapes, digits); the first
 * rows of a table (a CSV, housing) as the net sees them. Generated on the main
 * thread with the engine's seeded makeDataset (see datasetCache.ts), so these
 * are the examples the run trains on.
 */
import { context2d } from './canvas.ts';
import { useEffect, useReducer, useRef } from 'react';
import { targetRange, type Dataset } from '../engine/data/datasets.ts';
import type { RunConfig } from '../engine/config.ts';
import { datasetView, isProblem, onDataArrived } from './datasetCache.ts';
import { PngButton } from './PngButton.tsx';
import { valueColor } from './colors.ts';

/** Class colours, the same blue/orange as the decision boundary (Okabe–Ito). */
export const CLASS_COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999', '#7B3F00'];
const RANGE = 1.5; // the decision boundary's grid spans [-1.5, 1.5]²
const SIZE = 180;
const PER_CLASS = 2;
const PIX = 3;

function setupCanvas(canvas: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D | null {
  const dpr = Math.min(3, window.devicePixelRatio || 1);
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = context2d(canvas);
  ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

const TABLE_ROWS = 5;

/** The first training rows of a table-shaped set, as the net sees them (after scaling). */
function TablePreview({ d, testId }: { d: Dataset; testId: string }) {
  const names = d.featureNames ?? Array.from({ length: d.inputSize }, (_, j) => `x${j + 1}`);
  const reg = d.task === 'regression';
  const rows = Array.from({ length: Math.min(TABLE_ROWS, d.nTrain) }, (_, i) => i);
  const fmt = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4))));
  const what = reg ? `regression of ${d.classNames[0]} (loss: mean squared error; score: R²)` : `classification into ${d.nClasses} classes (${d.classNames.join(', ')})`;
  return (
    <figure className="data-preview" data-testid={testId} data-kind="table" data-count={d.nTrain + d.nTest} data-task={d.task}>
      <figcaption>
        <span>Data preview</span>
      </figcaption>
      <div className="table-scroll">
        <table className="data-table">
          <thead>
            <tr>
              {names.map((n) => (
                <th key={n} scope="col">{n}</th>
              ))}
              <th scope="col">{reg ? d.classNames[0] : 'class'} (target)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i}>
                {names.map((n, j) => (
                  <td key={n}>{fmt(d.xTrain[i * d.inputSize + j])}</td>
                ))}
                <td>{reg ? fmt(d.tTrain[i]) : d.classNames[d.yTrain[i]]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <small className="muted">
        {d.nTrain + d.nTest} rows ({d.nTrain} train, {d.nTest} test), {d.inputSize} feature{d.inputSize === 1 ? '' : 's'}: {what}.
        {d.scaling ? ' Values as the net sees them: z-scored with the training split’s mean and standard deviation.' : ' Raw values, unscaled.'}
      </small>
    </figure>
  );
}

export function DataPreview({ cfg, testId }: { cfg: Pick<RunConfig, 'data' | 'seed'>; testId: string }) {
  const [, arrived] = useReducer((n: number) => n + 1, 0);
  useEffect(() => onDataArrived(arrived), []);
  const view = datasetView(cfg);
  if (isProblem(view)) {
    return (
      <figure className="data-preview" data-testid={testId} data-kind={view.problem}>
        <figcaption>
          <span>Data preview</span>
        </figcaption>
        <p className={view.problem === 'error' ? 'field-error' : 'muted'} role={view.problem === 'error' ? 'alert' : undefined} data-testid={`${testId}-problem`}>
          {view.message}
        </p>
      </figure>
    );
  }
  const d = view.data;
  if (d.name === 'csv' || (d.inputShape.length !== 3 && d.inputSize !== 2)) return <TablePreview d={d} testId={testId} />;
  return <CanvasPreview d={d} testId={testId} />;
}

function CanvasPreview({ d, testId }: { d: Dataset; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const isImage = d.inputShape.length === 3;
  const reg = d.task === 'regression';
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (!isImage) {
      const [lo, hi] = reg ? targetRange(d.tTrain) : [0, 1];
      const color = (t: Float32Array, y: Int32Array, i: number) => (reg ? valueColor((t[i] - lo) / (hi - lo || 1)) : CLASS_COLORS[y[i]]);
      const ctx = setupCanvas(canvas, SIZE, SIZE);
      if (!ctx) return;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, SIZE, SIZE);
      ctx.strokeStyle = '#e3e3e3';
      ctx.beginPath();
      ctx.moveTo(SIZE / 2, 0);
      ctx.lineTo(SIZE / 2, SIZE);
      ctx.moveTo(0, SIZE / 2);
      ctx.lineTo(SIZE, SIZE / 2);
      ctx.stroke();
      const px = (v: number) => ((v + RANGE) / (2 * RANGE)) * SIZE;
      const py = (v: number) => SIZE - ((v + RANGE) / (2 * RANGE)) * SIZE;
      const r = d.nTrain + d.nTest > 2000 ? 1.2 : 2.2;
      ctx.lineWidth = 1.2;
      for (let i = 0; i < d.nTrain; i++) {
        ctx.fillStyle = color(d.tTrain, d.yTrain, i);
        ctx.beginPath();
        ctx.arc(px(d.xTrain[2 * i]), py(d.xTrain[2 * i + 1]), r, 0, 2 * Math.PI);
        ctx.fill();
      }
      for (let i = 0; i < d.nTest; i++) {
        ctx.strokeStyle = color(d.tTest, d.yTest, i);
        ctx.beginPath();
        ctx.arc(px(d.xTest[2 * i]), py(d.xTest[2 * i + 1]), r + 0.8, 0, 2 * Math.PI);
        ctx.stroke();
      }
      return;
    }
    // Images: PER_CLASS examples of each class, one column per class.
    const S = d.inputShape[0];
    const n = d.nClasses;
    const pix = n > 3 ? 2 : PIX;
    const cell = S * pix;
    const gap = n > 3 ? 4 : 8;
    const head = 14;
    const w = n * cell + (n - 1) * gap;
    const h = head + PER_CLASS * cell + (PER_CLASS - 1) * gap;
    const ctx = setupCanvas(canvas, w, h);
    if (!ctx) return;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const all = [
      ...Array.from({ length: d.nTrain }, (_, i) => ({ x: d.xTrain, i, y: d.yTrain[i] })),
      ...Array.from({ length: d.nTest }, (_, i) => ({ x: d.xTest, i, y: d.yTest[i] })),
    ];
    for (let c = 0; c < n; c++) {
      const x0 = c * (cell + gap);
      ctx.fillStyle = '#333';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'top';
      ctx.fillText(d.classNames[c], x0, 0);
      all
        .filter((e) => e.y === c)
        .slice(0, PER_CLASS)
        .forEach((e, k) => {
          const y0 = head + k * (cell + gap);
          const off = e.i * S * S;
          for (let py = 0; py < S; py++)
            for (let pxl = 0; pxl < S; pxl++) {
              const v = Math.min(1, Math.max(0, e.x[off + py * S + pxl]));
              const g = Math.round(255 * (1 - v));
              ctx.fillStyle = `rgb(${g},${g},${g})`;
              ctx.fillRect(x0 + pxl * pix, y0 + py * pix, pix, pix);
            }
          ctx.strokeStyle = CLASS_COLORS[c % CLASS_COLORS.length];
          ctx.strokeRect(x0 + 0.5, y0 + 0.5, cell - 1, cell - 1);
        });
    }
  }, [d, isImage, reg]);
  const S = d.inputShape[0];
  const caption = isImage
    ? `${d.nClasses} classes, ${PER_CLASS} examples each (${S}×${S}, dark = 1)`
    : reg
      ? `${d.nTrain} training points (dots), ${d.nTest} test points (rings), coloured by the target ${d.classNames[0]}: blue low, orange high`
      : `${d.nTrain} training points (dots), ${d.nTest} test points (rings); blue class 0, orange class 1`;
  return (
    <figure className="data-preview" data-testid={testId} data-kind={isImage ? 'images' : 'points'} data-count={isImage ? d.nClasses * PER_CLASS : d.nTrain + d.nTest}>
      <figcaption>
        <span>Data preview</span>
        <PngButton name={testId} />
      </figcaption>
      <canvas ref={ref} className="data-preview-canvas" role="img" aria-label={caption} />
      <small className="muted">{caption}</small>
    </figure>
  );
}
