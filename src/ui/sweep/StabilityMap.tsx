/**
 * The stability map of a sweep, filled in as trials finish. Two parameters: a
 * heatmap (grid: one cell per grid point; random/Bayesian: one square per trial,
 * numbered in the order chosen), colour = objective from pale (worse) to dark
 * blue (better; never yellow, which means a large gradient in the layer heatmap:
 * mapColors.ts), diverged trials red and hatched. One parameter: the objective
 * against the parameter, diverged trials marked with a red ✕ on a hatched band.
 * Axis ticks at round values (ticks.ts). Every trial is a button that adds it to
 * the page as a run. Plain SVG: a few hundred elements at most.
 */
import { useId, type KeyboardEvent, type ReactNode } from 'react';
import type { SweepConfig, SweepParam } from '../../engine/sweep/schema.ts';
import { gridValues, toUnit } from '../../engine/sweep/space.ts';
import { formatValue, paramChoice, shortName } from '../../engine/sweep/meta.ts';
import type { TrialResult } from '../../engine/sweep/result.ts';
import type { TrialSpec } from '../../engine/sweep/planner.ts';
import { DIVERGED_COLOR } from '../colors.ts';
import { mapColor, mapTextColor } from './mapColors.ts';
import { linearTicks, logTicks, tickLabel } from './ticks.ts';

export interface ColorRange {
  lo: number;
  hi: number;
}

/** The range of finished, finite objectives (over every variant, so maps compare). */
export function colorRange(cfg: SweepConfig, results: readonly TrialResult[]): ColorRange | null {
  const v = results.filter((r) => r.status === 'ok' && Number.isFinite(r.objective)).map((r) => r.objective);
  if (!v.length) return null;
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (cfg.objective === 'final_loss') lo = Math.max(lo, 1e-6);
  if (hi <= lo) hi = lo * 1.0001 + 1e-9;
  return { lo, hi };
}

/** 0 = worst, 1 = best within the range. */
export function goodness(cfg: SweepConfig, range: ColorRange, v: number): number {
  if (cfg.objective === 'final_loss') {
    const t = (Math.log(Math.max(v, range.lo)) - Math.log(range.lo)) / (Math.log(range.hi) - Math.log(range.lo) || 1);
    return 1 - Math.min(1, Math.max(0, t));
  }
  return Math.min(1, Math.max(0, (v - range.lo) / (range.hi - range.lo || 1)));
}

export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

export function paramLabel(path: string): string {
  return paramChoice(path)?.label ?? path;
}

export function describeTrial(cfg: SweepConfig, r: TrialResult): string {
  const params = cfg.params.map((p, k) => `${shortName(p.path)} ${formatValue(r.values[k])}`).join(', ');
  const obj = cfg.objective === 'final_loss' ? 'loss' : 'test acc';
  let what: string;
  switch (r.status) {
    case 'diverged':
      what = `diverged at step ${r.divergedAt} (max ‖g‖ ${fmtNum(r.maxGradNorm)})`;
      break;
    case 'ok':
      what = `${obj} ${fmtNum(r.objective)}, max ‖g‖ ${fmtNum(r.maxGradNorm)}`;
      break;
    default:
      what = `${r.status}: ${r.error ?? ''}`;
  }
  return `#${r.point + 1} ${params}: ${what}`;
}

