/**
 * A sweep's id: a hash of its normalized config (the validated config written back
 * with every default filled in), so the same config names the same sweep and
 * `gradscope sweep <config> --store …` run again resumes it.
 */
import { createHash } from 'node:crypto';
import { sweepToJson, type SweepConfig } from '../../engine/sweep/schema.ts';

/** JSON with object keys sorted, so key order does not change the hash. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function sweepId(cfg: SweepConfig): string {
  return createHash('sha256').update(canonical(sweepToJson(cfg))).digest('hex').slice(0, 16);
}
