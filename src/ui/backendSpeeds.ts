import type { BackendSpeed } from '../shared/protocol.ts';

function rate(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(2);
}

/**
 * The "fastest" measurement in one line, fastest first:
 * "wasm 212 steps/s · cpu 45 · webgl 8.1 · webgpu ≤ 0.17 (first steps still running after 12000 ms)".
 * "≤" marks a backend whose first step did not finish in time (its rate is a bound).
 */
export function describeSpeeds(speeds: readonly BackendSpeed[]): string {
  return speeds
    .map((s, i) => {
      if (!(s.stepsPerSec > 0)) return `${s.backend} – (${s.note ?? 'failed'})`;
      const bound = s.steps === 0 ? '≤ ' : '';
      const note = s.note ? ` (${s.note})` : '';
      return `${s.backend} ${bound}${rate(s.stepsPerSec)}${i === 0 ? ' steps/s' : ''}${note}`;
    })
    .join(' · ');
}
