/**
 * The stability map's colour bar: the objective's range with round ticks, which
 * end is better, and the diverged and running marks.
 */
import { useId } from 'react';
import type { SweepConfig } from '../../engine/sweep/schema.ts';
import { DIVERGED_COLOR } from '../colors.ts';
import { mapColor } from './mapColors.ts';
import { goodness, type ColorRange } from './mapScale.ts';
import { Hatch } from './MapParts.tsx';
import { linearTicks, logTicks, tickLabel } from './ticks.ts';

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
