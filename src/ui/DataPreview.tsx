/**
 * The run's data set at a glance: the points of a 2-D set coloured by class
 * (training points filled, test points as rings), or a few example images of
 * `shapes` per class. Generated on the main thread with the engine's seeded
 * makeDataset (see datasetCache.ts), so these are the examples the run trains on.
 */
import { context2d } from './canvas.ts';
import { useEffect, useRef } from 'react';
import { IMAGE_SIZE } from '../engine/data/datasets.ts';
import type { RunConfig } from '../engine/config.ts';
import { datasetView } from './datasetCache.ts';
import { PngButton } from './PngButton.tsx';

/** Class colours, the same blue/orange as the decision boundary (Okabe–Ito). */
export const CLASS_COLORS = ['#0072B2', '#E69F00', '#009E73'];
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

export function DataPreview({ cfg, testId }: { cfg: Pick<RunConfig, 'data' | 'seed'>; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const view = datasetView(cfg);
  const d = view.data;
  const isImage = d.inputShape.length === 3;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (!isImage) {
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
        ctx.fillStyle = CLASS_COLORS[d.yTrain[i]];
        ctx.beginPath();
        ctx.arc(px(d.xTrain[2 * i]), py(d.xTrain[2 * i + 1]), r, 0, 2 * Math.PI);
        ctx.fill();
      }
      for (let i = 0; i < d.nTest; i++) {
        ctx.strokeStyle = CLASS_COLORS[d.yTest[i]];
        ctx.beginPath();
        ctx.arc(px(d.xTest[2 * i]), py(d.xTest[2 * i + 1]), r + 0.8, 0, 2 * Math.PI);
        ctx.stroke();
      }
      return;
    }
    // Images: PER_CLASS examples of each class, one column per class.
    const S = IMAGE_SIZE;
    const cell = S * PIX;
    const gap = 8;
    const head = 14;
    const n = d.nClasses;
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
              ctx.fillRect(x0 + pxl * PIX, y0 + py * PIX, PIX, PIX);
            }
          ctx.strokeStyle = CLASS_COLORS[c];
          ctx.strokeRect(x0 + 0.5, y0 + 0.5, cell - 1, cell - 1);
        });
    }
  }, [d, isImage]);
  const caption = isImage
    ? `${d.nClasses} classes, ${PER_CLASS} examples each (${IMAGE_SIZE}×${IMAGE_SIZE}, dark = 1)`
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
