/**
 * The run panel's field controls, each with the label, help and bounds of its
 * field in the field table (engine/fields.ts): a labelled field, a choice, a
 * number box, a number field, a slider with an exact box, a checkbox.
 */
import { useId, useState, type ReactNode } from 'react';
import type { BoolField, EnumField, NumberField } from '../engine/fields.ts';

export function Field({ label, help, children }: { label: string; help?: string; children: (id: string) => ReactNode }) {
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
export function Select<const T extends readonly [string, ...string[]]>({
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

/**
 * A number box with the table's bounds. What is typed is kept while it is not
 * a number the schema accepts, with the reason under the box (in plain words);
 * the last accepted value comes back when the box loses focus.
 */
export function NumberBox({
  field,
  value,
  onChange,
  testId,
  id,
  ariaLabel,
  placeholder,
}: {
  field: Pick<NumberField, 'label' | 'min' | 'max' | 'step'>;
  value: number | null;
  onChange: (v: number) => string | null;
  testId?: string;
  id?: string;
  ariaLabel?: string;
  placeholder?: string;
}) {
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  return (
    <>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={text ?? (value === null ? '' : String(value))}
        min={field.min}
        max={field.max}
        step={field.step}
        placeholder={placeholder}
        aria-label={ariaLabel}
        data-testid={testId}
        aria-invalid={err ? true : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const v = e.target.value.trim() === '' ? NaN : Number(e.target.value);
          const msg = Number.isFinite(v) ? onChange(v) : `${field.label}: must be a number`;
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
  );
}

/** A number field: its label, help and box. */
export function NumberInput({ field, value, onChange, testId }: { field: NumberField; value: number; onChange: (v: number) => string | null; testId?: string }) {
  const label = labelOf(field);
  return (
    <Field label={label} help={field.help}>
      {(id) => <NumberBox id={id} field={{ ...field, label }} value={value} onChange={onChange} testId={testId} />}
    </Field>
  );
}

/** A slider over the field's slider range (log10 positions on a log slider), with an exact number box. */
export function SliderInput({ field, value, onChange, testId }: { field: NumberField; value: number; onChange: (v: number) => string | null; testId?: string }) {
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
          <NumberBox field={field} ariaLabel={`${field.label} (exact)`} value={value} onChange={onChange} testId={testId} />
        </div>
      )}
    </Field>
  );
}

export function Check({ field, checked, onChange, testId }: { field: BoolField; checked: boolean; onChange: (v: boolean) => void; testId?: string }) {
  return (
    <div className="field check" title={field.help}>
      <label>
        <input type="checkbox" checked={checked} data-testid={testId} onChange={(e) => onChange(e.target.checked)} /> {field.label}
      </label>
      <small className="help">{field.help}</small>
    </div>
  );
}
