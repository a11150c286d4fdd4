/**
 * "Gradient flow": per-layer norms at one step as bars (input → output), on a
 * log scale, with the mean-field prediction at initialization as a dashed line
 * (engine/theory.ts). Bars are drawn on log10 values relative to the bottom of
 * the axis, so they always grow upward from it.
 */
import { useMemo, useRef, useState } from 'react';
import { Bar, CartesianGrid, Cell, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { layerTheory, logSlope, netSpecOf, predictedActGradNorms } from '../engine/theory.ts';
import { DIVERGED_COLOR } from './colors.ts';
import { fmt, fmtTick } from './Charts.tsx';
import { headValue, layerValue, metrics } from './metrics.ts';
import { PngButton } from './PngButton.tsx';
import { useMetricsVersion } from './useMetrics.ts';
import { useStore } from './store.ts';

/** Okabe–Ito sky blue and orange: distinct for the common colour-vision deficiencies. */
const GRAD_COLOR = '#56B4E9';
const ACT_COLOR = '#E69F00';
const THEORY_COLOR = '#000000';

type Which = 'latest' | 'init' | 'diverged';

interface Bars {
  name: string;
  grad: number;
  act: number;
  theory: number | null;
  gradRaw: number;
  actRaw: number;
  theoryRaw: number | null;
}

const factorText = (x: number) => (Number.isFinite(x) ? `×${x.toPrecision(3)}` : '—');

export function GradientFlow({ run, testId }: { run: number; testId: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(1000, figRef, run);
  const cfg = useStore((s) => s.experiment.runs[run]);
  const [which, setWhich] = useState<Which>('latest');
  const s = metrics.get(run);
  const divergedAt = s?.divergedAt ?? null;
  const shown: Which = which === 'diverged' && divergedAt === null ? 'latest' : which;
  const row =
    shown === 'init'
      ? s?.rows[0] !== undefined && headValue(s.rows[0], 'step') === 0
        ? s.rows[0]
        : null
      : shown === 'diverged'
        ? (s?.rows.find((r) => headValue(r, 'step') === divergedAt) ?? null)
        : (s?.latest ?? null);
  const names = s?.layerNames ?? [];
  const spec = useMemo(() => (cfg ? netSpecOf(cfg) : null), [cfg]);

  const view = useMemo(() => {
    if (!row || names.length === 0) return null;
    const grad = names.map((_, l) => layerValue(row, l, 'gradNorm'));
    const act = names.map((_, l) => layerValue(row, l, 'actGradNorm'));
    const L = names.length;
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
    const data: Bars[] = names.map((name, l) => ({
      name,
      grad: rel(grad[l]),
      act: rel(act[l]),
      theory: theory && Number.isFinite(theory[l]) && theory[l] > 0 ? Math.min(top, rel(theory[l])) : null,
      gradRaw: grad[l],
      actRaw: act[l],
      theoryRaw: theory ? theory[l] : null,
    }));
    // Per-layer factor toward the input over the hidden layers: measured vs theory.
    const hidden = (xs: number[]) => xs.slice(0, L - 1);
    const measured = L > 2 ? Math.exp(-logSlope(hidden(act))) : NaN;
    const predicted = theory && L > 2 ? Math.exp(-logSlope(hidden(theory))) : NaN;
    const tickStep = Math.max(1, Math.ceil(top / 6));
    const ticks = Array.from({ length: Math.floor(top / tickStep) + 1 }, (_, k) => k * tickStep);
    return { data, lo, top, ticks, measured, predicted, step: headValue(row, 'step') };
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, row, names, spec]);

  const chiText = useMemo(() => {
    if (!spec) return null;
    const th = layerTheory(spec);
    const last = th[th.length - 2];
    if (!last) return null;
    const chi = last.residual ? last.factor - 1 : last.factor;
    return `χ = σ_w²·E[φ′(z)²] = ${chi.toPrecision(3)}${last.residual ? ', ×(1 + χ) with the skip' : ''} per layer`;
  }, [spec]);

  const title = 'Gradient flow: per-layer norms at one step (log scale)';
  return (
    <figure
      ref={figRef}
      className="chart gradient-flow"
      data-testid={testId}
      aria-label={title}
      data-step={view?.step ?? ''}
      data-measured-factor={view && Number.isFinite(view.measured) ? view.measured : ''}
      data-theory-factor={view && Number.isFinite(view.predicted) ? view.predicted : ''}
    >
      <figcaption>
        <span>
          {title}
          {view ? <span className="muted"> · step {view.step}</span> : null}
        </span>
        <span className="caption-tools no-export">
          <span className="segmented" role="radiogroup" aria-label="Step shown">
            {(divergedAt === null ? (['latest', 'init'] as const) : (['latest', 'init', 'diverged'] as const)).map((w) => (
              <label key={w}>
                <input type="radio" name={`gf-${testId}`} value={w} checked={shown === w} onChange={() => setWhich(w)} />
                {w === 'latest' ? 'latest' : w === 'init' ? 'step 0' : `diverged @${divergedAt}`}
              </label>
            ))}
          </span>
          <PngButton name={testId} />
        </span>
      </figcaption>
      {view ? (
        <ResponsiveContainer width="100%" height={220}>
          <ComposedChart data={view.data} margin={{ top: 8, right: 16, bottom: 4, left: 4 }} barCategoryGap="18%">
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e3e3" vertical={false} />
            <XAxis dataKey="name" tick={{ fontSize: 10 }} interval="preserveStartEnd" />
            <YAxis domain={[0, view.top]} ticks={view.ticks} allowDataOverflow tick={{ fontSize: 11 }} tickFormatter={(t: number) => fmtTick(Math.pow(10, t + view.lo))} width={64} />
            <Tooltip
              isAnimationActive={false}
              formatter={(_v, name, item) => {
                const p = item.payload as Bars;
                const raw = item.dataKey === 'grad' ? p.gradRaw : item.dataKey === 'act' ? p.actRaw : p.theoryRaw;
                return [raw === null ? '—' : fmt(raw), name];
              }}
            />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            <Bar dataKey="grad" name="‖∂L/∂W‖ (weights)" fill={GRAD_COLOR} isAnimationActive={false}>
              {view.data.map((d) => (
                <Cell key={d.name} fill={Number.isFinite(d.gradRaw) ? GRAD_COLOR : DIVERGED_COLOR} />
              ))}
            </Bar>
            <Bar dataKey="act" name="‖∂L/∂h‖ (back-propagated signal)" fill={ACT_COLOR} isAnimationActive={false}>
              {view.data.map((d) => (
                <Cell key={d.name} fill={Number.isFinite(d.actRaw) ? ACT_COLOR : DIVERGED_COLOR} />
              ))}
            </Bar>
            {view.data.some((d) => d.theory !== null) ? (
              <Line
                dataKey="theory"
                name="theory at init for ‖∂L/∂h‖ (from the output layer back)"
                stroke={THEORY_COLOR}
                strokeDasharray="5 3"
                strokeWidth={1.5}
                dot={{ r: 2.5, fill: THEORY_COLOR }}
                isAnimationActive={false}
                connectNulls={false}
              />
            ) : null}
          </ComposedChart>
        </ResponsiveContainer>
      ) : (
        <p className="muted small empty">No step yet: press Train or Step.</p>
      )}
      <p className="small flow-note" data-testid={`${testId}-note`}>
        {view && Number.isFinite(view.measured) ? (
          <>
            Toward the input, ‖∂L/∂h‖ changes <strong>{factorText(view.measured)}</strong> per layer (measured)
            {Number.isFinite(view.predicted) ? (
              <>
                {' '}
                vs <strong>{factorText(view.predicted)}</strong> (theory at init{chiText ? `; ${chiText}` : ''}).
              </>
            ) : (
              '.'
            )}{' '}
          </>
        ) : null}
        {spec ? null : <span className="muted">No theory line for {cfg?.model.arch === 'cnn' ? 'CNNs' : 'normalized nets'}: the mean-field formulas here are for plain MLPs.</span>}
        {view?.data.some((d) => !Number.isFinite(d.gradRaw) || !Number.isFinite(d.actRaw)) ? <span className="nonfinite"> Red bars: not finite (NaN or Infinity).</span> : null}
      </p>
    </figure>
  );
}
