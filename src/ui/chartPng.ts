/**
 * PNG download of a chart figure, composed to stand alone:
 *
 *   title (the figure's caption)
 *   run: its label and a one-line summary of its config (or the runs, for a shared chart)
 *   the chart itself, with its axes (canvas or SVG)
 *   the legend
 *   the chart's explanatory sentence
 *   "gradscope" (the experiment's share link goes into the file's text chunks)
 *
 * SVG charts (recharts, the stability map) are serialised, loaded as an image
 * and drawn onto the canvas; canvas charts are copied as they are, with the HTML
 * text laid over them (the diverged-step marker, the heatmap's layer names)
 * drawn where it sits on the page. The text is also written into the file as
 * PNG iTXt chunks (Title, Author, Description, Source = the share link), so the
 * file says what it shows to a program as well as to a reader.
 *
 * The explanatory sentence and the rest of the text: pngText.ts; the text
 * chunks: pngChunks.ts.
 */
import { context2d } from './canvas.ts';
import { withText } from './pngChunks.ts';
import { legendEntries, pngText, type LegendEntry, type PngText } from './pngText.ts';

export { describeRun, explainFor, pngText, type PngText } from './pngText.ts';
export { withText } from './pngChunks.ts';

const SCALE = 2;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const PAD = 12;
const MIN_WIDTH = 420;

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
  return fig.querySelector<SVGSVGElement>('.recharts-wrapper > svg, svg.png-main');
}

