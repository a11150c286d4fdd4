import { useId, useMemo, useState, type ReactNode } from 'react';
import type { RunConfig } from '../engine/config.ts';
import { MAX_RUNS } from '../engine/config.ts';
import { FIELDS, optimizerUses, type BoolField, type EnumField, type NumberField } from '../engine/fields.ts';
import { runVerdict, useStore } from './store.ts';
import { estimateRun, formatBytes, formatFlops } from '../engine/estimate.ts';
import { RUN_COLORS } from './colors.ts';
import { DataPreview } from './DataPreview.tsx';
import { useMediaQuery } from './useMediaQuery.ts';

type Edit = (d: RunConfig) => void;

const HIDDEN = FIELDS['model.hidden'];

function Field({ label, help, children }: { label: string; help?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field" title={help}>
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {help ? <small className="help">{help}</small> : null}
    </div>
  );
}

/** A choice field; the help shown is the chosen option's. */
function Select<const T extends readonly [string, ...string[]]>({
  field,
  value,
  onChange,
  testId,
}: {
  field: EnumField<T>;
  value: T[number];
  onChange: (v: T[number]) => void;
  testId?: string;
}) {
  const meta = field.meta;
  return (
    <Field label={field.label} help={meta[value]?.help}>
      {(id) => (
        <select id={id} value={value} data-testid={testId} onChange={(e) => onChange(e.target.value as T[number])}>
          {field.values.map((o: T[number]) => (
            <option key={o} value={o} title={meta[o].help}>
              {meta[o].label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function labelOf(f: NumberField): string {
  return f.unit ? `${f.label} (${f.unit})` : f.label;
}

/** A number field's box with the table's bounds; an edit the schema refuses shows its message. */
function NumberInput({ field, value, onChange, testId }: { field: NumberField; value: number; onChange: (v: number) => string | null; testId?: string }) {
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const label = labelOf(field);
  return (
    <Field label={label} help={field.help}>
      {(id) => (
        <>
          <input
            id={id}
            type="number"
            inputMode="decimal"
            value={text ?? String(value)}
            min={field.min}
            max={field.max}
            step={field.step}
            data-testid={testId}
            aria-invalid={err ? true : undefined}
            onChange={(e) => {
              setText(e.target.value);
              const v = e.target.value.trim() === '' ? NaN : Number(e.target.value);
              const msg = Number.isFinite(v) ? onChange(v) : `${label}: must be a number`;
              setErr(msg);
              if (!msg) setText(null);
            }}
            onBlur={() => {
              setText(null);
              setErr(null);
            }}
          />
          {err ? (
            <small className="field-error" role="alert">
              {err}
            </small>
          ) : null}
        </>
      )}
    </Field>
  );
}

/** A slider over the field's slider range (log10 positions on a log slider), with an exact number box. */
function SliderInput({ field, value, onChange, testId }: { field: NumberField; value: number; onChange: (v: number) => string | null; testId?: string }) {
  const { slider } = field;
  if (!slider) return <NumberInput field={field} value={value} onChange={onChange} testId={testId} />;
  const log = slider.scale === 'log';
  const lo = log ? Math.log10(slider.min) : slider.min;
  const hi = log ? Math.log10(slider.max) : slider.max;
  const pos = log ? (value > 0 ? Math.log10(value) : lo) : value;
  return (
    <Field label={`${field.label}: ${log ? value.toPrecision(3) : value}`} help={field.help}>
      {(id) => (
        <div className="log-slider">
          <input
            id={id}
            type="range"
            min={lo}
            max={hi}
            step={slider.step}
            value={Math.min(hi, Math.max(lo, pos))}
            aria-valuetext={String(value)}
            onChange={(e) => {
              const x = Number(e.target.value);
              onChange(log ? Number(Math.pow(10, x).toPrecision(3)) : x);
            }}
          />
          <input type="number" aria-label={`${field.label} (exact)`} step={field.step} min={field.min} max={field.max} value={value} data-testid={testId} onChange={(e) => {
            const v = Number(e.target.value);
            if (Number.isFinite(v) && e.target.value !== '') onChange(v);
          }} />
        </div>
      )}
    </Field>
  );
}

function Check({ field, checked, onChange, testId }: { field: BoolField; checked: boolean; onChange: (v: boolean) => void; testId?: string }) {
  return (
    <div className="field check" title={field.help}>
      <label>
        <input type="checkbox" checked={checked} data-testid={testId} onChange={(e) => onChange(e.target.checked)} /> {field.label}
      </label>
      <small className="help">{field.help}</small>
    </div>
  );
}

/** On a phone the settings start folded so the charts are reachable. */
const NARROW = '(max-width: 700px)';

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
      {v.level === 'ok' ? `≈ ${formatBytes(est.bytes)} of tensors, ${formatFlops(est.flopsPerStep)} per step` : `⚠ ${v.message}`}
    </p>
  );
}

export function RunPanel({ i }: { i: number }) {
  const cfg = useStore((s) => s.experiment.runs[i]);
  const nRuns = useStore((s) => s.experiment.runs.length);
  const paramCount = useStore((s) => s.runtime[i]?.paramCount);
  const editRun = useStore((s) => s.editRun);
  const duplicateRun = useStore((s) => s.duplicateRun);
  const compareWithClipping = useStore((s) => s.compareWithClipping);
  const removeRun = useStore((s) => s.removeRun);
  const [error, setError] = useState<string | null>(null);
  if (!cfg) return null;
  const edit = (f: Edit): string | null => {
    const msg = editRun(i, f);
    setError(msg);
    return msg;
  };
  const { model, optimizer: opt, stabilizers: stab, data, train } = cfg;
  const depth = model.hidden.length;
  const width = model.hidden[0] ?? 16;
  const maxUnits = model.arch === 'cnn' ? HIDDEN.cnnItemMax : HIDDEN.item.max;
  const tid = (name: string) => `run${i}-${name}`;
  return (
    <section className="run-panel" aria-label={`Run ${cfg.label}`} style={{ borderTopColor: RUN_COLORS[i % RUN_COLORS.length] }}>
      <div className="run-panel-head">
        <input
          className="run-label"
          aria-label={FIELDS.label.label}
          value={cfg.label}
          maxLength={FIELDS.label.maxLength}
          onChange={(e) => edit((d) => (d.label = e.target.value))}
        />
        <div className="run-actions">
          <button type="button" onClick={() => duplicateRun(i)} disabled={nRuns >= MAX_RUNS} data-testid={tid('duplicate')} title="Copy this run so that one setting can differ">
            Duplicate
          </button>
          <button type="button" onClick={() => compareWithClipping(i)} disabled={nRuns >= MAX_RUNS} data-testid={tid('compare-clip')} title="Add the same run with global-norm clipping at 1">
            Compare with clipping
          </button>
          {nRuns > 1 ? (
            <button type="button" onClick={() => removeRun(i)} aria-label={`Remove run ${cfg.label}`}>
              ✕
            </button>
          ) : null}
        </div>
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
            if (v !== 'shapes' && d.model.arch === 'cnn') d.model.arch = 'mlp';
          })} />
        <NumberInput field={FIELDS['data.samples']} value={data.samples} onChange={(v) => edit((d) => (d.data.samples = v))} />
        <NumberInput field={FIELDS['data.noise']} value={data.noise} onChange={(v) => edit((d) => (d.data.noise = v))} />
        <NumberInput field={FIELDS['data.testFraction']} value={data.testFraction} onChange={(v) => edit((d) => (d.data.testFraction = v))} />
        <DataPreview cfg={cfg} testId={tid('data-preview')} />
        <div className="row">
          <NumberInput field={FIELDS.seed} value={cfg.seed} testId={tid('seed')} onChange={(v) => edit((d) => (d.seed = v))} />
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
              d.data.name = 'shapes';
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
        <Select field={FIELDS['model.activation']} value={model.activation} testId={tid('activation')} onChange={(v) => edit((d) => (d.model.activation = v))} />
        <Select field={FIELDS['model.init']} value={model.init} testId={tid('init')} onChange={(v) => edit((d) => (d.model.init = v))} />
        <SliderInput field={FIELDS['model.initGain']} value={model.initGain} testId={tid('gain')} onChange={(v) => edit((d) => (d.model.initGain = v))} />
        <Select field={FIELDS['model.norm']} value={model.norm} testId={tid('norm')} onChange={(v) => edit((d) => (d.model.norm = v))} />
        <Check field={FIELDS['model.residual']} checked={model.residual} testId={tid('residual')} onChange={(v) => edit((d) => (d.model.residual = v))} />
      </Section>

      <Section title="Optimizer">
        <Select field={FIELDS['optimizer.name']} value={opt.name} testId={tid('optimizer')} onChange={(v) => edit((d) => (d.optimizer.name = v))} />
        {optimizerUses(opt.name).map((k) =>
          k === 'lr' ? (
            <SliderInput key={k} field={FIELDS['optimizer.lr']} value={opt.lr} testId={tid('lr')} onChange={(v) => edit((d) => (d.optimizer.lr = v))} />
          ) : (
            <NumberInput key={k} field={FIELDS[`optimizer.${k}`]} value={opt[k]} onChange={(v) => edit((d) => (d.optimizer[k] = v))} />
          ),
        )}
        <Select field={FIELDS['optimizer.schedule.kind']} value={opt.schedule.kind} onChange={(v) => edit((d) => (d.optimizer.schedule.kind = v))} />
        {opt.schedule.kind === 'step' || opt.schedule.kind === 'exp' ? (
          <div className="row">
            <NumberInput field={FIELDS['optimizer.schedule.gamma']} value={opt.schedule.gamma} onChange={(v) => edit((d) => (d.optimizer.schedule.gamma = v))} />
            <NumberInput field={FIELDS['optimizer.schedule.stepSize']} value={opt.schedule.stepSize} onChange={(v) => edit((d) => (d.optimizer.schedule.stepSize = v))} />
          </div>
        ) : null}
        {opt.schedule.kind === 'cosine' ? (
          <NumberInput field={FIELDS['optimizer.schedule.minFactor']} value={opt.schedule.minFactor} onChange={(v) => edit((d) => (d.optimizer.schedule.minFactor = v))} />
        ) : null}
        <NumberInput field={FIELDS['optimizer.schedule.warmupSteps']} value={opt.schedule.warmupSteps} onChange={(v) => edit((d) => (d.optimizer.schedule.warmupSteps = v))} />
      </Section>

      <Section title="Stabilizers">
        <Select field={FIELDS['stabilizers.clip.mode']} value={stab.clip.mode} testId={tid('clip-mode')} onChange={(v) => edit((d) => (d.stabilizers.clip.mode = v))} />
        {stab.clip.mode !== 'none' && stab.clip.mode !== 'adaptive' ? (
          <NumberInput field={FIELDS['stabilizers.clip.threshold']} value={stab.clip.threshold} testId={tid('clip-threshold')} onChange={(v) => edit((d) => (d.stabilizers.clip.threshold = v))} />
        ) : null}
        {stab.clip.mode === 'adaptive' ? (
          <NumberInput field={FIELDS['stabilizers.clip.z']} value={stab.clip.z} onChange={(v) => edit((d) => (d.stabilizers.clip.z = v))} />
        ) : null}
        <NumberInput field={FIELDS['stabilizers.l1']} value={stab.l1} onChange={(v) => edit((d) => (d.stabilizers.l1 = v))} />
        <NumberInput field={FIELDS['stabilizers.l2']} value={stab.l2} onChange={(v) => edit((d) => (d.stabilizers.l2 = v))} />
        <Check field={FIELDS['stabilizers.skipNonFinite']} checked={stab.skipNonFinite} onChange={(v) => edit((d) => (d.stabilizers.skipNonFinite = v))} />
      </Section>

      <Section title="Training" open={false}>
        <NumberInput field={FIELDS['train.batchSize']} value={train.batchSize} onChange={(v) => edit((d) => (d.train.batchSize = v))} />
        <NumberInput field={FIELDS['train.steps']} value={train.steps} testId={tid('steps')} onChange={(v) => edit((d) => (d.train.steps = v))} />
      </Section>
    </section>
  );
}
