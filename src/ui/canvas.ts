/**
 * A 2-D context kept in software (CPU) memory.
 *
 * Chromium normally backs 2-D canvases with the GPU process. While a run trains
 * on WebGPU that process is busy with the training kernels, and every canvas
 * draw from the page would wait behind them on the main thread. The
 * `willReadFrequently` hint keeps the canvas in CPU memory, so drawing the
 * heatmap or the decision boundary never waits on the GPU.
 */
export function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  return canvas.getContext('2d', { willReadFrequently: true });
}

/** Smallest text size of the charts, in CSS px (readable on a projector). */
export const CHART_FONT_PX = 13;
export const CHART_FONT = `${CHART_FONT_PX}px system-ui, sans-serif`;

/** Sizes the canvas's backing store for `width`×`height` CSS px at the screen's resolution; returns the scale. */
export function fitCanvas(canvas: HTMLCanvasElement, width: number, height: number): number {
  const dpr = Math.min(3, (typeof window !== 'undefined' && window.devicePixelRatio) || 1);
  const W = Math.max(1, Math.round(width * dpr));
  const H = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  return dpr;
}

/** A filled dot with a 1 px outline (a line chart's sparse points, the network view's inputs). */
export function outlinedDot(ctx: CanvasRenderingContext2D, x: number, y: number, radius: number, fill: string, outline: string): void {
  ctx.beginPath();
  ctx.arc(x, y, radius, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = 1;
  ctx.strokeStyle = outline;
  ctx.stroke();
}

/**
 * Text on a white box, so that it stays readable over lines (drawn after the
 * data). `align` is where x is: the text's left or right end, or its centre.
 */
export function boxedText(
  ctx: CanvasRenderingContext2D,
  text: string,
  x: number,
  y: number,
  { align = 'left', color, background }: { align?: CanvasTextAlign; color: string; background: string },
): void {
  const w = ctx.measureText(text).width;
  const h = CHART_FONT_PX + 3;
  const x0 = align === 'right' ? x - w : align === 'center' ? x - w / 2 : x;
  ctx.fillStyle = background;
  ctx.fillRect(x0 - 2, y - 1, w + 4, h);
  ctx.fillStyle = color;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(text, x0, y);
}
