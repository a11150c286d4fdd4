/**
 * One run's settings panel: its label and actions, and its sections (data,
 * model, optimizer, stabilizers, training), every control bound to the run's
 * config through the store. The controls themselves: FieldInputs.tsx.
 */
import { useMemo, useState, type ReactNode } from 'react';
import type { RunConfig } from '../engine/config.ts';
import { MAX_RUNS } from '../engine/config.ts';
import { FIELDS, HIDDEN_VIEWS, fieldAt, optimizerUses } from '../engine/fields.ts';
import { latestSettings } from '../engine/changes.ts';
import { useShallow } from 'zustand/react/shallow';
import { runVerdict, useStore } from './store.ts';
import { estimateRun, formatBytes, formatFlops } from '../engine/estimate.ts';
import { runColor } from './palette.ts';
import { DataPreview } from './DataPreview.tsx';
import { CsvInput } from './CsvInput.tsx';
import { IMAGE_DATASETS } from '../engine/meta.ts';
import { Check, Field, NumberBox, NumberInput, Select, SliderInput } from './FieldInputs.tsx';
import { Icon } from './Icon.tsx';
import { useMediaQuery } from './useMediaQuery.ts';

type Edit = (d: RunConfig) => void;

const HIDDEN = FIELDS['model.hidden'];

/** Why Duplicate and Compare are off (the same words as the page's note). */
const RUNS_FULL = `${MAX_RUNS} runs is the most the page trains side by side: remove one to add another.`;

/**
 * A validation message in the panel's words: the field's label instead of its
 * path in the experiment ("Learning rate: must be a number 0..1000, got -0.1",
 * not "runs[0].optimizer.lr: …").
 */
export function plainMessage(msg: string): string {
  return msg
    .split('; ')
    .map((part) => {
      const m = /^runs\[\d+\]\.([\w.]+)(?:\[(\d+)\])?: ([\s\S]*)$/.exec(part);
      if (!m) return part;
      const [, path, index, rest] = m;
      if (path === 'model.hidden' && index !== undefined) return `Units of hidden layer ${Number(index) + 1}: ${rest}`;
      const f = fieldAt(path);
      return `${f ? f.label : path}: ${rest}`;
    })
    .join('; ');
}

/**
 * Below 900 CSS px (a phone, a tablet, a 1280-px projector at 150% zoom) the
 * settings sit under the charts and start folded, so that the page scrolls
 * from the charts straight to the section one wants.
 */
const NARROW = '(max-width: 900px)';

function Section({ title, children, open = true }: { title: string; children: ReactNode; open?: boolean }) {
  const narrow = useMediaQuery(NARROW);
  return (
    <details className="section" open={open && !narrow}>
      <summary>{title}</summary>
      <div className="section-body">{children}</div>
    </details>
  );
}

/** The run's estimated memory and work per step; a warning when a laptop tab may freeze. */
function ResourceNote({ i, cfg, testId }: { i: number; cfg: RunConfig; testId: string }) {
  const exp = useStore((s) => s.experiment);
  const v = useMemo(() => runVerdict(i, exp), [i, exp]);
  const est = useMemo(() => estimateRun(cfg), [cfg]);
  return (
    <p className={`resource-note ${v.level}`} data-testid={testId} data-level={v.level} role={v.level === 'ok' ? undefined : 'status'}>
      {v.level === 'ok' ? (
        `≈ ${formatBytes(est.peak)} of memory at a step's peak, ${formatFlops(est.flopsPerStep)} per step`
      ) : (
        <>
          <Icon name="warning" /> {v.message}
        </>
      )}
    </p>
  );
}

/** An edit that needs a new model for a run that has trained: restart with it, or add it as a run. */
function PendingRebuild({ i }: { i: number }) {
  const { pending, restart, add, discard, full } = useStore(
    useShallow((s) => ({
      pending: s.pendingRebuild[i],
      restart: s.restartWithPending,
      add: s.addPendingAsRun,
      discard: s.discardPending,
      full: s.experiment.runs.length >= MAX_RUNS,
    })),
  );
  if (!pending) return null;
  return (
    <div className="banner pending" role="status" data-testid={`run${i}-pending`}>
      This edit needs a new model, so it is not applied to the run on screen.{' '}
      <button type="button" data-testid={`run${i}-restart-pending`} onClick={() => restart(i)}>
        Restart with these settings
      </button>{' '}
      <button type="button" data-testid={`run${i}-add-pending`} disabled={full} title={full ? RUNS_FULL : undefined} onClick={() => add(i)}>
        Add as a new run
      </button>{' '}
      <button type="button" onClick={() => discard(i)}>
        Discard
      </button>
    </div>
  );
}

