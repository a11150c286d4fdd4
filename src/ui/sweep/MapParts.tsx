/**
 * The pieces both stability-map plots draw: the plot's geometry, a parameter's
 * axis with its ticks, the hatch pattern of diverged trials, and a trial's
 * focusable cell.
 */
import type { KeyboardEvent, ReactNode } from 'react';
import type { SweepConfig, SweepParam } from '../../engine/sweep/schema.ts';
import { gridValues, toUnit } from '../../engine/sweep/space.ts';
import { formatValue } from '../../engine/sweep/meta.ts';
import type { TrialResult } from '../../engine/sweep/result.ts';
import { DIVERGED_COLOR } from '../colors.ts';
import { paramLabel } from './mapScale.ts';
import { linearTicks, logTicks, tickLabel } from './ticks.ts';

export const W = 440;
export const H = 330;
export const M = { left: 58, right: 10, top: 10, bottom: 46 };
export const PW = W - M.left - M.right;
export const PH = H - M.top - M.bottom;

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
export function TrialCell({ r, label, onOpen, children }: { r: TrialResult; label: string; onOpen(r: TrialResult): void; children: ReactNode }) {
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

export function Hatch({ id }: { id: string }) {
  return (
    <defs>
      <pattern id={id} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="#f6c9c3" />
        <line x1="0" y1="0" x2="0" y2="6" stroke={DIVERGED_COLOR} strokeWidth="2.5" />
      </pattern>
    </defs>
  );
}

/** A parameter's axis; unit coordinate u sits at from + u·(to − from) pixels. */
export function Axis({ p, cfg, orient, from, to }: { p: SweepParam; cfg: SweepConfig; orient: 'x' | 'y'; from: number; to: number }) {
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
