/**
 * PNG download of a chart figure. recharts draws SVG: the chart's SVG is
 * serialised, loaded as an image and drawn onto a canvas, with the figure's
 * caption above it and its legend (HTML in recharts) redrawn below. Canvas
 * charts (line charts, heatmap, decision boundary, data preview) are copied as
 * they are, with the line charts' HTML legend redrawn below.
 */
import { context2d } from './canvas.ts';

const SCALE = 2;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const PAD = 10;

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the chart could not be rendered as an image'));
    img.src = url;
  });
}

/** The chart's main SVG (recharts also draws small SVGs for legend icons). */
function mainSvg(fig: HTMLElement): SVGSVGElement | null {
  return fig.querySelector<SVGSVGElement>('.recharts-wrapper > svg');
}

async function svgImage(svg: SVGSVGElement): Promise<{ img: HTMLImageElement; w: number; h: number }> {
  const rect = svg.getBoundingClientRect();
  const w = Math.max(1, Math.round(rect.width));
  const h = Math.max(1, Math.round(rect.height));
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  clone.setAttribute('style', `font-family: ${FONT}; font-size: 11px; background: #fff`);
  const text = new XMLSerializer().serializeToString(clone);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    return { img: await loadImage(url), w, h };
  } finally {
    URL.revokeObjectURL(url);
  }
}

interface LegendEntry {
  color: string;
  text: string;
}

function legendEntries(fig: HTMLElement): LegendEntry[] {
  const canvasItems = [...fig.querySelectorAll<HTMLElement>('.line-canvas .legend-item')].map((li) => ({
    color: li.classList.contains('inactive') ? '#ccc' : (li.dataset.color ?? '#333'),
    text: li.textContent?.trim() ?? '',
  }));
  const svgItems = [...fig.querySelectorAll<HTMLElement>('.recharts-legend-item')].map((li) => {
    const shape = li.querySelector('path, line, rect');
    const color = shape?.getAttribute('stroke') && shape.getAttribute('stroke') !== 'none' ? shape.getAttribute('stroke')! : (shape?.getAttribute('fill') ?? '#333');
    const inactive = li.classList.contains('inactive');
    return { color: inactive ? '#ccc' : color, text: li.textContent?.trim() ?? '' };
  });
  return [...svgItems, ...canvasItems];
}

/** Lays legend entries out in rows of the given width; returns the rows' height. */
function drawLegend(ctx: CanvasRenderingContext2D | null, entries: LegendEntry[], x0: number, y0: number, width: number): number {
  const measure = context2d(document.createElement('canvas'))!;
  measure.font = `11px ${FONT}`;
  let x = x0;
  let y = y0;
  const lineH = 16;
  for (const e of entries) {
    const w = 14 + measure.measureText(e.text).width + 12;
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += lineH;
    }
    if (ctx) {
      ctx.fillStyle = e.color;
      ctx.fillRect(x, y + 4, 10, 8);
      ctx.fillStyle = '#333';
      ctx.font = `11px ${FONT}`;
      ctx.textBaseline = 'top';
      ctx.fillText(e.text, x + 14, y + 2);
    }
    x += w;
  }
  return entries.length ? y - y0 + lineH : 0;
}

function captionText(fig: HTMLElement): string {
  const cap = fig.querySelector('figcaption');
  if (!cap) return fig.getAttribute('aria-label') ?? '';
  // The caption without its buttons.
  const clone = cap.cloneNode(true) as HTMLElement;
  clone.querySelectorAll('button, .no-export').forEach((b) => b.remove());
  return clone.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

/** Renders a chart figure (SVG or canvas) to a PNG blob. */
export async function figureToPng(fig: HTMLElement): Promise<Blob> {
  const title = captionText(fig);
  let body: { draw: (ctx: CanvasRenderingContext2D, x: number, y: number) => void; w: number; h: number };
  const svg = mainSvg(fig);
  const canvas = svg ? null : fig.querySelector('canvas');
  if (svg) {
    const { img, w, h } = await svgImage(svg);
    body = { draw: (ctx, x, y) => ctx.drawImage(img, x, y, w, h), w, h };
  } else if (canvas) {
    const rect = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(rect.width));
    const h = Math.max(1, Math.round(rect.height));
    body = {
      draw: (ctx, x, y) => {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(canvas, x, y, w, h);
      },
      w,
      h,
    };
  } else {
    throw new Error('nothing to export in this chart');
  }
  const entries = legendEntries(fig);
  const width = body.w + 2 * PAD;
  const titleH = title ? 22 : 0;
  const legendH = drawLegend(null, entries, PAD, 0, body.w);
  const height = PAD + titleH + body.h + (legendH ? legendH + 6 : 0) + PAD;
  const out = document.createElement('canvas');
  out.width = Math.round(width * SCALE);
  out.height = Math.round(height * SCALE);
  const ctx = context2d(out);
  if (!ctx) throw new Error('no 2-D canvas');
  ctx.scale(SCALE, SCALE);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  if (title) {
    ctx.fillStyle = '#1d1d1f';
    ctx.font = `600 12px ${FONT}`;
    ctx.textBaseline = 'top';
    ctx.fillText(title, PAD, PAD, body.w);
  }
  body.draw(ctx, PAD, PAD + titleH);
  drawLegend(ctx, entries, PAD, PAD + titleH + body.h + 6, body.w);
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
