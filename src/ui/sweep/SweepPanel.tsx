/**
 * The sweep panel: choose 1–2 parameters with their ranges, the search method,
 * budget and steps per trial; run the sweep in a pool of workers and watch the
 * stability map fill in; click a trial to open it as a run. Presets, a share
 * link (`sweep=` in the URL) and CSV/JSON exports.
 */
import { downloadText } from '../download.ts';
import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  METHODS,
  OBJECTIVES,
  parseSweep,
  describeCompare,
  type SweepConfig,
  type SweepInput,
  type SweepParam,
} from '../../engine/sweep/schema.ts';
import { METHOD_HELP, OBJECTIVE_HELP, PARAM_CHOICES, SWEEP_PRESETS } from '../../engine/sweep/meta.ts';
import { summarize } from '../../engine/sweep/runner.ts';
import { better, type TrialResult } from '../../engine/sweep/result.ts';
import { summaryToJson, trialToJson, trialUrl, trialsToCsv } from '../../engine/sweep/format.ts';
import { useStore } from '../store.ts';
import { currentShareUrl } from '../state/url.ts';
import { useSweepStore } from './sweepStore.ts';
import { MapLegend, StabilityMap, colorRange, describeTrial, paramLabel } from './StabilityMap.tsx';
import './sweep.css';

type DraftParam = SweepInput['params'][number];

const CLIP_COMPARE = { 'stabilizers.clip': { mode: 'global_norm' } };

function pageBase(): string {
  return `${location.origin}${location.pathname}`;
}

/** A number input that keeps what is typed until it parses. */
function NumField({ label, value, onChange, testId, step, min, title }: { label: string; value: number | undefined; onChange(v: number): void; testId?: string; step?: number | 'any'; min?: number; title?: string }) {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    setText(value === undefined ? '' : String(value));
  }
  return (
    <label className="sweep-field" title={title}>
      <span>{label}</span>
      <input
        type="number"
        value={text}
        step={step ?? 'any'}
        min={min}
        data-testid={testId}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(v)) onChange(v);
        }}
      />
    </label>
  );
}

