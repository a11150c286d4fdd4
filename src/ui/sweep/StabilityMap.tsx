/**
 * The stability map of a sweep, filled in as trials finish. Two parameters: a
 * heatmap (grid: one cell per grid point; random/Bayesian: one square per trial,
 * numbered in the order chosen), colour = objective from pale (worse) to dark
 * blue (better; never yellow, which means a large gradient in the layer heatmap:
 * mapColors.ts), diverged trials red and hatched. One parameter: the objective
 * against the parameter, diverged trials marked with a red ✕ on a hatched band.
 * Axis ticks at round values (ticks.ts). Every trial is a button that adds it to
 * the page as a run. Plain SVG: a few hundred elements at most.
 *
 * Pieces shared with the colour bar (MapLegend.tsx): MapParts.tsx; numbers and
 * words: mapScale.ts.
 */
import { useId } from 'react';
import type { SweepConfig } from '../../engine/sweep/schema.ts';
import { gridValues } from '../../engine/sweep/space.ts';
import type { TrialResult } from '../../engine/sweep/result.ts';
import type { TrialSpec } from '../../engine/sweep/planner.ts';
import { DIVERGED_COLOR } from '../colors.ts';
import { mapColor, mapTextColor } from './mapColors.ts';
import { describeTrial, goodness, type ColorRange } from './mapScale.ts';
import { Axis, H, Hatch, M, PH, PW, TrialCell, W } from './MapParts.tsx';
import { linearTicks, logTicks, tickLabel } from './ticks.ts';

interface MapProps {
  cfg: SweepConfig;
  results: readonly TrialResult[];
  running: readonly TrialSpec[];
  variant: number;
  range: ColorRange | null;
  title: string;
  onOpen(r: TrialResult): void;
}

function fillFor(cfg: SweepConfig, range: ColorRange | null, r: TrialResult, hatch: string): string {
  if (r.status === 'diverged') return `url(#${hatch})`;
  if (r.status !== 'ok') return '#c8c8cc';
  return range ? mapColor(goodness(cfg, range, r.objective)) : mapColor(0.5);
}

/** A short value for a cell: 2 significant digits. */
function cellText(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1000)) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(2)));
}

/** Two parameters: a heatmap. */
function Heatmap({ cfg, results, running, variant, range, title, onOpen }: MapProps) {
  const hatch = `hatch${useId().replace(/:/g, '')}`;
  const [px, py] = cfg.params;
  const grid = cfg.method === 'grid';
  const nx = grid ? gridValues(px).length : 1;
  const ny = grid ? gridValues(py).length : 1;
  // Grid: cells tile the plot; otherwise squares of a fixed size centred on each trial.
  const cw = grid ? PW / nx : Math.max(10, PW / 14);
  const ch = grid ? PH / ny : Math.max(10, PH / 14);
  const pos = (unit: number[], cell?: number[]): [number, number] => {
    if (grid && cell) return [M.left + cell[0] * cw, M.top + (ny - 1 - cell[1]) * ch];
    return [M.left + unit[0] * (PW - cw), M.top + (1 - unit[1]) * (PH - ch)];
  };
  const mine = results.filter((r) => r.variant === variant);
  const pending = running.filter((s) => s.variant === variant);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="sweep-map png-main" role="group" aria-label={title} data-testid="sweep-map" data-variant={variant} data-cells={mine.length}>
      <Hatch id={hatch} />
      <rect x={M.left} y={M.top} width={PW} height={PH} fill="#f4f4f6" stroke="#dedee3" />
      {pending.map((s) => {
        const [x, y] = pos(s.unit, s.cell);
        return <rect key={`p${s.index}`} x={x + 1} y={y + 1} width={cw - 2} height={ch - 2} fill="none" stroke="#888" strokeDasharray="3 2" data-testid="sweep-pending" />;
      })}
      {mine.map((r) => {
        const [x, y] = pos(r.unit, r.cell);
        const label = describeTrial(cfg, r);
        return (
          <TrialCell key={r.index} r={r} label={label} onOpen={onOpen}>
            <rect x={x + 0.5} y={y + 0.5} width={cw - 1} height={ch - 1} fill={fillFor(cfg, range, r, hatch)} stroke={r.status === 'diverged' ? DIVERGED_COLOR : grid ? '#fff' : '#6b7f99'} strokeWidth={r.status === 'diverged' ? 1.5 : 0.5} />
            {r.status === 'ok' && range && grid && cw >= 30 && ch >= 16 ? (
              <text x={x + cw / 2} y={y + ch / 2 + 3.5} textAnchor="middle" fontSize="10" fill={mapTextColor(goodness(cfg, range, r.objective))} pointerEvents="none">
                {cellText(r.objective)}
              </text>
            ) : null}
            {r.status === 'diverged' && cw >= 14 ? (
              <text x={x + cw / 2} y={y + ch / 2 + 4} textAnchor="middle" fontSize="11" fontWeight="700" fill={DIVERGED_COLOR}>
                ✕
              </text>
            ) : null}
            {!grid ? (
              <text x={x + cw / 2} y={y - 2} textAnchor="middle" fontSize="9" fill="#333">
                {r.point + 1}
              </text>
            ) : null}
            {r.status === 'invalid' || r.status === 'error' ? (
              <text x={x + cw / 2} y={y + ch / 2 + 4} textAnchor="middle" fontSize="11" fill="#333">
                !
              </text>
            ) : null}
          </TrialCell>
        );
      })}
      <Axis p={px} cfg={cfg} orient="x" from={M.left + cw / 2} to={M.left + PW - cw / 2} />
      <Axis p={py} cfg={cfg} orient="y" from={M.top + PH - ch / 2} to={M.top + ch / 2} />
    </svg>
  );
}

