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
