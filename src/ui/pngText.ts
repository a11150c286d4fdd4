/**
 * What a chart figure's PNG says (chartPng.ts draws it): its title, the run it
 * shows with a one-line summary of that run's config, its legend entries, its
 * explanatory sentence and the experiment's share link.
 *
 * The explanatory sentence: the `explain` option, else the figure's own
 * `[data-explain]` / `.chart-explain` element, else the sentence below for the
 * chart's name; followed by the figure's own notes (its paragraphs).
 */
import type { RunConfig } from '../engine/config.ts';
import { currentShareUrl } from './state/url.ts';
import { useStore } from './store.ts';

/** What each chart shows, by the PNG's name (data-testid) without a run suffix. */
const EXPLAIN: Record<string, string> = {
  'grad-norm-chart':
    'Each coloured line is one layer’s weight-gradient norm ‖∂L/∂W‖ at every step (input layer dark purple → output layer yellow); black is the norm over all layers, dashed after clipping. Lines climbing by orders of magnitude are an explosion; early layers sinking toward zero are vanishing gradients.',
  'act-grad-chart':
    '‖∂L/∂h‖ is the loss gradient arriving at each layer’s output: the signal back-propagation carries toward the input. When it grows or shrinks by a steady factor from layer to layer, gradients explode or vanish.',
  'update-ratio-chart':
    'The size of each step’s weight change relative to the weights, per layer. About 1e-3 is the usual healthy size; far above it a layer is rewritten every step, far below it the layer barely learns.',
  'layer-heatmap':
    'Rows are layers, columns are training steps; the colour is log₁₀ of the layer’s gradient norm (dark purple small, yellow large, red not finite). An explosion shows as a bright wave moving through the layers.',
  'decision-boundary':
    'The shading is the class the network predicts at each point of the plane; dots are the training points. A boundary that fits the data means training works; one that dissolves into noise means it blew up.',
  'loss-chart': 'Training-batch loss of every run at each step (log scale); dots are the held-out test loss. A loss that jumps up or stops at NaN means the run diverged.',
  'acc-chart': 'Training-batch accuracy of every run at each step; dots are the held-out test accuracy.',
  'lr-chart': 'The learning rate every run used at each step, after its schedule and warm-up.',
  'gradient-flow':
    'Gradient norms of every layer at one step, on a log scale: the weight gradient ‖∂L/∂W‖ and the back-propagated signal ‖∂L/∂h‖, with the mean-field prediction at initialization as a dashed line.',
  'data-preview': 'The training data: points coloured by class (test points as rings), or example images of each class.',
  'sweep-map':
    'Each square is one short training run at these settings; darker blue is a better final result, hatched red squares diverged. The border between blue and red is where training stops being stable.',
};

/** The explanatory sentence of a chart by its name (exported for tests and callers). */
export function explainFor(name: string): string {
  const base = name.replace(/^run\d+-/, '').replace(/-\d+$/, '');
  return EXPLAIN[base] ?? '';
}

export interface LegendEntry {
  color: string;
  text: string;
  /** How the entry is drawn in the chart. */
  mark: 'box' | 'line' | 'dash' | 'dot';
}

export function legendEntries(fig: HTMLElement): LegendEntry[] {
  const canvasItems = [...fig.querySelectorAll<HTMLElement>('.line-canvas .legend-item')].map((li): LegendEntry => {
    const sw = li.querySelector('.swatch')?.classList;
    return {
      color: li.classList.contains('inactive') ? '#ccc' : (li.dataset.color ?? '#333'),
      text: (li.textContent?.trim() ?? '') + (li.classList.contains('inactive') ? ' (hidden)' : ''),
      mark: sw?.contains('dot') ? 'dot' : sw?.contains('dash') ? 'dash' : 'line',
    };
  });
  const svgItems = [...fig.querySelectorAll<HTMLElement>('.recharts-legend-item')].map((li) => {
    const shape = li.querySelector('path, line, rect');
    const color = shape?.getAttribute('stroke') && shape.getAttribute('stroke') !== 'none' ? shape.getAttribute('stroke')! : (shape?.getAttribute('fill') ?? '#333');
    const inactive = li.classList.contains('inactive');
    return { color: inactive ? '#ccc' : color, text: li.textContent?.trim() ?? '', mark: 'box' as const };
  });
  return [...svgItems, ...canvasItems];
}

