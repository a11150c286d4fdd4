/**
 * The network view of one run: its layers as columns of units with the
 * gradient itself on them (networkDraw.ts draws it), following the worker's
 * per-unit snapshots (a few a second at most) or scrubbed back through the
 * ones kept (metrics.ts keeps a ring of them). Hover or tap a unit of a 2-D
 * data set's net to see its output over the input plane; click a layer to
 * mark it here and in every chart (and a chart's line marks it here).
 *
 * Redrawn on the display clock's ticks (displayClock.ts), with the render's other
 * changes in one frame; while the view is folded the run's worker takes no
 * snapshots at all.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type PointerEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { EdgeQuantity, UnitSnapshot } from '../engine/unitSnapshot.ts';
import { PLANE_N } from '../engine/unitSnapshot.ts';
import { head, isDiverged, layerValue, statusCode } from '../engine/rows.ts';
import { STATUS } from '../engine/rows.ts';
import { context2d, fitCanvas } from './canvas.ts';
import { chartPalette } from './colors.ts';
import { metrics, type RunSeries } from './metrics.ts';
import { chartTextPx } from './palette.ts';
import { PngButton } from './PngButton.tsx';
import { controller, useStore } from './store.ts';
import { networkViewDefault } from './state/view.ts';
import { useMetricsVersion } from './useMetrics.ts';
import { useWidth } from './useWidth.ts';
import { LABEL_PX, MIN_COLUMN_PX, columnAt, drawNetwork, legendItems, fmtShort, layerSignals, layoutNetwork, planePixels, unitAt, type LayerNorms, type NetLayout } from './networkDraw.ts';

/** The network view follows new snapshots at most this often. */
const REDRAW_MS = 250;
const PLANE_PX = 96;

const CLIP_NAMES: Record<string, string> = {
  global_norm: 'global norm',
  layer_norm: 'per-layer norm',
  value: 'value',
  agc: 'AGC (unit-wise)',
  adaptive: 'adaptive (outlier rule)',
};

/** The history row that describes a snapshot's step: the last one at or before it (the diverged row for a snapshot past it). */
export function rowFor(s: RunSeries, step: number): Float32Array | null {
  const candidates = s.latest ? [...s.rows, s.latest] : s.rows;
  let best: Float32Array | null = null;
  for (const r of candidates) {
    const st = head(r, 'step');
    if (st <= step && (!best || st >= head(best, 'step'))) best = r;
  }
  return best;
}

function normsOf(row: Float32Array | null, nLayers: number): (LayerNorms | null)[] {
  return Array.from({ length: nLayers }, (_, l) => {
    if (!row) return null;
    const w = layerValue(row, l, 'kernelWeightNorm');
    return { grad: layerValue(row, l, 'kernelGradNorm'), act: layerValue(row, l, 'actGradNorm'), ratio: layerValue(row, l, 'kernelUpdateNorm') / w };
  });
}

/** Layers with a non-finite norm in the row or a non-finite unit signal in the snapshot. */
function divergedLayers(row: Float32Array | null, snap: UnitSnapshot): Set<number> {
  const out = new Set<number>();
  snap.layers.forEach((l, li) => {
    if (row && isDiverged(row)) {
      for (const f of ['gradNorm', 'actGradNorm', 'weightNorm'] as const) if (!Number.isFinite(layerValue(row, li, f))) out.add(li);
    }
    if (l.signal.some((v) => !Number.isFinite(v))) out.add(li);
  });
  return out;
}