const W = 440;
const H = 330;
const M = { left: 58, right: 10, top: 10, bottom: 46 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

interface Ticks {
  at: number[]; // unit coordinates
  labels: string[];
}

/**
 * The ticks of a parameter's axis. A list, or a grid of integers (depth): the
 * grid's own values at their cells. Otherwise round values (1, 2, 5 × 10^k on a
 * log scale) where they fall on the parameter's scale.
 */
function ticksFor(p: SweepParam, cfg: SweepConfig): Ticks {
  if (p.scale === 'list' || (cfg.method === 'grid' && p.integer)) {
    const vals = gridValues(p);
    const n = vals.length;
    const every = Math.ceil(n / 8);
    const at: number[] = [];
    const labels: string[] = [];
    vals.forEach((v, i) => {
      if (i % every === 0 || i === n - 1) {
        at.push(n === 1 ? 0.5 : i / (n - 1));
        labels.push(formatValue(v));
      }
    });
    return { at, labels };
  }
  let vals = p.scale === 'log' ? logTicks(p.min, p.max) : linearTicks(p.min, p.max);
  if (p.integer) vals = vals.filter(Number.isInteger);
  return { at: vals.map((v) => toUnit(p, v)), labels: vals.map(tickLabel) };
}

function activate(e: KeyboardEvent, f: () => void): void {
  if (e.key === 'Enter' || e.key === ' ') {
    // Not also the page's Space shortcut (start/pause training).
    e.preventDefault();
    e.stopPropagation();
    f();
  }
}

/** One finished trial on the map: a focusable button that adds the trial to the page as a run. */
function TrialCell({ r, label, onOpen, children }: { r: TrialResult; label: string; onOpen(r: TrialResult): void; children: ReactNode }) {
  return (
    <g
      data-testid="sweep-cell"
      data-index={r.index}
      data-point={r.point}
      data-variant={r.variant}
      data-status={r.status}
      data-objective={r.objective}
      role="button"
      tabIndex={0}
      aria-label={`${label}. Add it to the page as a run.`}
      className={`sweep-cell status-${r.status}`}
      onClick={() => onOpen(r)}
      onKeyDown={(e) => activate(e, () => onOpen(r))}
    >
      <title>{`${label} — click to add it to the page as a run`}</title>
      {children}
    </g>
  );
}

interface MapProps {
  cfg: SweepConfig;
  results: readonly TrialResult[];
  running: readonly TrialSpec[];
  variant: number;
  range: ColorRange | null;
  title: string;
  onOpen(r: TrialResult): void;
}

function Hatch({ id }: { id: string }) {
  return (
    <defs>
      <pattern id={id} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="#f6c9c3" />
        <line x1="0" y1="0" x2="0" y2="6" stroke={DIVERGED_COLOR} strokeWidth="2.5" />
      </pattern>
    </defs>
  );
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

/** A parameter's axis; unit coordinate u sits at from + u·(to − from) pixels. */
function Axis({ p, cfg, orient, from, to }: { p: SweepParam; cfg: SweepConfig; orient: 'x' | 'y'; from: number; to: number }) {
  const t = ticksFor(p, cfg);
  const at = (u: number) => from + u * (to - from);
  const name = `${paramLabel(p.path)}${p.scale === 'log' ? ' (log scale)' : ''}`;
  if (orient === 'x') {
    const y0 = H - M.bottom;
    return (
      <g className="axis" fontSize="10" fill="#555" data-testid="sweep-axis-x" data-ticks={t.labels.join(' ')}>
        {t.at.map((u, i) => (
          <g key={i}>
            <line x1={at(u)} x2={at(u)} y1={y0} y2={y0 + 4} stroke="#888" />
            <text x={at(u)} y={y0 + 15} textAnchor="middle">
              {t.labels[i]}
            </text>
          </g>
        ))}
        <text x={M.left + PW / 2} y={H - 8} textAnchor="middle" fontSize="11" fill="#222">
          {name}
        </text>
      </g>
    );
  }
  return (
    <g className="axis" fontSize="10" fill="#555" data-testid="sweep-axis-y" data-ticks={t.labels.join(' ')}>
      {t.at.map((u, i) => (
        <g key={i}>
          <line x1={M.left - 4} x2={M.left} y1={at(u)} y2={at(u)} stroke="#888" />
          <text x={M.left - 6} y={at(u) + 3} textAnchor="end">
            {t.labels[i]}
          </text>
        </g>
      ))}
      <text x={12} y={M.top + PH / 2} textAnchor="middle" fontSize="11" fill="#222" transform={`rotate(-90 12 ${M.top + PH / 2})`}>
        {name}
      </text>
    </g>
  );
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

/**
 * The colour bar: the objective's range with round ticks, which end is better
 * (darker), and the diverged and running marks.
 */
export function MapLegend({ cfg, range }: { cfg: SweepConfig; range: ColorRange | null }) {
  const hatch = `hatch${useId().replace(/:/g, '')}`;
  const loss = cfg.objective === 'final_loss';
  const X0 = 58;
  const BW = 220;
  // Position u along the bar ↔ objective value (log scale for the loss).
  const valueAt = (u: number): number =>
    !range ? NaN : loss ? Math.exp(Math.log(range.lo) + u * (Math.log(range.hi) - Math.log(range.lo))) : range.lo + u * (range.hi - range.lo);
  const unitOf = (v: number): number =>
    !range ? 0 : loss ? (Math.log(v) - Math.log(range.lo)) / (Math.log(range.hi) - Math.log(range.lo) || 1) : (v - range.lo) / (range.hi - range.lo || 1);
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const color = (u: number) => (range ? mapColor(goodness(cfg, range, valueAt(u))) : mapColor(loss ? 1 - u : u));
  const ticks = range ? (loss ? logTicks(range.lo, range.hi, 5) : linearTicks(range.lo, range.hi, 4)) : [];
  const betterLeft = loss;
  return (
    <svg viewBox="0 0 440 58" className="sweep-legend png-also" role="img" aria-label={`Colour scale: ${loss ? 'held-out loss, lower is better' : 'held-out accuracy, higher is better'}; darker is better; hatched red: diverged`} data-testid="sweep-legend" data-ticks={ticks.map(tickLabel).join(' ')}>
      <Hatch id={hatch} />
      <defs>
        <linearGradient id={`${hatch}g`}>
          {stops.map((t) => (
            <stop key={t} offset={t} stopColor={color(t)} />
          ))}
        </linearGradient>
      </defs>
      <text x={X0} y={10} fontSize="10" fill="#222" fontWeight={betterLeft ? 600 : 400}>
        {betterLeft ? '← better' : 'worse'}
      </text>
      <text x={X0 + BW} y={10} fontSize="10" fill="#222" textAnchor="end" fontWeight={betterLeft ? 400 : 600}>
        {betterLeft ? 'worse' : 'better →'}
      </text>
      <rect x={X0} y={14} width={BW} height={12} fill={`url(#${hatch}g)`} stroke="#bbb" />
      {ticks.map((v) => {
        const x = X0 + unitOf(v) * BW;
        return (
          <g key={v}>
            <line x1={x} x2={x} y1={26} y2={30} stroke="#666" />
            <text x={x} y={40} fontSize="10" fill="#444" textAnchor="middle">
              {tickLabel(v)}
            </text>
          </g>
        );
      })}
      {!range ? (
        <text x={X0 + BW / 2} y={40} fontSize="10" fill="#444" textAnchor="middle">
          …
        </text>
      ) : null}
      <text x={X0 + BW / 2} y={54} fontSize="10" fill="#444" textAnchor="middle">
        {loss ? 'final held-out loss (log scale) · darker is better' : 'final held-out accuracy · darker is better'}
      </text>
      <rect x={300} y={14} width={14} height={12} fill={`url(#${hatch})`} stroke={DIVERGED_COLOR} />
      <text x={318} y={24} fontSize="10" fill="#444">
        diverged
      </text>
      <rect x={370} y={14} width={14} height={12} fill="none" stroke="#888" strokeDasharray="3 2" />
      <text x={388} y={24} fontSize="10" fill="#444">
        running
      </text>
    </svg>
  );
}
