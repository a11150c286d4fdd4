/**
 * A run's own CSV: a file picker, a drop zone and a paste box, the target
 * column and the task. A file is checked in full (size, parse, the target, the
 * classes) before the run's config changes; a bad one leaves the run as it
 * was and says what is wrong, naming the row and column. A link that names a
 * file by its SHA-256 without carrying it asks for that file and refuses any
 * other.
 */
import { useMemo, useState, type DragEvent } from 'react';
import type { CsvFile, RunConfig } from '../engine/config.ts';
import { CSV_LIMITS, csvExamples, formatBytes, parseCsvTable, tooLarge, utf8Length } from '../engine/data/csv.ts';
import { sha256Text } from '../engine/data/sha256.ts';
import { FIELDS } from '../engine/fields.ts';
import { Field, Select } from './FieldInputs.tsx';

type Edit = (d: RunConfig) => void;

/** The run's CSV file checked: the config's new `data.csv`, or why not. */
export function checkCsv(name: string, text: string, cfg: RunConfig): { ok: true; file: CsvFile; target: string } | { ok: false; error: string } {
  const bytes = utf8Length(text);
  if (bytes > CSV_LIMITS.maxBytes) return { ok: false, error: `${name}: ${tooLarge(bytes)}` };
  const table = parseCsvTable(text);
  if (!table.ok) return { ok: false, error: `${name}: ${table.error}` };
  const target = table.value.columns.includes(cfg.data.target) ? cfg.data.target : '';
  const ex = csvExamples(table.value, target, cfg.data.task);
  if (!ex.ok) return { ok: false, error: `${name}: ${ex.error}` };
  const file: CsvFile = { name, bytes, sha256: sha256Text(text), text };
  const named = cfg.data.csv;
  if (named && named.text === undefined && named.sha256 !== file.sha256) {
    return { ok: false, error: `${name} is not the file this experiment names: ${named.name} (${formatBytes(named.bytes)}, SHA-256 ${named.sha256.slice(0, 12)}…); choose that file` };
  }
  return { ok: true, file, target };
}

export function CsvInput({ cfg, edit, testId }: { cfg: RunConfig; edit: (f: Edit) => string | null; testId: string }) {
  const [error, setError] = useState<string | null>(null);
  const [paste, setPaste] = useState('');
  const [over, setOver] = useState(false);
  const file = cfg.data.csv;
  const columns = useMemo(() => {
    if (file?.text === undefined) return [];
    const t = parseCsvTable(file.text);
    return t.ok ? t.value.columns : [];
  }, [file?.text]);

  const use = (name: string, text: string) => {
    const r = checkCsv(name, text, cfg);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    const msg = edit((d) => {
      d.data.name = 'csv';
      d.data.csv = r.file;
      d.data.target = r.target;
      delete d.data.path;
      if (d.model.arch === 'cnn') d.model.arch = 'mlp';
    });
    setError(msg);
  };
  const readFile = (f: File | undefined) => {
    if (!f) return;
    if (f.size > CSV_LIMITS.maxBytes) {
      setError(`${f.name}: ${tooLarge(f.size)}`);
      return;
    }
    f.text().then(
      (text) => use(f.name, text),
      (e: unknown) => setError(`${f.name}: cannot read the file (${e instanceof Error ? e.message : String(e)})`),
    );
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    readFile(e.dataTransfer.files[0]);
  };

  const wanted = file && file.text === undefined;
  return (
    <div className="csv-input" data-testid={testId}>
      {wanted ? (
        <p className="notice" role="status" data-testid={`${testId}-wanted`}>
          This experiment trains on <b>{file.name}</b> ({formatBytes(file.bytes)}, SHA-256 {file.sha256.slice(0, 12)}…), too large to travel in the link: choose that file to train.
        </p>
      ) : file ? (
        <p className="muted" data-testid={`${testId}-file`}>
          File: <b>{file.name}</b> ({formatBytes(file.bytes)})
        </p>
      ) : null}
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        data-testid={`${testId}-drop`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <label>
          <span>Drop a CSV file here, or </span>
          <input type="file" accept=".csv,text/csv,text/plain" data-testid={`${testId}-file-input`} onChange={(e) => {
            readFile(e.target.files?.[0]);
            e.target.value = '';
          }} />
        </label>
        <small className="muted">
          A header row, numeric feature columns, one target column; at most {formatBytes(CSV_LIMITS.maxBytes)}, {CSV_LIMITS.maxRows.toLocaleString('en')} rows, {CSV_LIMITS.maxColumns} columns, {CSV_LIMITS.maxClasses} classes.
        </small>
      </div>
      <details className="csv-paste">
        <summary>Paste CSV text</summary>
        <textarea rows={4} value={paste} aria-label="CSV text" data-testid={`${testId}-paste`} onChange={(e) => setPaste(e.target.value)} />
        <button type="button" className="small" data-testid={`${testId}-paste-use`} disabled={paste.trim() === ''} onClick={() => use('pasted.csv', paste)}>
          Use pasted text
        </button>
      </details>
      {error ? (
        <p className="field-error" role="alert" data-testid={`${testId}-error`}>
          {error}
        </p>
      ) : null}
      {columns.length > 0 ? (
        <Field label={FIELDS['data.target'].label} help={FIELDS['data.target'].help}>
          {(id) => (
            <select id={id} value={cfg.data.target} data-testid={`${testId}-target`} onChange={(e) => {
              const target = e.target.value;
              const t = parseCsvTable(file!.text!);
              const ex = t.ok ? csvExamples(t.value, target, cfg.data.task) : t;
              if (!ex.ok) {
                setError(`${file!.name}: ${ex.error}`);
                return;
              }
              setError(edit((d) => (d.data.target = target)));
            }}>
              <option value="">{`last column (${columns[columns.length - 1]})`}</option>
              {columns.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      <Select field={FIELDS['data.task']} value={cfg.data.task} testId={`${testId}-task`} onChange={(v) => {
        if (file?.text !== undefined) {
          const t = parseCsvTable(file.text);
          const ex = t.ok ? csvExamples(t.value, cfg.data.target, v) : t;
          if (!ex.ok) {
            setError(`${file.name}: ${ex.error}`);
            return;
          }
        }
        setError(edit((d) => (d.data.task = v)));
      }} />
    </div>
  );
}