export function NetworkView({ run, testId }: { run: number; testId: string }) {
  const figRef = useRef<HTMLElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const layoutRef = useRef<NetLayout | null>(null);
  const boxWidth = useWidth(boxRef);
  const { cfg, presentation, highlight, setHighlight, openSetting, setOpen } = useStore(
    useShallow((s) => ({
      cfg: s.experiment.runs[run],
      presentation: s.presentation,
      highlight: s.highlightLayer,
      setHighlight: s.setHighlightLayer,
      openSetting: s.networkOpen[run],
      setOpen: s.setNetworkOpen,
    })),
  );
  const open = openSetting ?? (cfg ? networkViewDefault(cfg.model) : false);
  const [quantity, setQuantity] = useState<EdgeQuantity>('grad');
  /** Index into the run's snapshots; null: follow the latest. */
  const [scrub, setScrub] = useState<number | null>(null);
  const [hover, setHover] = useState<{ layer: number; k: number; pinned: boolean } | null>(null);
  const version = useMetricsVersion(REDRAW_MS, figRef, run);

  useEffect(() => {
    controller.client.watchUnits(run, open);
    return () => controller.client.watchUnits(run, false);
  }, [run, open]);

  const series = metrics.get(run);
  const snaps = series?.units ?? [];
  const idx = scrub !== null && scrub < snaps.length ? scrub : snaps.length - 1;
  const snap: UnitSnapshot | undefined = snaps[idx];
  const following = scrub === null || scrub >= snaps.length - 1;

  const picture = useMemo(() => {
    if (!snap || !series || !cfg) return null;
    const shownMax = series.divergedAt ?? Infinity;
    const row = rowFor(series, Math.min(snap.step, shownMax));
    const clip = cfg.stabilizers.clip;
    // The norms come from the history: the row of the snapshot's step, or the last one before it.
    const normsAt = row ? `Layer norms above: step ${head(row, 'step')}. ` : '';
    let clipText = 'No clipping.';
    if (clip.mode !== 'none') {
      clipText = `Clipping: ${CLIP_NAMES[clip.mode] ?? clip.mode}, threshold τ = ${clip.threshold}`;
      if (row) {
        const st = statusCode(row);
        const g = head(row, 'gradNorm');
        clipText += ` · step ${head(row, 'step')} ${st === STATUS.clipped ? `clipped (‖g‖ ${fmtShort(g)} → ${fmtShort(head(row, 'gradNormClipped'))})` : `not clipped (‖g‖ ${fmtShort(g)})`}`;
      }
    }
    return {
      row,
      norms: normsOf(row, snap.layers.length),
      diverged: divergedLayers(row, snap),
      clipText: normsAt + clipText,
    };
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [snap, series, cfg, version]);

  const highlightIndex = snap && highlight ? snap.layers.findIndex((l) => l.name === highlight) : -1;

  // Drawn with the render's DOM changes, in the same frame (a layout effect).
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    if (!open || !canvas || !snap || !picture || boxWidth <= 0) return;
    const font = chartTextPx(presentation);
    const measurer = context2d(canvas);
    const measure = (text: string, f: string) => {
      if (!measurer) return text.length * 0.6 * font;
      measurer.font = f;
      return measurer.measureText(text).width;
    };
    const layout = layoutNetwork(snap, boxWidth, font, legendItems(snap, quantity), measure);
    layoutRef.current = layout;
    // Where each column's first unit is, for tests that hover or tap one.
    canvas.dataset.spots = JSON.stringify(layout.columns.map((c) => (c.units[0] ? [Math.round(c.units[0].x), Math.round(c.units[0].y)] : null)));
    canvas.style.width = `${layout.width}px`;
    canvas.style.height = `${layout.height}px`;
    const dpr = fitCanvas(canvas, layout.width, layout.height);
    const ctx = context2d(canvas);
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const pal = chartPalette();
    drawNetwork(ctx, layout, {
      snap,
      quantity,
      norms: picture.norms,
      diverged: picture.diverged,
      highlight: highlightIndex >= 0 ? highlightIndex : null,
      clipText: picture.clipText,
      text: pal.text,
      muted: presentation ? '#333' : '#666',
      background: pal.background,
      band: presentation ? '#dde6f7' : '#eaf0fb',
    });
  }, [open, snap, picture, boxWidth, presentation, quantity, highlightIndex]);

  const pick = (e: PointerEvent<HTMLCanvasElement>, click: boolean) => {
    const layout = layoutRef.current;
    if (!layout || !snap) return;
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const u = unitAt(layout, x, y);
    if (click) {
      const col = u?.column ?? columnAt(layout, x);
      if (u && u.column.layer >= 0) setHover({ layer: u.column.layer, k: u.unit.k, pinned: true });
      else setHover(null);
      if (col && col.layer >= 0) {
        const name = snap.layers[col.layer].name;
        setHighlight(highlight === name && !u ? null : name);
      }
      return;
    }
    if (hover?.pinned) return;
    setHover(u && u.column.layer >= 0 ? { layer: u.column.layer, k: u.unit.k, pinned: false } : null);
  };

  const signals = snap ? layerSignals(snap) : [];
  const columns = snap ? snap.layers.length + 1 : 0;
  const scrolls = boxWidth > 0 && LABEL_PX + columns * MIN_COLUMN_PX + 8 > boxWidth;
  const title = 'Network: the gradient unit by unit';
  return (
    <figure ref={figRef} className="chart network-view" data-testid={testId} aria-label="Network view">
      <figcaption>
        <span>{title}</span>
        {open ? <PngButton name={testId} /> : null}
        <button type="button" className="no-export network-toggle" aria-expanded={open} onClick={() => setOpen(run, !open)} data-testid={`${testId}-toggle`}>
          {open ? 'Hide' : 'Show'}
        </button>
      </figcaption>
      {open ? (
        <>
          <div className="network-controls no-export">
            <span role="radiogroup" aria-label="Lines show">
              {(['weight', 'grad', 'update'] as const).map((q) => (
                <label key={q}>
                  <input type="radio" name={`net-q-${run}`} checked={quantity === q} onChange={() => setQuantity(q)} data-testid={`network-quantity-${q}`} />{' '}
                  {q === 'weight' ? 'W' : q === 'grad' ? '∂L/∂W' : 'ΔW'}
                </label>
              ))}
            </span>
            <label className="network-scrub">
              step{' '}
              <input
                type="range"
                min={0}
                max={Math.max(0, snaps.length - 1)}
                value={Math.max(0, idx)}
                disabled={snaps.length < 2}
                onChange={(e) => {
                  const v = Number(e.target.value);
                  setScrub(v >= snaps.length - 1 ? null : v);
                }}
                aria-label="Step shown (scrub back through the recorded pictures)"
                data-testid="network-scrub"
              />{' '}
              <output data-testid="network-step">{snap ? snap.step : '–'}</output>
              {following ? ' (latest)' : null}
            </label>
            {!following ? (
              <button type="button" onClick={() => setScrub(null)}>
                Latest
              </button>
            ) : null}
          </div>
        </>
      ) : null}
      {/* Always there (hidden while folded), so that its width is known the moment the view opens. */}
          <div ref={boxRef} className="network-box" style={{ position: 'relative' }} hidden={!open}>
            {!open ? null : snap ? (
              <canvas
                ref={canvasRef}
                className="network-canvas"
                role="img"
                aria-label={`Layers input to output; RMS of |∂L/∂h| per layer: ${signals.map(fmtShort).join(', ')}`}
                data-step={snap.step}
                data-signals={JSON.stringify(signals)}
                data-layers={JSON.stringify(snap.layers.map((l) => l.name))}
                data-diverged={picture ? [...picture.diverged].map((l) => snap.layers[l].name).join(',') : ''}
                data-highlight={highlightIndex >= 0 ? snap.layers[highlightIndex].name : ''}
                data-quantity={quantity}
                data-snapshots={snaps.length}
                onPointerMove={(e) => pick(e, false)}
                onPointerLeave={() => setHover((h) => (h?.pinned ? h : null))}
                onClick={(e) => pick(e as unknown as PointerEvent<HTMLCanvasElement>, true)}
              />
            ) : (
              <p className="network-waiting">The network appears with the run’s first numbers.</p>
            )}
            {open && snap && hover ? <UnitTip snap={snap} layer={hover.layer} k={hover.k} layout={layoutRef.current} onClose={() => setHover(null)} /> : null}
          </div>
      {open ? (
        <p className="chart-explain" data-explain={EXPLAIN}>
          {scrolls ? `Scroll sideways for all ${columns} columns. ` : ''}Click a layer to mark it in every chart; hover or tap a unit
          {cfg?.data.name === 'shapes' ? '' : ' to see its output over the input plane'}.
        </p>
      ) : null}
    </figure>
  );
}

