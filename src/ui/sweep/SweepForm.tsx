/**
 * The sweep's settings: presets, the 1–2 swept parameters, method, budget,
 * steps per trial, objective, seed, the clipping comparison, the base run and
 * the number of workers. Every edit replaces the validated draft in the sweep
 * store.
 */
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { METHODS, OBJECTIVES, parseSweep, type SweepConfig, type SweepInput } from '../../engine/sweep/schema.ts';
import { METHOD_HELP, OBJECTIVE_HELP, PARAM_CHOICES, SWEEP_PRESETS, describeCompare } from '../../engine/sweep/meta.ts';
import { useStore } from '../store.ts';
import { useSweepStore } from './sweepStore.ts';
import { NumField, ParamEditor, type DraftParam } from './SweepFields.tsx';

const CLIP_COMPARE = { 'stabilizers.clip': { mode: 'global_norm' } };

export function SweepForm() {
  const { draft, draftErrors, setDraft, applyPreset, setBaseFromRun, workers, setWorkers, status } = useSweepStore(
    useShallow((s) => ({
      draft: s.draft,
      draftErrors: s.draftErrors,
      setDraft: s.setDraft,
      applyPreset: s.applyPreset,
      setBaseFromRun: s.setBaseFromRun,
      workers: s.workers,
      setWorkers: s.setWorkers,
      status: s.status,
    })),
  );
  const runLabels = useStore(useShallow((s) => s.experiment.runs.map((r) => r.label)));
  const method = draft.method ?? 'grid';
  const params = draft.params;
  const edit = (patch: Partial<SweepInput>) => setDraft({ ...draft, ...patch });
  const setParam = (k: number, p: DraftParam) => edit({ params: params.map((q, i) => (i === k ? p : q)) });
  const parsed = useMemo(() => parseSweep(draft), [draft]);
  const base = parsed.ok ? parsed.value.base : null;
  const running = status === 'running';
  return (
    <form className="sweep-form" onSubmit={(e) => e.preventDefault()} aria-label="Sweep settings">
      <div className="sweep-presets" role="group" aria-label="Sweep presets">
        {SWEEP_PRESETS.map((p) => (
          <button key={p.id} type="button" data-testid={`sweep-preset-${p.id}`} onClick={() => applyPreset(p.id)} disabled={running}>
            {p.title}
          </button>
        ))}
      </div>
      {params.map((p, k) => (
        <ParamEditor
          key={`${k}:${p.path}:${p.scale}`}
          k={k}
          p={p}
          method={method}
          onChange={(q) => setParam(k, q)}
          onRemove={k > 0 ? () => edit({ params: params.filter((_, i) => i !== k) }) : undefined}
        />
      ))}
      {params.length < 2 ? (
        <button
          type="button"
          data-testid="sweep-add-param"
          onClick={() => {
            const c = PARAM_CHOICES.find((x) => !params.some((p) => p.path === x.path))!;
            edit({ params: [...params, { path: c.path, scale: c.scale, min: c.min, max: c.max, ...(method === 'grid' ? { steps: 8 } : {}) }] });
          }}
        >
          + Second parameter
        </button>
      ) : null}
      <div className="sweep-row">
        <label className="sweep-field" title={METHOD_HELP[method]}>
          <span>Method</span>
          <select
            value={method}
            data-testid="sweep-method"
            onChange={(e) => {
              const m = e.target.value as SweepConfig['method'];
              const ps = params.map((p) => (m === 'grid' ? { ...p, ...(p.scale !== 'list' ? { steps: p.steps ?? 8 } : {}) } : (({ steps: _s, ...rest }) => rest)(p)));
              edit({ method: m, params: ps, ...(m === 'bayes' ? { bayes: { ...draft.bayes, batch: draft.bayes?.batch ?? workers } } : {}) });
            }}
          >
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {m === 'bayes' ? 'Bayesian (GP + EI)' : m}
              </option>
            ))}
          </select>
        </label>
        {method !== 'grid' ? <NumField label="Budget (trials)" value={draft.budget ?? 20} step={1} min={1} testId="sweep-budget" onChange={(v) => edit({ budget: v })} /> : null}
        {method === 'bayes' ? (
          <NumField
            label="Per round"
            title="Points the Bayesian search chooses at a time (1: every choice sees every earlier result; more keeps more workers busy)"
            value={draft.bayes?.batch ?? 1}
            step={1}
            min={1}
            testId="sweep-batch"
            onChange={(v) => edit({ bayes: { ...draft.bayes, batch: v } })}
          />
        ) : null}
      </div>
      <div className="sweep-row">
        <NumField label="Steps per trial" value={draft.stepsPerTrial ?? 200} step={1} min={1} testId="sweep-steps-per-trial" onChange={(v) => edit({ stepsPerTrial: v })} />
        <label className="sweep-field" title={OBJECTIVE_HELP[draft.objective ?? 'final_loss']}>
          <span>Objective</span>
          <select value={draft.objective ?? 'final_loss'} data-testid="sweep-objective" onChange={(e) => edit({ objective: e.target.value as SweepConfig['objective'] })}>
            {OBJECTIVES.map((o) => (
              <option key={o} value={o}>
                {o === 'final_loss' ? 'final loss' : 'test accuracy'}
              </option>
            ))}
          </select>
        </label>
        <NumField label="Seed" value={draft.seed ?? 1} step={1} min={0} testId="sweep-seed" onChange={(v) => edit({ seed: v })} />
      </div>
      <label className="sweep-check" title="Train every point twice: as configured and with global-norm clipping (τ from the base run), and show the two maps side by side">
        <input
          type="checkbox"
          checked={!!draft.compare}
          data-testid="sweep-compare"
          onChange={(e) => {
            const { compare: _c, ...rest } = draft;
            setDraft(e.target.checked ? { ...rest, compare: CLIP_COMPARE } : rest);
          }}
        />{' '}
        Side by side {draft.compare ? `with ${describeCompare(draft.compare)}` : 'with and without global-norm clipping'}
      </label>
      <div className="sweep-base small">
        Base run: <strong>{base ? describeBase(base) : '…'}</strong>{' '}
        {runLabels.map((l, i) => (
          <button key={i} type="button" className="link" onClick={() => setBaseFromRun(i)} disabled={running} title={`Start every trial from run ${l}'s settings`}>
            use run {l}
          </button>
        ))}
      </div>
      <div className="sweep-row">
        <NumField label="Workers" value={workers} step={1} min={1} testId="sweep-workers" title="Trials trained at once, each in its own Web Worker" onChange={setWorkers} />
      </div>
      {draftErrors.length ? (
        <ul className="field-error" data-testid="sweep-errors">
          {draftErrors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
      {params.length > 2 ? <p className="field-error">The page maps 1–2 parameters; run sweeps over 3 with gradscope sweep.</p> : null}
    </form>
  );
}

function describeBase(b: SweepConfig['base']): string {
  const m = b.model;
  const layers = m.hidden.every((h) => h === m.hidden[0]) ? `${m.hidden.length}×${m.hidden[0]}` : m.hidden.join('-');
  const clip = b.stabilizers.clip.mode === 'none' ? '' : `, clip ${b.stabilizers.clip.mode}`;
  return `${m.arch.toUpperCase()} ${layers} ${m.activation}, ${m.init} ×${m.initGain}, ${b.optimizer.name} lr ${b.optimizer.lr}${clip}, ${b.data.name} (seed ${b.seed})`;
}
