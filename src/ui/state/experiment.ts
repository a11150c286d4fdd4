/**
 * The experiment slice: the experiment being edited (always valid; mirrored
 * in the URL by ./url.ts) and the preset it came from. The page starts with
 * the starting preset (presets.ts), not the schema's defaults. Edits that concern the
 * runs' workers are handed to the run controller (./controller.ts).
 */
import type { StateCreator } from 'zustand';
import { MAX_RUNS, parseRunConfig, type Experiment, type RunConfig } from '../../engine/config.ts';
import { findPreset, presetById, presetExperiment, startingExperiment } from '../presets.ts';
import type { State } from '../store.ts';
import type { RunController } from './controller.ts';
import { emptyRuntime } from './runtime.ts';

export interface ExperimentSlice {
  experiment: Experiment;
  /** Replaces a run's config; resets the run if the change needs a rebuild. */
  setRunConfig(i: number, cfg: RunConfig): void;
  /** Applies a partial edit, validated; returns an error message or null. */
  editRun(i: number, edit: (draft: RunConfig) => void): string | null;
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

export const experimentSlice =
  (ctl: () => RunController): StateCreator<State, [], [], ExperimentSlice> =>
  (set, get) => ({
    experiment: startingExperiment(),
    setRunConfig(i, cfg) {
      const prev = get().experiment.runs[i];
      const runs = get().experiment.runs.slice();
      runs[i] = cfg;
      set({ experiment: { ...get().experiment, runs } });
      ctl().configChanged(i, prev, cfg);
    },
    editRun(i, edit) {
      const draft = clone(get().experiment.runs[i]);
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
      set({ experiment: { ...exp, runs }, runtime: runs.map(() => emptyRuntime()) });
      ctl().respawnAll();
    },
    loadExperiment(exp) {
      set({ experiment: exp, runtime: exp.runs.map(() => emptyRuntime()), presetId: findPreset(exp)?.id ?? null });
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
  });