function ParamEditor({ k, p, method, onChange, onRemove }: { k: number; p: DraftParam; method: string; onChange(p: DraftParam): void; onRemove?: () => void }) {
  const choices = PARAM_CHOICES.some((c) => c.path === p.path) ? PARAM_CHOICES : [...PARAM_CHOICES, { path: p.path ?? '', label: p.path ?? '', help: '', scale: 'linear' as const, min: 0, max: 1 }];
  const choice = choices.find((c) => c.path === p.path);
  const list = p.scale === 'list';
  return (
    <fieldset className="sweep-param" data-testid={`sweep-param-${k}`}>
      <legend>{k === 0 ? 'Parameter 1 (x axis)' : 'Parameter 2 (y axis)'}</legend>
      <div className="sweep-row">
        <label className="sweep-field wide" title={choice?.help}>
          <span>Field</span>
          <select
            value={p.path}
            data-testid={`sweep-path-${k}`}
            onChange={(e) => {
              const c = PARAM_CHOICES.find((x) => x.path === e.target.value)!;
              onChange({ path: c.path, scale: c.scale, min: c.min, max: c.max, ...(method === 'grid' ? { steps: p.steps ?? 8 } : {}) });
            }}
          >
            {choices.map((c) => (
              <option key={c.path} value={c.path}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="sweep-field">
          <span>Scale</span>
          <select
            value={p.scale ?? 'linear'}
            data-testid={`sweep-scale-${k}`}
            onChange={(e) => {
              const scale = e.target.value as 'linear' | 'log' | 'list';
              if (scale === 'list') onChange({ path: p.path, scale, values: [p.min ?? 1, p.max ?? 2] });
              else onChange({ path: p.path, scale, min: list ? Math.min(...(p.values ?? [1])) : p.min, max: list ? Math.max(...(p.values ?? [2])) : p.max, ...(method === 'grid' ? { steps: p.steps ?? 8 } : {}) });
            }}
          >
            <option value="linear">linear</option>
            <option value="log">log</option>
            <option value="list">list</option>
          </select>
        </label>
        {onRemove ? (
          <button type="button" className="icon" onClick={onRemove} aria-label="Remove the second parameter" title="Remove this parameter">
            ×
          </button>
        ) : null}
      </div>
      {list ? (
        <label className="sweep-field wide">
          <span>Values (comma-separated)</span>
          <input
            type="text"
            defaultValue={(p.values ?? []).join(', ')}
            data-testid={`sweep-values-${k}`}
            onBlur={(e) => {
              const values = e.target.value.split(/[,\s]+/).filter(Boolean).map(Number);
              onChange({ ...p, values });
            }}
          />
        </label>
      ) : (
        <div className="sweep-row">
          <NumField label="From" value={p.min} testId={`sweep-min-${k}`} onChange={(v) => onChange({ ...p, min: v })} />
          <NumField label="To" value={p.max} testId={`sweep-max-${k}`} onChange={(v) => onChange({ ...p, max: v })} />
          {method === 'grid' ? <NumField label="Points" value={p.steps ?? 8} step={1} min={2} testId={`sweep-steps-${k}`} onChange={(v) => onChange({ ...p, steps: v })} /> : null}
        </div>
      )}
    </fieldset>
  );
}

function SweepForm() {
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

function fmtMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function Controls() {
  const { status, start, cancel, results, total, elapsedMs, backend, message, config, draftErrors, nParams } = useSweepStore(
    useShallow((s) => ({
      status: s.status,
      start: s.start,
      cancel: s.cancel,
      results: s.results,
      total: s.total,
      elapsedMs: s.elapsedMs,
      backend: s.backend,
      message: s.message,
      config: s.config,
      draftErrors: s.draftErrors,
      nParams: s.draft.params.length,
    })),
  );
  const [copied, setCopied] = useState<string | null>(null);
  const running = status === 'running';
  const diverged = results.filter((r) => r.diverged).length;
  const share = async () => {
    try {
      await navigator.clipboard.writeText(currentShareUrl());
      setCopied('Link copied');
    } catch {
      setCopied('Copy the link from the address bar');
    }
    setTimeout(() => setCopied(null), 2500);
  };
  const sorted = () => [...results].sort((a, b) => a.index - b.index);
  const exportCsv = () => config && downloadText('gradscope-sweep.csv', trialsToCsv(sorted(), config.params.map((p) => p.path), pageBase()), 'text/csv');
  const exportJson = () => {
    if (!config) return;
    const summary = summarize(config, results, total, elapsedMs, status === 'cancelled');
    const lines = sorted().map((r) => trialToJson(r, { url: trialUrl(r, pageBase()) }));
    lines.push(summaryToJson(summary, { bestUrl: summary.best ? trialUrl(summary.best, pageBase()) : null }));
    downloadText('gradscope-sweep.jsonl', lines.join('\n') + '\n', 'application/x-ndjson');
  };
  return (
    <div className="sweep-controls">
      <div className="sweep-row">
        {running ? (
          <button type="button" className="primary" data-testid="sweep-cancel" onClick={cancel}>
            ■ Cancel
          </button>
        ) : (
          <button type="button" className="primary" data-testid="sweep-start" onClick={start} disabled={draftErrors.length > 0 || nParams > 2}>
            ▶ Run sweep
          </button>
        )}
        <button type="button" data-testid="sweep-share" onClick={share} title="Copy a link that holds this sweep (and the current experiment)">
          🔗 Share sweep
        </button>
        <button type="button" data-testid="sweep-export-csv" onClick={exportCsv} disabled={!results.length} title="One row per trial, with its share URL">
          ⬇ CSV
        </button>
        <button type="button" data-testid="sweep-export-json" onClick={exportJson} disabled={!results.length} title="One JSON line per trial and a summary line (the CLI's format)">
          ⬇ JSON
        </button>
        <span role="status" aria-live="polite" className="muted small">
          {copied}
        </span>
      </div>
      <div className="sweep-progress-row">
        <progress data-testid="sweep-progress" value={results.length} max={Math.max(total, 1)} />
        <span className="small" data-testid="sweep-status" data-status={status}>
          {status === 'idle'
            ? 'not run yet'
            : `${status === 'running' ? 'running' : status}: ${results.length}/${total} trials · ${diverged} diverged · `}
          {status !== 'idle' ? (
            <span data-testid="sweep-elapsed" data-ms={Math.round(elapsedMs)}>
              {fmtMs(elapsedMs)}
            </span>
          ) : null}
          {backend ? <span className="muted"> · {backend}</span> : null}
        </span>
      </div>
      {message ? <div className="field-error">{message}</div> : null}
    </div>
  );
}

function Results() {
  const { config, results, running, openTrial } = useSweepStore(useShallow((s) => ({ config: s.config, results: s.results, running: s.running, openTrial: s.openTrial })));
  const runningSpecs = useMemo(() => Object.values(running).map((r) => r.spec), [running]);
  if (!config) return <p className="muted small">Run a sweep to see where training stays stable. Each finished trial appears on the map; click it to open it as a run.</p>;
  const range = colorRange(config, results);
  const nVariants = config.compare ? 2 : 1;
  const change = config.compare ? describeCompare(config.compare) : '';
  const labels = nVariants === 2 ? [`without ${change}`, `with ${change}`] : [config.base.label];
  const perVariant = Array.from({ length: nVariants }, (_, v) => {
    const rs = results.filter((r) => r.variant === v);
    let best: TrialResult | null = null;
    for (const r of rs) if (better(r, best)) best = r;
    return { rs, best, diverged: rs.filter((r) => r.diverged).length };
  });
  const axes = config.params.map((p: SweepParam) => paramLabel(p.path)).join(' × ');
  return (
    <div className="sweep-results">
      <div className={`sweep-maps n${nVariants}`}>
        {perVariant.map(({ rs, best, diverged }, v) => (
          <figure key={v} className="chart sweep-figure" data-testid={`sweep-variant-${v}`}>
            <figcaption>
              <span>
                {axes}
                {nVariants === 2 ? ` — ${labels[v]}` : ''}: <span data-testid="sweep-diverged-count">{diverged}</span> of {rs.length} diverged
              </span>
            </figcaption>
            <StabilityMap cfg={config} results={results} running={runningSpecs} variant={v} range={range} title={`Stability map ${labels[v]}`} onOpen={openTrial} />
            {best ? (
              <div className="small" data-testid="sweep-best">
                Best: {describeTrial(config, best)}{' '}
                <button type="button" className="link" onClick={() => openTrial(best!)}>
                  open
                </button>
              </div>
            ) : null}
          </figure>
        ))}
      </div>
      <MapLegend cfg={config} range={range} />
    </div>
  );
}

export function SweepPanel() {
  const { open, setOpen } = useSweepStore(useShallow((s) => ({ open: s.open, setOpen: s.setOpen })));
  return (
    <section className="sweep-panel" data-testid="sweep-panel" aria-label="Hyper-parameter sweep and stability map">
      <h2>
        <button type="button" className="sweep-toggle" data-testid="sweep-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'} Sweep &amp; stability map
        </button>{' '}
        <span className="muted small">train many short runs over a grid of settings and see where training explodes</span>
      </h2>
      {open ? (
        <div className="sweep-body">
          <div className="sweep-left">
            <SweepForm />
            <Controls />
          </div>
          <Results />
        </div>
      ) : null}
    </section>
  );
}