/** SVGs drawn below the main one (the stability map's colour bar). */
function extraSvgs(fig: HTMLElement): SVGSVGElement[] {
  return [...fig.querySelectorAll<SVGSVGElement>('svg.png-also')];
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

let measurer: CanvasRenderingContext2D | null = null;
function measure(font: string, text: string): number {
  measurer ??= context2d(document.createElement('canvas'));
  if (!measurer) return text.length * 6;
  measurer.font = font;
  return measurer.measureText(text).width;
}

/** Lays legend entries out in rows of the given width; returns the rows' height. */
function drawLegend(ctx: CanvasRenderingContext2D | null, entries: LegendEntry[], x0: number, y0: number, width: number): number {
  const font = `11px ${FONT}`;
  let x = x0;
  let y = y0;
  const lineH = 16;
  for (const e of entries) {
    const w = 14 + measure(font, e.text) + 12;
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += lineH;
    }
    if (ctx) {
      ctx.fillStyle = e.color;
      ctx.strokeStyle = e.color;
      if (e.mark === 'box') ctx.fillRect(x, y + 4, 10, 8);
      else if (e.mark === 'dot') {
        ctx.beginPath();
        ctx.arc(x + 5, y + 8, 3, 0, 2 * Math.PI);
        ctx.fill();
      } else {
        ctx.lineWidth = 2;
        ctx.setLineDash(e.mark === 'dash' ? [3, 2] : []);
        ctx.beginPath();
        ctx.moveTo(x, y + 8);
        ctx.lineTo(x + 11, y + 8);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.fillStyle = '#333';
      ctx.font = font;
      ctx.textBaseline = 'top';
      ctx.fillText(e.text, x + 14, y + 2);
    }
    x += w;
  }
  return entries.length ? y - y0 + lineH : 0;
}

/** Breaks text into lines no wider than `width` in `font`. */
function wrap(text: string, font: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure(font, next) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** HTML text laid over a canvas chart (markers, layer names): drawn where it sits. */
interface Overlay {
  text: string;
  x: number;
  y: number;
  color: string;
  size: number;
  align: CanvasTextAlign;
}

function overlays(fig: HTMLElement, origin: DOMRect): Overlay[] {
  return [...fig.querySelectorAll<HTMLElement>('.line-canvas-marker, .heatmap-labels > *, [data-png-overlay]')]
    .filter((el) => !el.closest('figcaption') && el.textContent?.trim())
    .map((el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      const right = cs.textAlign === 'right' || cs.textAlign === 'end';
      return {
        text: el.textContent!.trim(),
        x: (right ? r.right : r.left) - origin.left,
        y: r.top + r.height / 2 - origin.top,
        color: cs.color || '#333',
        size: parseFloat(cs.fontSize) || 11,
        align: right ? 'right' : 'left',
      };
    });
}

interface Body {
  draw(ctx: CanvasRenderingContext2D, x: number, y: number): void;
  w: number;
  h: number;
}

/** The chart itself: its SVG or its canvas (with the HTML text over it). */
async function chartBody(fig: HTMLElement): Promise<Body> {
  const svg = mainSvg(fig);
  if (svg) {
    const parts = await Promise.all([svg, ...extraSvgs(fig)].map(svgImage));
    return {
      draw: (ctx, x, y) => {
        for (const { img, w, h } of parts) {
          ctx.drawImage(img, x, y, w, h);
          y += h;
        }
      },
      w: Math.max(...parts.map((p) => p.w)),
      h: parts.reduce((n, p) => n + p.h, 0),
    };
  }
  const canvas = fig.querySelector('canvas');
  if (!canvas) throw new Error('nothing to export in this chart');
  const c = canvas.getBoundingClientRect();
  const texts = overlays(fig, c);
  // The body spans the canvas and the text around it (layer names left of a heatmap).
  const left = Math.min(0, ...texts.map((t) => (t.align === 'right' ? t.x - measure(`${t.size}px ${FONT}`, t.text) : t.x)));
  const cw = Math.max(1, Math.round(c.width));
  const ch = Math.max(1, Math.round(c.height));
  const dx = Math.ceil(-left);
  return {
    draw: (ctx, x, y) => {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(canvas, x + dx, y, cw, ch);
      ctx.imageSmoothingEnabled = true;
      ctx.textBaseline = 'middle';
      for (const t of texts) {
        ctx.font = `${t.size}px ${FONT}`;
        ctx.fillStyle = t.color;
        ctx.textAlign = t.align;
        ctx.fillText(t.text, x + dx + t.x, y + t.y);
      }
      ctx.textAlign = 'left';
    },
    w: cw + dx,
    h: ch,
  };
}

export interface ChartPng {
  blob: Blob;
  text: PngText;
  /** Size in CSS pixels (the file has SCALE times as many). */
  width: number;
  height: number;
}

/** Renders a chart figure (SVG or canvas) to a PNG that stands alone (see the module comment). */
export async function figureToPng(fig: HTMLElement, name = '', opts: { runLabel?: string; explain?: string } = {}): Promise<ChartPng> {
  const text = pngText(fig, name, opts);
  const body = await chartBody(fig);
  const entries = legendEntries(fig);
  const width = Math.max(MIN_WIDTH, body.w + 2 * PAD);
  const inner = width - 2 * PAD;
  const titleFont = `600 13px ${FONT}`;
  const runFont = `600 11px ${FONT}`;
  const smallFont = `11px ${FONT}`;
  const footFont = `9px ${FONT}`;
  const titleLines = text.title ? wrap(text.title, titleFont, inner) : [];
  const runLine = [text.run, text.config].filter(Boolean).join(' — ');
  // Measured in the bold font: the label is bold, the rest a little narrower.
  const runLines = runLine ? wrap(runLine, runFont, inner) : [];
  const explainLines = text.explain ? wrap(text.explain, smallFont, inner) : [];
  const footLines = wrap(`gradscope${text.url ? ' · the share link of this experiment is in the file’s “Source” text' : ''}`, footFont, inner);
  const legendH = drawLegend(null, entries, PAD, 0, inner);
  let height = PAD + titleLines.length * 17 + runLines.length * 15 + 6 + body.h;
  height += legendH ? legendH + 6 : 0;
  height += explainLines.length ? 6 + explainLines.length * 15 : 0;
  height += 8 + footLines.length * 12 + PAD;

  const out = document.createElement('canvas');
  out.width = Math.round(width * SCALE);
  out.height = Math.round(height * SCALE);
  const ctx = context2d(out);
  if (!ctx) throw new Error('no 2-D canvas');
  ctx.scale(SCALE, SCALE);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  let y = PAD;
  ctx.fillStyle = '#1d1d1f';
  ctx.font = titleFont;
  for (const l of titleLines) {
    ctx.fillText(l, PAD, y);
    y += 17;
  }
  runLines.forEach((l, i) => {
    // The run's label in bold, its config after it.
    ctx.fillStyle = '#333';
    if (i === 0 && text.run && l.startsWith(text.run)) {
      ctx.font = runFont;
      ctx.fillText(text.run, PAD, y);
      const w = measure(runFont, text.run);
      ctx.font = smallFont;
      ctx.fillStyle = '#555';
      ctx.fillText(l.slice(text.run.length), PAD + w, y);
    } else {
      ctx.font = smallFont;
      ctx.fillStyle = '#555';
      ctx.fillText(l, PAD, y);
    }
    y += 15;
  });
  y += 6;
  body.draw(ctx, PAD, y);
  y += body.h;
  ctx.textBaseline = 'top';
  if (legendH) {
    drawLegend(ctx, entries, PAD, y + 6, inner);
    y += legendH + 6;
  }
  if (explainLines.length) {
    y += 6;
    ctx.font = smallFont;
    ctx.fillStyle = '#333';
    for (const l of explainLines) {
      ctx.fillText(l, PAD, y);
      y += 15;
    }
  }
  y += 8;
  ctx.font = footFont;
  ctx.fillStyle = '#888';
  for (const l of footLines) {
    ctx.fillText(l, PAD, y);
    y += 12;
  }
  const png = await new Promise<Blob>((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  const meta: [string, string][] = [
    ['Title', [text.title, text.run].filter(Boolean).join(' — ')],
    ['Description', [text.config, text.explain].filter(Boolean).join('\n')],
    ['Software', 'gradscope'],
    ...(text.url ? ([['Source', text.url]] as [string, string][]) : []),
  ];
  return { blob: await withText(png, meta), text, width, height };
}
