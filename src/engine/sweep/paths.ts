/**
 * Numeric paths into a run config that a sweep may vary: the number fields of the
 * field table (fields.ts, where their ranges are declared), plus two views of
 * `model.hidden`:
 *   model.hidden.length  the depth (number of hidden layers; widths repeat the last)
 *   model.hidden.width   the width of every hidden layer
 * `train.steps` is not sweepable: `stepsPerTrial` sets it.
 */
import type { RunConfig } from '../config.ts';
import { HIDDEN_VIEWS, SWEEPABLE_FIELDS, describeRange as describeFieldRange } from '../fields.ts';

export interface NumericField {
  path: string;
  /** Smallest allowed value and whether it is allowed itself (false: strictly greater). */
  min: number;
  minInclusive: boolean;
  max: number;
  maxInclusive: boolean;
  integer: boolean;
}

export const DEPTH_PATH = HIDDEN_VIEWS.depth.path;
export const WIDTH_PATH = HIDDEN_VIEWS.width.path;

export const NUMERIC_FIELDS: ReadonlyMap<string, NumericField> = new Map(
  SWEEPABLE_FIELDS.map((f) => [f.path, { path: f.path, min: f.min, minInclusive: f.minInclusive, max: f.max, maxInclusive: true, integer: f.integer }]),
);

export function numericField(path: string): NumericField | undefined {
  return NUMERIC_FIELDS.get(path);
}

/** "a number 0..1000", "an integer 1..64", "a number > 0 and <= 100". */
export function describeRange(f: NumericField): string {
  return describeFieldRange(f);
}

export function inRange(f: NumericField, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (f.integer && !Number.isInteger(v)) return false;
  if (f.minInclusive ? v < f.min : v <= f.min) return false;
  if (f.maxInclusive ? v > f.max : v >= f.max) return false;
  return true;
}

/** Path segments that name an object's machinery, never a config field. */
export const FORBIDDEN_SEGMENTS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * Why `path` cannot be applied to a config, or null when it can: a segment that
 * names an object's machinery (`__proto__`, `constructor`, `prototype`) would
 * write onto Object.prototype or a function instead of into the config.
 */
export function checkPath(path: string): string | null {
  const bad = path.split('.').find((k) => FORBIDDEN_SEGMENTS.includes(k));
  return bad === undefined ? null : `not a run-config path ("${bad}" is not a field name; a path is made of field names, such as stabilizers.clip or optimizer.lr)`;
}

/** The keys of a sweepable path; throws for any other (a path is applied only once validated). */
function keysOf(path: string): string[] {
  if (!NUMERIC_FIELDS.has(path) || checkPath(path)) throw new Error(`not a sweepable path: ${JSON.stringify(path)}`);
  return path.split('.');
}

/** Returns a copy of `cfg` with the value at `path` (a sweepable path) set to `v` (no range check). */
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
  const keys = keysOf(path);
  let obj = out as unknown as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  obj[keys[keys.length - 1]] = v;
  return out;
}

/** The value at a sweepable `path` in a (validated) run config. */
export function getPath(cfg: RunConfig, path: string): number {
  if (path === DEPTH_PATH) return cfg.model.hidden.length;
  if (path === WIDTH_PATH) return cfg.model.hidden[0];
  let obj: unknown = cfg;
  for (const k of keysOf(path)) obj = (obj as Record<string, unknown>)[k];
  return obj as number;
}