function cleanText(el: Element): string {
  const clone = el.cloneNode(true) as HTMLElement;
  clone.querySelectorAll('button, input, select, .no-export').forEach((b) => b.remove());
  return clone.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function captionText(fig: HTMLElement): string {
  const cap = fig.querySelector('figcaption');
  return cap ? cleanText(cap) : (fig.getAttribute('aria-label') ?? '');
}

/**
 * The figure's own text: `sentence` from a `[data-explain]` or `.chart-explain`
 * element (what the chart shows), `notes` from its paragraphs (what it shows now,
 * e.g. the gradient-flow factor).
 */
function figureText(fig: HTMLElement): { sentence: string; notes: string } {
  const marked = fig.querySelector<HTMLElement>('[data-explain], .chart-explain');
  const sentence = marked ? marked.dataset.explain || cleanText(marked) : '';
  const notes = [...fig.querySelectorAll<HTMLElement>(':scope > p, :scope > small')]
    .filter((el) => el !== marked && !el.closest('figcaption'))
    .map(cleanText)
    .filter(Boolean)
    .join(' ');
  return { sentence, notes };
}

/** A one-line summary of a run's config: what differs between runs people compare. */
export function describeRun(c: RunConfig): string {
  const m = c.model;
  const parts = [
    c.data.name,
    `${m.arch} ${m.hidden.every((h) => h === m.hidden[0]) && m.hidden.length > 2 ? `${m.hidden.length} layers of ${m.hidden[0]}` : m.hidden.join('-')} ${m.activation}`,
    `${m.init}${m.initGain !== 1 ? ` ×${m.initGain}` : ''}`,
    ...(m.norm !== 'none' ? [`${m.norm} norm`] : []),
    ...(m.residual ? ['residual'] : []),
    `${c.optimizer.name} lr ${c.optimizer.lr}`,
    c.stabilizers.clip.mode === 'none' ? 'no clipping' : `clip ${c.stabilizers.clip.mode} ${c.stabilizers.clip.threshold}`,
    `seed ${c.seed}`,
  ];
  return parts.join(' · ');
}

/** Which run a figure shows: from the chart's name, its column, the focused run, or every run for a shared chart. */
function runIndex(fig: HTMLElement, name: string, n: number): number | null | 'all' {
  const fromName = /^run(\d+)-/.exec(name) ?? /^decision-boundary-(\d+)$/.exec(name);
  if (fromName) return Number(fromName[1]);
  const panel = fig.closest('.run-panel');
  if (panel) return [...document.querySelectorAll('.run-panel')].indexOf(panel);
  const col = fig.closest('.chart-column');
  if (col) {
    const cols = [...document.querySelectorAll('.chart-columns .chart-column')];
    if (cols.length > 1) return cols.indexOf(col);
    const tabs = [...document.querySelectorAll('.charts .focus [role="tab"]')];
    const sel = tabs.findIndex((t) => t.getAttribute('aria-selected') === 'true');
    if (sel >= 0) return sel;
    return n === 1 ? 0 : null;
  }
  return fig.closest('.sweep-panel') ? null : 'all';
}

function explainOf(fig: HTMLElement, name: string): string {
  const own = figureText(fig);
  return [own.sentence || explainFor(name), own.notes].filter(Boolean).join(' ');
}

export interface PngText {
  title: string;
  /** "run A" / "runs A, B" (empty for a chart of no run). */
  run: string;
  /** The run's config in one line (empty for a shared chart). */
  config: string;
  explain: string;
  legend: string[];
  url: string;
}

/** The text a figure's PNG carries. */
export function pngText(fig: HTMLElement, name: string, opts: { runLabel?: string; explain?: string } = {}): PngText {
  const runs = useStore.getState().experiment.runs;
  const idx = runIndex(fig, name, runs.length);
  let run = '';
  let config = '';
  if (opts.runLabel) run = opts.runLabel;
  else if (idx === 'all') run = runs.length === 1 ? `run “${runs[0].label}”` : `runs ${runs.map((r) => `“${r.label}”`).join(', ')}`;
  else if (idx !== null && runs[idx]) run = `run “${runs[idx].label}”`;
  if (idx !== 'all' && idx !== null && runs[idx]) config = describeRun(runs[idx]);
  else if (idx === 'all' && runs.length === 1) config = describeRun(runs[0]);
  let url = '';
  try {
    url = currentShareUrl();
  } catch {
    // No page URL (tests): the PNG goes without its link.
  }
  return {
    title: captionText(fig),
    run,
    config,
    explain: opts.explain ?? explainOf(fig, name),
    legend: legendEntries(fig).map((e) => e.text),
    url,
  };
}
