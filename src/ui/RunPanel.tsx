import { useId, useMemo, useState, type ReactNode } from 'react';
import type { RunConfig } from '../engine/config.ts';
import { LIMITS, MAX_RUNS } from '../engine/config.ts';
import {
  ACTIVATIONS,
  ACTIVATION_META,
  ARCHS,
  ARCH_META,
  CLIP_MODES,
  CLIP_META,
  DATASETS,
  DATASET_META,
  FIELD_HELP,
  INITS,
  INIT_META,
  NORMS,
  NORM_META,
  OPTIMIZERS,
  OPTIMIZER_META,
  SCHEDULES,
  SCHEDULE_META,
  type OptionMeta,
} from '../engine/meta.ts';
import { runVerdict, useStore } from './store.ts';
import { estimateRun, formatBytes, formatFlops } from '../engine/estimate.ts';
import { RUN_COLORS } from './colors.ts';
import { DataPreview } from './DataPreview.tsx';
import { useMediaQuery } from './useMediaQuery.ts';

type Edit = (d: RunConfig) => void;

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

function Select<T extends string>({
  label,
  value,
  options,
  meta,
  onChange,
  help,
  testId,
}: {
  label: string;
  value: T;
  options: readonly T[];
  meta: Record<T, OptionMeta>;
  onChange: (v: T) => void;
  help?: string;
  testId?: string;
}) {
  return (
    <Field label={label} help={help ?? meta[value]?.help}>
      {(id) => (
        <select id={id} value={value} data-testid={testId} onChange={(e) => onChange(e.target.value as T)}>
          {options.map((o) => (
            <option key={o} value={o} title={meta[o].help}>
              {meta[o].label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function NumberInput({
  label,
  value,
  onChange,
  min,
  max,
  step,
  help,
  testId,
}: {
  label: string;
  value: number;
  onChange: (v: number) => string | null;
  min?: number;
  max?: number;
  step?: number | 'any';
  help?: string;
  testId?: string;
}) {
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  return (
    <Field label={label} help={help}>
      {(id) => (
        <>
          <input
            id={id}
            type="number"
            inputMode="decimal"
            value={text ?? String(value)}
            min={min}
            max={max}
            step={step ?? 'any'}
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

/** Learning rate on a log slider, 1e-5 .. 10, with an exact number box. */
function LogSlider({ label, value, onChange, help, testId }: { label: string; value: number; onChange: (v: number) => string | null; help?: string; testId?: string }) {
  const lo = -5;
  const hi = 1;
  const pos = value > 0 ? Math.log10(value) : lo;
  return (
    <Field label={`${label}: ${value.toPrecision(3)}`} help={help}>
      {(id) => (
        <div className="log-slider">
          <input
            id={id}
            type="range"
            min={lo}
            max={hi}
            step={0.05}
            value={Math.min(hi, Math.max(lo, pos))}
            aria-valuetext={String(value)}
            onChange={(e) => onChange(Number(Math.pow(10, Number(e.target.value)).toPrecision(3)))}
          />
          <input type="number" aria-label={`${label} (exact)`} step="any" min={0} value={value} data-testid={testId} onChange={(e) => {
            const v = Number(e.target.value);
            if (Number.isFinite(v) && e.target.value !== '') onChange(v);
          }} />
        </div>
      )}
    </Field>
  );
}

function Check({ label, checked, onChange, help, testId }: { label: string; checked: boolean; onChange: (v: boolean) => void; help?: string; testId?: string }) {
  return (
    <div className="field check" title={help}>
      <label>
        <input type="checkbox" checked={checked} data-testid={testId} onChange={(e) => onChange(e.target.checked)} /> {label}
      </label>
      {help ? <small className="help">{help}</small> : null}
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
  const maxUnits = model.arch === 'cnn' ? LIMITS.filters[1] : LIMITS.units[1];
  const tid = (name: string) => `run${i}-${name}`;
  return (
    <section className="run-panel" aria-label={`Run ${cfg.label}`} style={{ borderTopColor: RUN_COLORS[i % RUN_COLORS.length] }}>
      <div className="run-panel-head">
        <input
          className="run-label"
          aria-label="Run label"
          value={cfg.label}
          maxLength={LIMITS.labelLength}
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
        <Select label="Data set" value={data.name} options={DATASETS} meta={DATASET_META} testId={tid('dataset')}
          onChange={(v) => edit((d) => {
            d.data.name = v;
            if (v !== 'shapes' && d.model.arch === 'cnn') d.model.arch = 'mlp';
          })} />
        <NumberInput label="Samples" value={data.samples} min={16} max={20000} step={1} help={FIELD_HELP['data.samples']} onChange={(v) => edit((d) => (d.data.samples = v))} />
        <NumberInput label="Noise" value={data.noise} min={0} max={1} step={0.05} help={FIELD_HELP['data.noise']} onChange={(v) => edit((d) => (d.data.noise = v))} />
        <NumberInput label="Test fraction" value={data.testFraction} min={0} max={0.9} step={0.05} help={FIELD_HELP['data.testFraction']} onChange={(v) => edit((d) => (d.data.testFraction = v))} />
        <DataPreview cfg={cfg} testId={tid('data-preview')} />
        <div className="row">
          <NumberInput label="Seed" value={cfg.seed} min={0} step={1} help={FIELD_HELP['seed']} testId={tid('seed')} onChange={(v) => edit((d) => (d.seed = v))} />
          <button type="button" className="small" onClick={() => edit((d) => (d.seed = Math.floor(Math.random() * 2 ** 31)))} title="New seed: new data, initial weights and batch order">
            Regenerate
          </button>
        </div>
      </Section>

      <Section title={`Model${paramCount ? ` · ${paramCount.toLocaleString('en')} parameters` : ''}`}>
        <ResourceNote i={i} cfg={cfg} testId={tid('resources')} />
        <Select label="Architecture" value={model.arch} options={ARCHS} meta={ARCH_META} testId={tid('arch')}
          onChange={(v) => edit((d) => {
            d.model.arch = v;
            if (v === 'cnn') {
              d.data.name = 'shapes';
              d.model.hidden = d.model.hidden.map((h) => Math.min(h, LIMITS.filters[1]));
            }
          })} />
        <Field label={`Depth: ${depth} hidden layer${depth === 1 ? '' : 's'}`} help="Number of hidden layers (new layers copy the last width).">
          {(id) => (
            <input id={id} type="range" min={1} max={64} value={depth} data-testid={tid('depth')}
              onChange={(e) => edit((d) => {
                const n = Number(e.target.value);
                const last = d.model.hidden[d.model.hidden.length - 1] ?? width;
                d.model.hidden = Array.from({ length: n }, (_, k) => d.model.hidden[k] ?? last);
              })} />
          )}
        </Field>
        <div className="layers-editor" aria-label="Hidden layer sizes">
          {model.hidden.map((h, k) => (
            <span key={k} className="layer-chip">
              <input type="number" aria-label={`Units of hidden layer ${k + 1}`} min={1} max={maxUnits} value={h} data-testid={tid(`hidden-${k}`)}
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
          <button type="button" className="icon" aria-label="Add a hidden layer" disabled={depth >= 64}
            onClick={() => edit((d) => d.model.hidden.push(d.model.hidden[d.model.hidden.length - 1] ?? 16))}>
            +
          </button>
        </div>
        <Select label="Activation" value={model.activation} options={ACTIVATIONS} meta={ACTIVATION_META} testId={tid('activation')} onChange={(v) => edit((d) => (d.model.activation = v))} />
        <Select label="Initialization" value={model.init} options={INITS} meta={INIT_META} testId={tid('init')} onChange={(v) => edit((d) => (d.model.init = v))} />
        <Field label={`Init gain g: ${model.initGain}`} help={FIELD_HELP['model.initGain']}>
          {(id) => (
            <div className="log-slider">
              <input id={id} type="range" min={0.1} max={4} step={0.05} value={Math.min(4, model.initGain)} onChange={(e) => edit((d) => (d.model.initGain = Number(e.target.value)))} />
              <input type="number" aria-label="Init gain (exact)" min={0} step="any" value={model.initGain} data-testid={tid('gain')}
                onChange={(e) => {
                  const v = Number(e.target.value);
                  if (e.target.value !== '' && Number.isFinite(v)) edit((d) => (d.model.initGain = v));
                }} />
            </div>
          )}
        </Field>
        <Select label="Normalization" value={model.norm} options={NORMS} meta={NORM_META} testId={tid('norm')} onChange={(v) => edit((d) => (d.model.norm = v))} />
        <Check label="Residual connections" checked={model.residual} help={FIELD_HELP['model.residual']} testId={tid('residual')} onChange={(v) => edit((d) => (d.model.residual = v))} />
      </Section>

      <Section title="Optimizer">
        <Select label="Optimizer" value={opt.name} options={OPTIMIZERS} meta={OPTIMIZER_META} testId={tid('optimizer')} onChange={(v) => edit((d) => (d.optimizer.name = v))} />
        <LogSlider label="Learning rate" value={opt.lr} help={FIELD_HELP['optimizer.lr']} testId={tid('lr')} onChange={(v) => edit((d) => (d.optimizer.lr = v))} />
        {['momentum', 'nesterov', 'rmsprop'].includes(opt.name) ? (
          <NumberInput label="Momentum" value={opt.momentum} min={0} max={0.9999} step={0.01} help={FIELD_HELP['optimizer.momentum']} onChange={(v) => edit((d) => (d.optimizer.momentum = v))} />
        ) : null}
        {['rmsprop', 'adadelta'].includes(opt.name) ? (
          <NumberInput label="ρ (decay)" value={opt.rho} min={0} max={0.9999} step={0.01} help={FIELD_HELP['optimizer.rho']} onChange={(v) => edit((d) => (d.optimizer.rho = v))} />
        ) : null}
        {['adam', 'adamax', 'adamw'].includes(opt.name) ? (
          <>
            <NumberInput label="β1" value={opt.beta1} min={0} max={0.9999} step={0.01} help={FIELD_HELP['optimizer.beta1']} onChange={(v) => edit((d) => (d.optimizer.beta1 = v))} />
            <NumberInput label="β2" value={opt.beta2} min={0} max={0.999999} step={0.001} help={FIELD_HELP['optimizer.beta2']} onChange={(v) => edit((d) => (d.optimizer.beta2 = v))} />
          </>
        ) : null}
        <NumberInput label="ε" value={opt.epsilon} min={0} step="any" help={FIELD_HELP['optimizer.epsilon']} onChange={(v) => edit((d) => (d.optimizer.epsilon = v))} />
        <NumberInput label="Weight decay λ" value={opt.weightDecay} min={0} max={1} step={0.0001} help={FIELD_HELP['optimizer.weightDecay']} onChange={(v) => edit((d) => (d.optimizer.weightDecay = v))} />
        <Select label="LR schedule" value={opt.schedule.kind} options={SCHEDULES} meta={SCHEDULE_META} onChange={(v) => edit((d) => (d.optimizer.schedule.kind = v))} />
        {opt.schedule.kind === 'step' || opt.schedule.kind === 'exp' ? (
          <div className="row">
            <NumberInput label="γ" value={opt.schedule.gamma} min={0} max={1} step={0.05} onChange={(v) => edit((d) => (d.optimizer.schedule.gamma = v))} />
            <NumberInput label="every (steps)" value={opt.schedule.stepSize} min={1} step={1} onChange={(v) => edit((d) => (d.optimizer.schedule.stepSize = v))} />
          </div>
        ) : null}
        {opt.schedule.kind === 'cosine' ? (
          <NumberInput label="Final factor" value={opt.schedule.minFactor} min={0} max={1} step={0.05} onChange={(v) => edit((d) => (d.optimizer.schedule.minFactor = v))} />
        ) : null}
        <NumberInput label="Warm-up steps" value={opt.schedule.warmupSteps} min={0} step={1} help={FIELD_HELP['optimizer.schedule.warmupSteps']} onChange={(v) => edit((d) => (d.optimizer.schedule.warmupSteps = v))} />
      </Section>

      <Section title="Stabilizers">
        <Select label="Gradient clipping" value={stab.clip.mode} options={CLIP_MODES} meta={CLIP_META} testId={tid('clip-mode')} onChange={(v) => edit((d) => (d.stabilizers.clip.mode = v))} />
        {stab.clip.mode !== 'none' && stab.clip.mode !== 'adaptive' ? (
          <NumberInput label="Threshold τ" value={stab.clip.threshold} min={0} step="any" help={FIELD_HELP['stabilizers.clip.threshold']} testId={tid('clip-threshold')} onChange={(v) => edit((d) => (d.stabilizers.clip.threshold = v))} />
        ) : null}
        {stab.clip.mode === 'adaptive' ? (
          <NumberInput label="z (outlier bound)" value={stab.clip.z} min={0.5} max={10} step={0.5} help={FIELD_HELP['stabilizers.clip.z']} onChange={(v) => edit((d) => (d.stabilizers.clip.z = v))} />
        ) : null}
        <NumberInput label="L1 penalty" value={stab.l1} min={0} max={10} step={0.0001} help={FIELD_HELP['stabilizers.l1']} onChange={(v) => edit((d) => (d.stabilizers.l1 = v))} />
        <NumberInput label="L2 penalty" value={stab.l2} min={0} max={10} step={0.0001} help={FIELD_HELP['stabilizers.l2']} onChange={(v) => edit((d) => (d.stabilizers.l2 = v))} />
        <Check label="Skip non-finite steps" checked={stab.skipNonFinite} help={FIELD_HELP['stabilizers.skipNonFinite']} onChange={(v) => edit((d) => (d.stabilizers.skipNonFinite = v))} />
      </Section>

      <Section title="Training" open={false}>
        <NumberInput label="Batch size" value={train.batchSize} min={1} max={4096} step={1} help={FIELD_HELP['train.batchSize']} onChange={(v) => edit((d) => (d.train.batchSize = v))} />
        <NumberInput label="Stop at step" value={train.steps} min={1} max={1_000_000} step={1} help={FIELD_HELP['train.steps']} testId={tid('steps')} onChange={(v) => edit((d) => (d.train.steps = v))} />
      </Section>
    </section>
  );
}