const EXPLAIN =
  'Layers are columns, input on the left. Each unit is filled by the size of the gradient arriving at it, |∂L/∂h| (RMS over a fixed batch): an explosion darkens the units toward the input, vanishing gradients bleach them; a hollow unit is dead. Lines join the units shown, coloured by sign, thicker for larger values on a log scale; under each column are the layer’s norms.';

function UnitTip({ snap, layer, k, layout, onClose }: { snap: UnitSnapshot; layer: number; k: number; layout: NetLayout | null; onClose: () => void }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const l = snap.layers[layer];
  const plane = l?.plane ?? null;
  useEffect(() => {
    const c = ref.current;
    if (!c || !plane) return;
    c.width = PLANE_N;
    c.height = PLANE_N;
    const ctx = context2d(c);
    if (!ctx) return;
    const img = ctx.createImageData(PLANE_N, PLANE_N);
    img.data.set(planePixels(plane, k));
    ctx.putImageData(img, 0, 0);
  }, [plane, k]);
  if (!l || !layout) return null;
  const spot = layout.columns[layer + 1]?.units[k];
  if (!spot) return null;
  const left = spot.x + layout.radius + 8;
  const flip = left + 160 > layout.width;
  return (
    <div
      className="network-tip no-export"
      role="status"
      data-testid="network-tip"
      style={{ position: 'absolute', top: Math.max(0, spot.y - 20), ...(flip ? { right: layout.width - spot.x + layout.radius + 8 } : { left }) }}
    >
      <div>
        {l.name} {l.kind === 'conv' ? 'filter' : 'unit'} {l.drawn[k] + 1} of {l.units}
        <button type="button" aria-label="Close" onClick={onClose} className="network-tip-close">
          ×
        </button>
      </div>
      <div>|∂L/∂h| {fmtShort(l.signal[k])}{l.dead[k] ? ' · dead' : ''}</div>
      {l.kind === 'conv' && l.filterW ? <div>‖W‖ {fmtShort(l.filterW[k])} · ‖∂L/∂W‖ {fmtShort(l.filterG![k])}</div> : null}
      {plane ? (
        <>
          <canvas ref={ref} data-testid="network-plane" style={{ width: PLANE_PX, height: PLANE_PX, imageRendering: 'pixelated', display: 'block' }} />
          <small>output over the input plane (orange +, blue −)</small>
        </>
      ) : null}
    </div>
  );
}
