/**
 * Numeric paths into a run config that a sweep may vary. Every numeric field of
 * the run schema is one (found by walking the zod schema, so the ranges come from
 * the one declared schema), plus two derived ones over `model.hidden`:
 *   model.hidden.length  the depth (number of hidden layers; widths repeat the last)
 *   model.hidden.width   the width of every hidden layer
 * `train.steps` is not sweepable: `stepsPerTrial` sets it.
 */
import type { z } from 'zod';
import { LIMITS, RunConfigSchema, type RunConfig } from '../config.ts';

export interface NumericField {
  path: string;
  /** Smallest allowed value and whether it is allowed itself (false: strictly greater). */
  min: number;
  minInclusive: boolean;
  max: number;
  maxInclusive: boolean;
  integer: boolean;
}

export const DEPTH_PATH = 'model.hidden.length';
export const WIDTH_PATH = 'model.hidden.width';
const EXCLUDED = new Set(['train.steps']);

interface ZodInternals {
  def: {
    type: string;
    innerType?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean } } }[];
  };
  shape?: Record<string, z.ZodType>;
  isInt?: boolean;
}

function unwrap(s: z.ZodType): ZodInternals {
  let cur = s as unknown as ZodInternals;
  while ((cur.def.type === 'default' || cur.def.type === 'prefault' || cur.def.type === 'optional') && cur.def.innerType) {
    cur = cur.def.innerType as unknown as ZodInternals;
  }
  return cur;
}

function numberField(path: string, s: ZodInternals): NumericField {
  const f: NumericField = { path, min: -Infinity, minInclusive: true, max: Infinity, maxInclusive: true, integer: !!s.isInt };
  for (const c of s.def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'greater_than' && typeof d.value === 'number') {
      f.min = d.value;
      f.minInclusive = !!d.inclusive;
    } else if (d.check === 'less_than' && typeof d.value === 'number') {
      f.max = d.value;
      f.maxInclusive = !!d.inclusive;
    }
  }
  return f;
}

function walk(s: z.ZodType, prefix: string, out: Map<string, NumericField>): void {
  const u = unwrap(s);
  if (u.def.type === 'number') {
    if (!EXCLUDED.has(prefix)) out.set(prefix, numberField(prefix, u));
    return;
  }
  if (u.def.type === 'object') {
    const shape = u.shape ?? u.def.shape ?? {};
    for (const [k, v] of Object.entries(shape)) walk(v, prefix ? `${prefix}.${k}` : k, out);
  }
}

function buildFields(): Map<string, NumericField> {
  const out = new Map<string, NumericField>();
  walk(RunConfigSchema as unknown as z.ZodType, '', out);
  const int = (path: string, [lo, hi]: readonly [number, number]): NumericField => ({
    path,
    min: lo,
    minInclusive: true,
    max: hi,
    maxInclusive: true,
    integer: true,
  });
  out.set(DEPTH_PATH, int(DEPTH_PATH, LIMITS.layers));
  out.set(WIDTH_PATH, int(WIDTH_PATH, LIMITS.units));
  return out;
}

export const NUMERIC_FIELDS: ReadonlyMap<string, NumericField> = buildFields();

export function numericField(path: string): NumericField | undefined {
  return NUMERIC_FIELDS.get(path);
}

function fmtBound(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? '∞' : '-∞';
}

/** "a number 0..1000", "an integer 1..64", "a number > 0 and <= 100". */
export function describeRange(f: NumericField): string {
  const kind = f.integer ? 'an integer' : 'a number';
  if (f.minInclusive && f.maxInclusive) return `${kind} ${fmtBound(f.min)}..${fmtBound(f.max)}`;
  const lo = `${f.minInclusive ? '>=' : '>'} ${fmtBound(f.min)}`;
  const hi = `${f.maxInclusive ? '<=' : '<'} ${fmtBound(f.max)}`;
  return `${kind} ${lo} and ${hi}`;
}

export function inRange(f: NumericField, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (f.integer && !Number.isInteger(v)) return false;
  if (f.minInclusive ? v < f.min : v <= f.min) return false;
  if (f.maxInclusive ? v > f.max : v >= f.max) return false;
  return true;
}

/** Returns a copy of `cfg` with the value at `path` set to `v` (no validation). */
export function setPath(cfg: RunConfig, path: string, v: number): RunConfig {
  const out = JSON.parse(JSON.stringify(cfg)) as RunConfig;
  if (path === DEPTH_PATH) {
    const h = cfg.model.hidden;
    out.model.hidden = Array.from({ length: v }, (_, i) => h[Math.min(i, h.length - 1)]);
    return out;
  }
  if (path === WIDTH_PATH) {
    out.model.hidden = cfg.model.hidden.map(() => v);
    return out;
  }
  const keys = path.split('.');
  let obj = out as unknown as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  obj[keys[keys.length - 1]] = v;
  return out;
}

/** The value at `path` in a (validated) run config. */
export function getPath(cfg: RunConfig, path: string): number {
  if (path === DEPTH_PATH) return cfg.model.hidden.length;
  if (path === WIDTH_PATH) return cfg.model.hidden[0];
  let obj: unknown = cfg;
  for (const k of path.split('.')) obj = (obj as Record<string, unknown>)[k];
  return obj as number;
}
