/**
 * Mid-run changes: an edit that applies live (the field table's `apply: 'live'`
 * fields) is recorded in the run's config as `{ step, path, value }` — from
 * that step on, `path` holds `value`. A run's config holds the settings it
 * started with plus its changes, so that a share link or `gradscope run`
 * replays exactly what happened on screen.
 */
import { FIELDS, valueAt, type FieldPath } from './fields.ts';
import type { RunConfig } from './config.ts';

export interface ConfigChange {
  /** The step from which the new value applies (it is used by that step). */
  step: number;
  path: FieldPath;
  value: unknown;
}

/** At most this many changes a run (a link stays a link). */
export const MAX_CHANGES = 256;

/** Paths a change may set: every live field but the label (a name, not a setting). */
export const CHANGE_PATHS: readonly FieldPath[] = (Object.keys(FIELDS) as FieldPath[]).filter((p) => FIELDS[p].apply === 'live' && p !== 'label');

export function isChangePath(p: unknown): p is FieldPath {
  return typeof p === 'string' && (CHANGE_PATHS as readonly string[]).includes(p);
}

/**
 * `cfg` with `path` set to `value` (a copy: objects on the path are cloned).
 * Only the table's change paths are applied, so no key outside the config
 * schema (`__proto__`, `constructor`) is ever written.
 */
export function withValue(cfg: RunConfig, path: FieldPath, value: unknown): RunConfig {
  if (!isChangePath(path)) throw new Error(`not a field that can change mid-run: ${String(path)}`);
  const keys = path.split('.');
  const root: Record<string, unknown> = { ...cfg };
  let node = root;
  for (const k of keys.slice(0, -1)) {
    const child = { ...(node[k] as Record<string, unknown>) };
    node[k] = child;
    node = child;
  }
  node[keys[keys.length - 1]] = value;
  return root as unknown as RunConfig;
}

/** The changes of a run that apply at `step` (in order). */
export function changesAt(cfg: RunConfig, step: number): ConfigChange[] {
  return (cfg.changes ?? []).filter((c) => c.step === step);
}

/**
 * `cfg` with the `changes` due at `step` applied, or `cfg` itself when none is
 * due: what a trainer hands to its own updateConfig before that step.
 */
export function withChangesAt(cfg: RunConfig, changes: readonly ConfigChange[], step: number): RunConfig {
  let out = cfg;
  for (const c of changes) if (c.step === step) out = withValue(out, c.path, c.value);
  return out;
}

/** The settings in force at `step`: the config with every change up to that step applied. */
export function settingsAt(cfg: RunConfig, step: number): RunConfig {
  let out = cfg;
  for (const c of cfg.changes ?? []) if (c.step <= step) out = withValue(out, c.path, c.value);
  return out;
}

/** The settings after every change (what the run ends with, and what its panel shows). */
export function latestSettings(cfg: RunConfig): RunConfig {
  return settingsAt(cfg, Infinity);
}

/** One change as a label for a chart marker: "step 240: optimizer sgd → adam". */
export function describeChange(c: ConfigChange, before: RunConfig): string {
  const f = FIELDS[c.path];
  const from = valueAt(before, c.path);
  return `step ${c.step}: ${f.label} ${String(from)} → ${String(c.value)}`;
}
