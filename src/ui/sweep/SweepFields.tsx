/**
 * The sweep form's inputs: a number field that keeps what is typed until it
 * parses, and the editor of one swept parameter (field, scale, range or list).
 */
import { useState } from 'react';
import type { SweepInput } from '../../engine/sweep/schema.ts';
import { PARAM_CHOICES } from '../../engine/sweep/meta.ts';

export type DraftParam = SweepInput['params'][number];

/** A number input that keeps what is typed until it parses. */
export function NumField({ label, value, onChange, testId, step, min, title }: { label: string; value: number | undefined; onChange(v: number): void; testId?: string; step?: number | 'any'; min?: number; title?: string }) {
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

export function ParamEditor({ k, p, method, onChange, onRemove }: { k: number; p: DraftParam; method: string; onChange(p: DraftParam): void; onRemove?: () => void }) {
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