/** One parameter: objective against the parameter. */
function LinePlot({ cfg, results, running, variant, range, title, onOpen }: MapProps) {
  const hatch = `hatch${useId().replace(/:/g, '')}`;
  const [px] = cfg.params;
  const loss = cfg.objective === 'final_loss';
  const mine = results.filter((r) => r.variant === variant);
  const pending = running.filter((s) => s.variant === variant);
  const xOf = (u: number) => M.left + u * PW;
  const yOf = (v: number): number => {
    if (!range) return M.top + PH / 2;
    const t = loss
      ? (Math.log(Math.max(v, range.lo)) - Math.log(range.lo)) / (Math.log(range.hi) - Math.log(range.lo) || 1)
      : (v - range.lo) / (range.hi - range.lo || 1);
    return M.top + 14 + (1 - Math.min(1, Math.max(0, t))) * (PH - 20);
  };
  const ok = mine.filter((r) => r.status === 'ok').sort((a, b) => a.unit[0] - b.unit[0]);
  const path = ok.map((r, i) => `${i ? 'L' : 'M'}${xOf(r.unit[0]).toFixed(1)},${yOf(r.objective).toFixed(1)}`).join(' ');
  const yTicks = range ? (loss ? logTicks(range.lo, range.hi, 5) : linearTicks(range.lo, range.hi, 4)) : [];
  const band = Math.max(4, PW / (cfg.method === 'grid' ? Math.max(2, gridValues(px).length) : 30));
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="sweep-map png-main" role="group" aria-label={title} data-testid="sweep-map" data-variant={variant} data-cells={mine.length}>
      <Hatch id={hatch} />
      <rect x={M.left} y={M.top} width={PW} height={PH} fill="#f7f7f9" stroke="#dedee3" />
      {mine
        .filter((r) => r.diverged)
        .map((r) => (
          <rect key={`b${r.index}`} x={xOf(r.unit[0]) - band / 2} y={M.top} width={band} height={PH} fill={`url(#${hatch})`} opacity={0.45} />
        ))}
      {pending.map((s) => (
        <line key={`p${s.index}`} x1={xOf(s.unit[0])} x2={xOf(s.unit[0])} y1={M.top} y2={M.top + PH} stroke="#888" strokeDasharray="3 2" data-testid="sweep-pending" />
      ))}
      <path d={path} fill="none" stroke="#0072b2" strokeWidth={1.5} />
      {mine.map((r) => {
        const x = xOf(r.unit[0]);
        const y = r.status === 'ok' ? yOf(r.objective) : M.top + 8;
        const label = describeTrial(cfg, r);
        return (
          <TrialCell key={r.index} r={r} label={label} onOpen={onOpen}>
            {r.status === 'diverged' ? (
              <text x={x} y={y + 4} textAnchor="middle" fontSize="13" fontWeight="700" fill={DIVERGED_COLOR}>
                ✕
              </text>
            ) : (
              <circle cx={x} cy={y} r={4.5} fill={r.status === 'ok' ? (range ? mapColor(goodness(cfg, range, r.objective)) : '#0072b2') : '#c8c8cc'} stroke="#333" strokeWidth={0.7} />
            )}
            {cfg.method !== 'grid' ? (
              <text x={x} y={y - 7} textAnchor="middle" fontSize="9" fill="#333">
                {r.point + 1}
              </text>
            ) : null}
          </TrialCell>
        );
      })}
      <Axis p={px} cfg={cfg} orient="x" from={M.left} to={M.left + PW} />
      <g className="axis" fontSize="10" fill="#555" data-testid="sweep-axis-y" data-ticks={yTicks.map(tickLabel).join(' ')}>
        {yTicks.map((v, i) => (
          <g key={i}>
            <line x1={M.left - 4} x2={M.left} y1={yOf(v)} y2={yOf(v)} stroke="#888" />
            <text x={M.left - 6} y={yOf(v) + 3} textAnchor="end">
              {tickLabel(v)}
            </text>
          </g>
        ))}
        <text x={12} y={M.top + PH / 2} textAnchor="middle" fontSize="11" fill="#222" transform={`rotate(-90 12 ${M.top + PH / 2})`}>
          {loss ? 'final held-out loss (log scale; lower is better)' : 'final held-out accuracy (higher is better)'}
        </text>
      </g>
    </svg>
  );
}

export function StabilityMap(props: MapProps) {
  return props.cfg.params.length === 1 ? <LinePlot {...props} /> : <Heatmap {...props} />;
}
