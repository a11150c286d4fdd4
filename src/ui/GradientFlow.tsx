/**
 * "Gradient flow": per-layer norms at one step as bars (input → output), on a
 * log scale. Two panels: step 0 against the mean-field prediction at
 * initialization (engine/theory.ts, dashed line), which is what the theory
 * describes, and beside it the latest step (for a diverged run: its last
 * finite step, or the diverged step itself on request), which shows what
 * training has done since. Bars are drawn on log10 values relative to the
 * bottom of their panel's axis, so they always grow upward from it.
 *
 * Factors are written for norms throughout: the theory's per-layer factor of
 * ‖∂L/∂h‖ is √χ (χ multiplies the squared norm).
 */
import { useMemo, useRef, useState } from 'react';
import { Bar, CartesianGrid, Cell, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { layerTheory, logSlope, netSpecOf, predictedActGradNorms, theoryNote, type NetSpec } from '../engine/theory.ts';
import { chartPalette } from './colors.ts';
import { CHART_FONT_PX } from './canvas.ts';
import { fmt, fmtTick, layerLabel } from './chartData.ts';
import { Swatch } from './LineCanvas.tsx';
import { headValue, layerValue, metrics, type RunSeries } from './metrics.ts';
import { isDiverged } from '../engine/rows.ts';
import { PngButton } from './PngButton.tsx';
import { useMetricsVersion } from './useMetrics.ts';
import { useStore } from './store.ts';

interface Bars {
  /** Layer number, 1 = input side (the category on the x axis). */
  layer: string;
  name: string;
  grad: number;
  act: number;
  theory: number | null;
  gradRaw: number;
  actRaw: number;
  theoryRaw: number | null;
}

interface BarsView {
  step: number;
  data: Bars[];
  lo: number;
  top: number;
  ticks: number[];
  /** Measured per-layer factor of ‖∂L/∂h‖ toward the input over the hidden layers. */
  measured: number;
  /** The theory's (only with the theory line). */
  predicted: number;
  nonFinite: boolean;
}

const factorText = (x: number) => (Number.isFinite(x) ? `×${x.toPrecision(3)}` : '—');

/** Bars of one step, on their own log axis; with the theory line when `spec` is given. */
function barsView(row: Float32Array, names: readonly string[], spec: NetSpec | null): BarsView {
  const L = names.length;
  // The weight matrix's own gradient (kernel alone, as the label says: a layer's bias would bend the theory's flat line).
  const grad = names.map((_, l) => layerValue(row, l, 'kernelGradNorm'));
  const act = names.map((_, l) => layerValue(row, l, 'actGradNorm'));
  const out = act[L - 1];
  const theory = spec && spec.hidden.length === L - 1 && Number.isFinite(out) && out > 0 ? predictedActGradNorms(spec, out) : null;
  const logs: number[] = [];
  for (const v of [...grad, ...act, ...(theory ?? [])]) if (Number.isFinite(v) && v > 0) logs.push(Math.log10(v));
  let lo = logs.length ? Math.floor(Math.min(...logs)) : -3;
  let hi = logs.length ? Math.ceil(Math.max(...logs)) : 0;
  if (hi - lo < 1) hi = lo + 1;
  // Keep the axis readable when a signal collapses to 0 or explodes past float range.
  lo = Math.max(lo, hi - 40);
  const top = hi - lo;
  const rel = (v: number) => (!Number.isFinite(v) ? top : v <= 0 ? 0 : Math.max(0, Math.log10(v) - lo));
  const data: Bars[] = names.map((_, l) => ({
    layer: String(l + 1),
    name: layerLabel(names, l),
    grad: rel(grad[l]),
    act: rel(act[l]),
    theory: theory && Number.isFinite(theory[l]) && theory[l] > 0 ? Math.min(top, rel(theory[l])) : null,
    gradRaw: grad[l],
    actRaw: act[l],
    theoryRaw: theory ? theory[l] : null,
  }));
  const hidden = (xs: number[]) => xs.slice(0, L - 1);
  const measured = L > 2 ? Math.exp(-logSlope(hidden(act))) : NaN;
  const predicted = theory && L > 2 ? Math.exp(-logSlope(hidden(theory))) : NaN;
  const tickStep = Math.max(1, Math.ceil(top / 6));
  const ticks = Array.from({ length: Math.floor(top / tickStep) + 1 }, (_, k) => k * tickStep);
  const nonFinite = data.some((d) => !Number.isFinite(d.gradRaw) || !Number.isFinite(d.actRaw));
  return { step: headValue(row, 'step'), data, lo, top, ticks, measured, predicted, nonFinite };
}

/** The last recorded row before the run's first diverged step (null if none). */
export function lastFiniteRow(s: RunSeries): Float32Array | null {
  if (s.divergedAt === null) return s.latest;
  for (let i = s.rows.length - 1; i >= 0; i--) {
    const r = s.rows[i];
    if (headValue(r, 'step') < s.divergedAt && !isDiverged(r)) return r;
  }
  return null;
}

const tickStyle = { fontSize: CHART_FONT_PX };

function BarsPanel({ view, title, testId, axisLabel, highlight = -1 }: { view: BarsView; title: string; testId: string; axisLabel: string; highlight?: number }) {
  const pal = chartPalette();
  // The layer picked in the network view or a chart: its bars outlined.
  const picked = (d: Bars) => d.layer === String(highlight + 1);
  const n = view.data.length;
  return (
    <div className="flow-panel" data-testid={testId} data-step={view.step} style={{ minWidth: 0 }}>
      <div className="flow-panel-title" style={{ fontSize: CHART_FONT_PX, fontWeight: 600, margin: '2px 6px' }}>
        {title}
      </div>
      <ResponsiveContainer width="100%" height={168}>
        <ComposedChart data={view.data} margin={{ top: 6, right: 12, bottom: 12, left: 0 }} barCategoryGap="18%">
          <CartesianGrid strokeDasharray="3 3" stroke={pal.grid} vertical={false} />
          <XAxis
            dataKey="layer"
            tick={tickStyle}
            interval="preserveStartEnd"
            label={{ value: axisLabel, position: 'insideBottom', offset: -8, style: { fontSize: CHART_FONT_PX, fill: pal.text } }}
          />
          <YAxis domain={[0, view.top]} ticks={view.ticks} allowDataOverflow tick={tickStyle} tickFormatter={(t: number) => fmtTick(Math.pow(10, t + view.lo))} width={58} />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ fontSize: CHART_FONT_PX }}
            labelFormatter={(label, payload) => (payload[0]?.payload as Bars | undefined)?.name ?? String(label)}
            formatter={(_v, name, item) => {
              const p = item.payload as Bars;
              const raw = item.dataKey === 'grad' ? p.gradRaw : item.dataKey === 'act' ? p.actRaw : p.theoryRaw;
              return [raw === null ? '—' : fmt(raw), name];
            }}
          />
          <Bar dataKey="grad" name="‖∂L/∂W‖ (weights)" fill={pal.grad} isAnimationActive={false}>
            {view.data.map((d) => (
              <Cell key={d.name} fill={Number.isFinite(d.gradRaw) ? pal.grad : pal.diverged} stroke={picked(d) ? pal.text : undefined} strokeWidth={picked(d) ? 2 : 0} />
            ))}
          </Bar>
          <Bar dataKey="act" name="‖∂L/∂h‖ (back-propagated signal)" fill={pal.act} isAnimationActive={false}>
            {view.data.map((d) => (
              <Cell key={d.name} fill={Number.isFinite(d.actRaw) ? pal.act : pal.diverged} stroke={picked(d) ? pal.text : undefined} strokeWidth={picked(d) ? 2 : 0} />
            ))}
          </Bar>
          {view.data.some((d) => d.theory !== null) ? (
            <Line
              dataKey="theory"
              name="theory at init for ‖∂L/∂h‖"
              stroke={pal.theory}
              strokeDasharray="5 3"
              strokeWidth={2}
              dot={{ r: n > 24 ? 1.5 : 3, fill: pal.theory }}
              isAnimationActive={false}
              connectNulls={false}
            />
          ) : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

type LaterStep = 'finite' | 'diverged';

export function GradientFlow({ run, testId }: { run: number; testId: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(1000, figRef, run);
  const cfg = useStore((s) => s.experiment.runs[run]);
  const [pick, setPick] = useState<LaterStep>('finite');
  const s = metrics.get(run);
  const divergedAt = s?.divergedAt ?? null;
  const names = s?.layerNames ?? [];
  const highlightName = useStore((st) => st.highlightLayer);
  const highlight = highlightName === null ? -1 : names.indexOf(highlightName);
  const spec = useMemo(() => (cfg ? netSpecOf(cfg) : null), [cfg]);

  const views = useMemo(() => {
    if (!s || names.length === 0) return null;
    const first = s.rows[0];
    const initRow = first !== undefined && headValue(first, 'step') === 0 ? first : null;
    const finite = lastFiniteRow(s);
    const divergedRow = divergedAt === null ? null : (s.rows.find((r) => headValue(r, 'step') === divergedAt) ?? s.latest);
    const laterRow = divergedAt !== null && (pick === 'diverged' || !finite) ? divergedRow : finite;
    const init = initRow ? barsView(initRow, names, spec) : null;
    const later = laterRow && (!initRow || headValue(laterRow, 'step') !== 0) ? barsView(laterRow, names, null) : null;
    return { init, later, laterIsDiverged: laterRow !== null && laterRow === divergedRow && divergedAt !== null };
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, s, names, spec, pick, divergedAt]);

  // What the caption's factor is: √χ, √(1 + χ), or that with a residual ReLU net's stream part
  const [residual, stream] = useMemo(() => {
    if (!spec) return [false, false];
    const th = layerTheory(spec);
    return [th[th.length - 2]?.residual ?? false, th.some((t) => t.stream)];
  }, [spec]);

  // Where one net's step 0 is known to sit off the line (the rule is the engine's, as in `gradscope theory`).
  const caveat = useMemo(() => (spec ? theoryNote(spec) : null), [spec]);

  const init = views?.init ?? null;
  const later = views?.later ?? null;
  const shownStep = later?.step ?? init?.step;
  const laterTitle = !later
    ? ''
    : divergedAt === null
      ? `Latest: step ${later.step}`
      : views?.laterIsDiverged
        ? `Diverged step ${later.step} (red: not finite)`
        : `Last finite step: ${later.step} (diverged at step ${divergedAt})`;
  const title = 'Gradient flow: per-layer norms, input → output (log scale)';
  return (
    <figure
      ref={figRef}
      className="chart gradient-flow"
      data-testid={testId}
      aria-label={title}
      data-step={shownStep ?? ''}
      data-init-step={init?.step ?? ''}
      data-latest-step={later?.step ?? init?.step ?? ''}
      data-measured-factor={init && Number.isFinite(init.measured) ? init.measured : ''}
      data-theory-factor={init && Number.isFinite(init.predicted) ? init.predicted : ''}
      data-latest-factor={later && Number.isFinite(later.measured) ? later.measured : ''}
    >
      <figcaption>
        <span>{title}</span>
        <span className="caption-tools no-export">
          {divergedAt !== null ? (
            <span className="segmented" role="radiogroup" aria-label="Later step shown">
              {(['finite', 'diverged'] as const).map((w) => (
                <label key={w}>
                  <input type="radio" name={`gf-${testId}`} value={w} checked={pick === w} onChange={() => setPick(w)} />
                  {w === 'finite' ? 'last finite step' : `diverged @${divergedAt}`}
                </label>
              ))}
            </span>
          ) : null}
          <PngButton name={testId} />
        </span>
      </figcaption>
      {init ? (
        <div className="flow-panels" style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))', gap: 8 }}>
          <BarsPanel view={init} title="Step 0 (initialization) vs theory" testId={`${testId}-init`} axisLabel={`layers 1 … ${names.length} (input → output) · step 0`} highlight={highlight} />
          {later ? (
            <BarsPanel view={later} title={laterTitle} testId={`${testId}-latest`} axisLabel={`layers 1 … ${names.length} (input → output) · step ${later.step}`} highlight={highlight} />
          ) : (
            <p className="muted small" data-testid={`${testId}-latest`} data-step={init.step} style={{ alignSelf: 'center', margin: 8, fontSize: CHART_FONT_PX }}>
              Latest: step 0. Train to see how the norms move away from initialization.
            </p>
          )}
        </div>
      ) : (
        <p className="muted small empty">No step yet: press Train or Step.</p>
      )}
      {init ? <FlowLegend theory={init.data.some((d) => d.theory !== null)} /> : null}
      <p className="small flow-note" data-testid={`${testId}-note`} style={{ fontSize: CHART_FONT_PX }}>
        {init && Number.isFinite(init.measured) ? (
          <>
            ‖∂L/∂h‖ per layer toward the input at step 0: <strong>{factorText(init.measured)}</strong> measured
            {Number.isFinite(init.predicted) ? (
              <>
                {' '}
                vs <strong>{factorText(init.predicted)}</strong> ={' '}
                <span
                  title={
                    'χ = σ_w²·E[φ′(z)²]: the factor of ‖∂L/∂h‖² per hidden layer; its square root is the factor of the norm' +
                    (stream ? '. In a residual ReLU net the part of ‖∂L/∂h‖ along the all-positive stream grows faster (README, Theory line)' : '')
                  }
                >
                  {stream ? '√(1 + χ) with the stream part' : residual ? '√(1 + χ)' : '√χ'}
                </span>, the theory at
                init.
              </>
            ) : (
              '.'
            )}{' '}
          </>
        ) : null}
        {later && Number.isFinite(later.measured) ? (
          <>
            At step {later.step} ({divergedAt === null ? 'latest' : views?.laterIsDiverged ? 'diverged' : 'last finite'}): <strong>{factorText(later.measured)}</strong>; the theory is for initialization only.{' '}
          </>
        ) : null}
        {caveat && init?.data.some((d) => d.theory !== null) ? (
          <span className="theory-caveat" data-testid={`${testId}-theory-note`} data-kind={caveat.kind}>
            {caveat.text}{' '}
          </span>
        ) : null}
        {spec ? null : <span className="muted">No theory line for {cfg?.model.arch === 'cnn' ? 'CNNs' : 'normalized nets'}: the mean-field formulas here are for plain MLPs. </span>}
        {init?.nonFinite || later?.nonFinite ? <span className="nonfinite">Red bars: not finite (NaN or Infinity).</span> : null}
      </p>
    </figure>
  );
}

/** One legend for both panels (kept as legend items so that the PNG export lists them). */
function FlowLegend({ theory }: { theory: boolean }) {
  const pal = chartPalette();
  const items = [
    { key: 'grad', color: pal.grad, text: '‖∂L/∂W‖ weights', dots: false, dash: undefined as number[] | undefined, bar: true },
    { key: 'act', color: pal.act, text: '‖∂L/∂h‖ back-propagated signal', dots: false, dash: undefined, bar: true },
    ...(theory ? [{ key: 'theory', color: pal.theory, text: 'theory at init (‖∂L/∂h‖)', dots: false, dash: [5, 3], bar: false }] : []),
  ];
  return (
    <div className="line-canvas flow-legend">
      <ul className="legend" aria-label="Bars and line" style={{ fontSize: CHART_FONT_PX }}>
        {items.map((it) => (
          <li key={it.key} className="legend-item" data-color={it.color} data-dash={it.dash?.join(' ')} style={{ display: 'inline-flex', alignItems: 'center' }}>
            {it.bar ? <span aria-hidden="true" style={{ display: 'inline-block', width: 12, height: 12, background: it.color, marginRight: 4 }} /> : <Swatch color={it.color} dash={it.dash} />}
            {it.text}
          </li>
        ))}
      </ul>
    </div>
  );
}
