/**
 * The experiment slice: the experiment being edited (always valid; mirrored
 * in the URL by ./url.ts) and the preset it came from. The page starts with
 * the starting preset (presets.ts), not the schema's defaults. Edits that concern the
 * runs' workers are handed to the run controller (./controller.ts).
 */
import type { StateCreator } from 'zustand';
import { MAX_RUNS, parseRunConfig, type Experiment, type RunConfig } from '../../engine/config.ts';
import { latestSettings, type ConfigChange } from '../../engine/changes.ts';
import { rebuildNeeded, type FieldPath } from '../../engine/fields.ts';
import { findPreset, presetById, presetExperiment, startingExperiment } from '../presets.ts';
import type { State } from '../store.ts';
import type { RunController } from './controller.ts';
import { emptyRuntime } from './runtime.ts';

export interface ExperimentSlice {
  experiment: Experiment;
  /**
   * An edit of a run's settings (`cfg`: the settings the panel shows, after every
   * mid-run change). Before the run's first step it is the run's new start. Once
   * the run has trained, an edit that applies live goes to the worker, which
   * applies it at its next step and reports that step (`recordChanges`); an edit
   * that needs a new model is kept aside (`pendingRebuild`) until the user
   * restarts with it or adds it as a new run: a trained run is never wiped silently.
   */
  setRunConfig(i: number, cfg: RunConfig): void;
  /** Applies a partial edit, validated; returns an error message or null. */
  editRun(i: number, edit: (draft: RunConfig) => void): string | null;
  /** Live edits the run's worker applied from `step` on: recorded as the run's mid-run changes (so the link replays them). */
  recordChanges(i: number, step: number, changes: { path: string; value: unknown }[]): void;
  /** Edits that need a new model, by run, waiting for the user's choice. */
  pendingRebuild: Record<number, RunConfig>;
  /** Restart run i at step 0 with its pending settings. */
  restartWithPending(i: number): void;
  /** Add run i's pending settings as a new run (run i trains on as it was). */
  addPendingAsRun(i: number): void;
  discardPending(i: number): void;
  addRun(cfg?: RunConfig): void;
  duplicateRun(i: number): void;
  compareWithClipping(i: number): void;
  removeRun(i: number): void;
  loadExperiment(exp: Experiment): void;
  /** The preset last loaded (its note stays visible, marked edited once the experiment differs). */
  presetId: string | null;
  loadPreset(id: string): void;
  dismissPreset(): void;
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** Labels A, B, C, D for new runs. */
function nextLabel(exp: Experiment): string {
  const used = new Set(exp.runs.map((r) => r.label));
  for (const c of 'ABCDEFGH') if (!used.has(c)) return c;
  return `run ${exp.runs.length + 1}`;
}

/** A run's settings without mid-run changes (a new start). */
function withoutChanges(cfg: RunConfig): RunConfig {
  const { changes: _changes, ...rest } = cfg;
  return rest;
}

export const experimentSlice =
  (ctl: () => RunController): StateCreator<State, [], [], ExperimentSlice> =>
  (set, get) => {
    const dropPending = (i: number) => {
      if (!(i in get().pendingRebuild)) return;
      const p = { ...get().pendingRebuild };
      delete p[i];
      set({ pendingRebuild: p });
    };
    return {
    experiment: startingExperiment(),
    setRunConfig(i, cfg) {
      const prev = get().experiment.runs[i];
      const trained = (get().runtime[i]?.step ?? 0) > 0;
      const replace = (run: RunConfig) => {
        const runs = get().experiment.runs.slice();
        runs[i] = run;
        set({ experiment: { ...get().experiment, runs } });
      };
      if (!trained || !prev) {
        // Not started: the edit is the run's start (the settings shown, changes folded in).
        const start = withoutChanges(cfg);
        replace(start);
        dropPending(i);
        ctl().configChanged(i, prev ?? start, start);
        return;
      }
      const latest = latestSettings(prev);
      if (rebuildNeeded(latest, cfg)) {
        set({ pendingRebuild: { ...get().pendingRebuild, [i]: withoutChanges(cfg) } });
        return;
      }
      // Live: the label at once; the settings from the worker's next step on (recordChanges).
      if (cfg.label !== prev.label) replace({ ...prev, label: cfg.label });
      ctl().configChanged(i, latest, { ...cfg, changes: prev.changes });
    },
    recordChanges(i, step, changes) {
      const run = get().experiment.runs[i];
      if (!run || changes.length === 0) return;
      const added: ConfigChange[] = changes.map((c) => ({ step, path: c.path as FieldPath, value: c.value }));
      // In step order; a later value at the same step and path replaces the earlier one.
      const kept = (run.changes ?? []).filter((c) => !(c.step === step && added.some((a) => a.path === c.path)));
      const merged = [...kept, ...added].sort((a, b) => a.step - b.step);
      const r = parseRunConfig({ ...run, changes: merged }, ['runs', i]);
      if (!r.ok) return; // more changes than a link holds: the run trains on, the link keeps what it can
      const runs = get().experiment.runs.slice();
      runs[i] = r.value;
      set({ experiment: { ...get().experiment, runs } });
    },
    pendingRebuild: {},
    restartWithPending(i) {
      const next = get().pendingRebuild[i];
      const prev = get().experiment.runs[i];
      if (!next || !prev) return;
      dropPending(i);
      const runs = get().experiment.runs.slice();
      runs[i] = next;
      set({ experiment: { ...get().experiment, runs } });
      ctl().configChanged(i, prev, next); // a new model: the run goes back to step 0
    },
    addPendingAsRun(i) {
      const next = get().pendingRebuild[i];
      if (!next) return;
      dropPending(i);
      get().addRun({ ...next, label: '' });
    },
    discardPending(i) {
      dropPending(i);
    },
    editRun(i, edit) {
      // The settings the panel shows: a pending edit's, else the run's latest.
      const run = get().experiment.runs[i];
      const shown = get().pendingRebuild[i] ?? (run && latestSettings(run));
      if (!shown) return null;
      const draft = clone(shown);
      edit(draft);
      const r = parseRunConfig(draft, ['runs', i]);
      if (!r.ok) return r.errors.join('; ');
      get().setRunConfig(i, r.value);
      return null;
    },
    addRun(cfg) {
      const exp = get().experiment;
      if (exp.runs.length >= MAX_RUNS) return;
      const base = cfg ?? clone(exp.runs[exp.runs.length - 1]);
      const run = { ...base, label: cfg?.label && !exp.runs.some((r) => r.label === cfg.label) ? cfg.label : nextLabel(exp) };
      const runs = [...exp.runs, run];
      set({ experiment: { ...exp, runs }, runtime: [...get().runtime, emptyRuntime()] });
      ctl().spawn(runs.length - 1);
    },
    duplicateRun(i) {
      get().addRun(clone(get().experiment.runs[i]));
    },
    compareWithClipping(i) {
      const base = clone(get().experiment.runs[i]);
      base.stabilizers.clip = { ...base.stabilizers.clip, mode: 'global_norm', threshold: 1 };
      base.label = `${base.label} + clip`.slice(0, 40);
      get().addRun(base);
    },
    removeRun(i) {
      const exp = get().experiment;
      if (exp.runs.length <= 1) return;
      const runs = exp.runs.filter((_, j) => j !== i);
      set({ experiment: { ...exp, runs }, runtime: runs.map(() => emptyRuntime()), pendingRebuild: {} });
      ctl().respawnAll();
    },
    loadExperiment(exp) {
      set({ experiment: exp, runtime: exp.runs.map(() => emptyRuntime()), presetId: findPreset(exp)?.id ?? null, pendingRebuild: {} });
      ctl().respawnAll();
    },
    presetId: null,
    loadPreset(id) {
      const p = presetById(id);
      if (!p) return;
      const exp = presetExperiment(p);
      get().loadExperiment(exp);
      // The link's messages are about what the preset just replaced.
      get().clearBanner();
      // Several runs of a preset are meant to be compared side by side.
      set({ presetId: id, ...(exp.runs.length > 1 ? { layout: 'columns' as const } : {}) });
    },
    dismissPreset: () => set({ presetId: null }),
    };
  };