export function RunPanel({ i }: { i: number }) {
  // The settings shown: an edit waiting for a new model, else the run's latest (mid-run changes applied).
  const stored = useStore((s) => s.experiment.runs[i]);
  const pending = useStore((s) => s.pendingRebuild[i]);
  const cfg = useMemo(() => pending ?? (stored && latestSettings(stored)), [pending, stored]);
  const nRuns = useStore((s) => s.experiment.runs.length);
  const paramCount = useStore((s) => s.runtime[i]?.paramCount);
  const editRun = useStore((s) => s.editRun);
  const duplicateRun = useStore((s) => s.duplicateRun);
  const compareWithClipping = useStore((s) => s.compareWithClipping);
  const removeRun = useStore((s) => s.removeRun);
  const presentation = useStore((s) => s.presentation);
  const [error, setError] = useState<string | null>(null);
  if (!cfg) return null;
  /** An edit from a control without a message of its own: a refusal shows in the panel's message line. */
  const edit = (f: Edit): string | null => {
    const msg = editRun(i, f);
    setError(msg ? plainMessage(msg) : null);
    return msg;
  };
  /** An edit from a number box: a refusal shows under the box (once), in plain words. */
  const editNumber = (f: Edit): string | null => {
    const msg = editRun(i, f);
    if (!msg) setError(null);
    return msg ? plainMessage(msg) : null;
  };
  const full = nRuns >= MAX_RUNS;
  const { model, optimizer: opt, stabilizers: stab, data, train } = cfg;
  const depth = model.hidden.length;
  const width = model.hidden[0] ?? 16;
  const maxUnits = model.arch === 'cnn' ? HIDDEN.cnnItemMax : HIDDEN.item.max;
  const tid = (name: string) => `run${i}-${name}`;
  return (
    <section className="run-panel" aria-label={`Run ${cfg.label}`} style={{ borderTopColor: runColor(i, presentation) }}>
      <div className="run-panel-head">
        <input
          className="run-label"
          aria-label={FIELDS.label.label}
          title={`${FIELDS.label.label} (click to edit): ${FIELDS.label.help}`}
          value={cfg.label}
          maxLength={FIELDS.label.maxLength}
          data-testid={tid('label')}
          onChange={(e) => edit((d) => (d.label = e.target.value))}
        />
        {nRuns > 1 ? (
          <button type="button" className="icon remove-run" onClick={() => removeRun(i)} aria-label={`Remove run ${cfg.label}`} title={`Remove run ${cfg.label}`}>
            ×
          </button>
        ) : null}
      </div>
      <PendingRebuild i={i} />
      <div className="run-actions" title={full ? RUNS_FULL : undefined}>
        <button type="button" onClick={() => duplicateRun(i)} disabled={full} data-testid={tid('duplicate')} title={full ? RUNS_FULL : 'Copy this run so that one setting can differ'}>
          Duplicate
        </button>
        <button type="button" onClick={() => compareWithClipping(i)} disabled={full} data-testid={tid('compare-clip')} title={full ? RUNS_FULL : 'Add the same run with global-norm clipping at 1'}>
          Compare with clipping
        </button>
        {full ? (
          <small className="muted" data-testid={tid('full')}>
            {MAX_RUNS} runs at most
          </small>
        ) : null}
      </div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}

      <Section title="Data">
        <Select field={FIELDS['data.name']} value={data.name} testId={tid('dataset')}
          onChange={(v) => edit((d) => {
            d.data.name = v;
            if (!IMAGE_DATASETS.includes(v) && d.model.arch === 'cnn') d.model.arch = 'mlp';
          })} />
        {data.name === 'csv' ? <CsvInput cfg={cfg} edit={edit} testId={tid('csv')} /> : null}
        {data.name !== 'csv' ? <NumberInput field={FIELDS['data.samples']} value={data.samples} onChange={(v) => editNumber((d) => (d.data.samples = v))} /> : null}
        {data.name !== 'csv' && data.name !== 'digits' ? <NumberInput field={FIELDS['data.noise']} value={data.noise} onChange={(v) => editNumber((d) => (d.data.noise = v))} /> : null}
        <Select field={FIELDS['data.standardize']} value={data.standardize} testId={tid('standardize')} onChange={(v) => edit((d) => (d.data.standardize = v))} />
        <NumberInput field={FIELDS['data.testFraction']} value={data.testFraction} onChange={(v) => editNumber((d) => (d.data.testFraction = v))} />
        <DataPreview cfg={cfg} testId={tid('data-preview')} />
        <div className="row">
          <NumberInput field={FIELDS.seed} value={cfg.seed} testId={tid('seed')} onChange={(v) => editNumber((d) => (d.seed = v))} />
          <button type="button" className="small" onClick={() => edit((d) => (d.seed = Math.floor(Math.random() * 2 ** 31)))} title="New seed: new data, initial weights and batch order">
            Regenerate
          </button>
        </div>
      </Section>

      <Section title={`Model${paramCount ? ` · ${paramCount.toLocaleString('en')} parameters` : ''}`}>
        <ResourceNote i={i} cfg={cfg} testId={tid('resources')} />
        <Select field={FIELDS['model.arch']} value={model.arch} testId={tid('arch')}
          onChange={(v) => edit((d) => {
            d.model.arch = v;
            if (v === 'cnn') {
              if (!IMAGE_DATASETS.includes(d.data.name)) d.data.name = 'shapes';
              d.model.hidden = d.model.hidden.map((h) => Math.min(h, HIDDEN.cnnItemMax));
            }
          })} />
        <Field label={`Depth: ${depth} hidden layer${depth === 1 ? '' : 's'}`} help={HIDDEN.length.help}>
          {(id) => (
            <input id={id} type="range" min={HIDDEN.length.min} max={HIDDEN.length.max} value={depth} data-testid={tid('depth')}
              onChange={(e) => edit((d) => {
                const n = Number(e.target.value);
                const last = d.model.hidden[d.model.hidden.length - 1] ?? width;
                d.model.hidden = Array.from({ length: n }, (_, k) => d.model.hidden[k] ?? last);
              })} />
          )}
        </Field>
        <div className="layers-editor" aria-label={HIDDEN.label}>
          {model.hidden.map((h, k) => (
            <span key={k} className="layer-chip">
              <input type="number" aria-label={`Units of hidden layer ${k + 1}`} min={HIDDEN.item.min} max={maxUnits} value={h} data-testid={tid(`hidden-${k}`)}
                onChange={(e) => {
                  const v = Number(e.target.value);
                  if (Number.isFinite(v)) edit((d) => (d.model.hidden[k] = v));
                }} />
              {model.hidden.length > 1 ? (
                <button type="button" className="icon" aria-label={`Remove hidden layer ${k + 1}`} onClick={() => edit((d) => d.model.hidden.splice(k, 1))}>
                  −
                </button>
              ) : null}
            </span>
          ))}
          <button type="button" className="icon" aria-label="Add a hidden layer" disabled={depth >= HIDDEN.length.max}
            onClick={() => edit((d) => d.model.hidden.push(d.model.hidden[d.model.hidden.length - 1] ?? 16))}>
            +
          </button>
        </div>
        <Field label={`All layers: ${HIDDEN_VIEWS.width.label.toLowerCase()}`} help="Sets every hidden layer to the same width.">
          {(id) => (
            <NumberBox
              id={id}
              field={{ ...HIDDEN_VIEWS.width, max: maxUnits }}
              value={model.hidden.every((h) => h === width) ? width : null}
              placeholder="mixed"
              testId={tid('all-widths')}
              onChange={(v) => editNumber((d) => (d.model.hidden = d.model.hidden.map(() => v)))}
            />
          )}
        </Field>
        <Select field={FIELDS['model.activation']} value={model.activation} testId={tid('activation')} onChange={(v) => edit((d) => (d.model.activation = v))} />
        <Select field={FIELDS['model.init']} value={model.init} testId={tid('init')} onChange={(v) => edit((d) => (d.model.init = v))} />
        <SliderInput field={FIELDS['model.initGain']} value={model.initGain} testId={tid('gain')} onChange={(v) => editNumber((d) => (d.model.initGain = v))} />
        <Select field={FIELDS['model.norm']} value={model.norm} testId={tid('norm')} onChange={(v) => edit((d) => (d.model.norm = v))} />
        <Check field={FIELDS['model.residual']} checked={model.residual} testId={tid('residual')} onChange={(v) => edit((d) => (d.model.residual = v))} />
      </Section>

      <Section title="Optimizer">
        <Select field={FIELDS['optimizer.name']} value={opt.name} testId={tid('optimizer')} onChange={(v) => edit((d) => (d.optimizer.name = v))} />
        {optimizerUses(opt.name).map((k) =>
          k === 'lr' ? (
            <SliderInput key={k} field={FIELDS['optimizer.lr']} value={opt.lr} testId={tid('lr')} onChange={(v) => editNumber((d) => (d.optimizer.lr = v))} />
          ) : (
            <NumberInput key={k} field={FIELDS[`optimizer.${k}`]} value={opt[k]} onChange={(v) => editNumber((d) => (d.optimizer[k] = v))} />
          ),
        )}
        <Select field={FIELDS['optimizer.schedule.kind']} value={opt.schedule.kind} onChange={(v) => edit((d) => (d.optimizer.schedule.kind = v))} />
        {opt.schedule.kind === 'step' || opt.schedule.kind === 'exp' ? (
          <div className="row">
            <NumberInput field={FIELDS['optimizer.schedule.gamma']} value={opt.schedule.gamma} onChange={(v) => editNumber((d) => (d.optimizer.schedule.gamma = v))} />
            <NumberInput field={FIELDS['optimizer.schedule.stepSize']} value={opt.schedule.stepSize} onChange={(v) => editNumber((d) => (d.optimizer.schedule.stepSize = v))} />
          </div>
        ) : null}
        {opt.schedule.kind === 'cosine' ? (
          <NumberInput field={FIELDS['optimizer.schedule.minFactor']} value={opt.schedule.minFactor} onChange={(v) => editNumber((d) => (d.optimizer.schedule.minFactor = v))} />
        ) : null}
        <NumberInput field={FIELDS['optimizer.schedule.warmupSteps']} value={opt.schedule.warmupSteps} onChange={(v) => editNumber((d) => (d.optimizer.schedule.warmupSteps = v))} />
      </Section>

      <Section title="Stabilizers">
        <Select field={FIELDS['stabilizers.clip.mode']} value={stab.clip.mode} testId={tid('clip-mode')} onChange={(v) => edit((d) => (d.stabilizers.clip.mode = v))} />
        {stab.clip.mode !== 'none' && stab.clip.mode !== 'adaptive' ? (
          <NumberInput field={FIELDS['stabilizers.clip.threshold']} value={stab.clip.threshold} testId={tid('clip-threshold')} onChange={(v) => editNumber((d) => (d.stabilizers.clip.threshold = v))} />
        ) : null}
        {stab.clip.mode === 'adaptive' ? (
          <NumberInput field={FIELDS['stabilizers.clip.z']} value={stab.clip.z} onChange={(v) => editNumber((d) => (d.stabilizers.clip.z = v))} />
        ) : null}
        <NumberInput field={FIELDS['stabilizers.l1']} value={stab.l1} onChange={(v) => editNumber((d) => (d.stabilizers.l1 = v))} />
        <NumberInput field={FIELDS['stabilizers.l2']} value={stab.l2} onChange={(v) => editNumber((d) => (d.stabilizers.l2 = v))} />
        <Check field={FIELDS['stabilizers.skipNonFinite']} checked={stab.skipNonFinite} onChange={(v) => edit((d) => (d.stabilizers.skipNonFinite = v))} />
      </Section>

      <Section title="Training" open={false}>
        <NumberInput field={FIELDS['train.batchSize']} value={train.batchSize} onChange={(v) => editNumber((d) => (d.train.batchSize = v))} />
        <NumberInput field={FIELDS['train.steps']} value={train.steps} testId={tid('steps')} onChange={(v) => editNumber((d) => (d.train.steps = v))} />
      </Section>
    </section>
  );
}
