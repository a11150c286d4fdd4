/**
 * The data a CLI run needs before it trains: the digits from the mnist package,
 * and CSV files: `data.path` in a config, `--data FILE` for every run, or the
 * text a share link carries. A file is checked (size, parse, the hash a link
 * names) before anything trains; a problem is a UsageError (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { CsvFile, Experiment, RunConfig } from '../engine/config.ts';
import { CSV_LIMITS, parseCsvData, tooLarge, utf8Length } from '../engine/data/csv.ts';
import { sha256Text } from '../engine/data/sha256.ts';
import { UsageError } from './io.ts';

/** A CSV file read from disk as the config's `data.csv`. */
export function readCsvFile(path: string, what: string): CsvFile {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new UsageError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > CSV_LIMITS.maxBytes) throw new UsageError(`${what}: ${path}: ${tooLarge(size)}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { name: basename(path), bytes: utf8Length(text), sha256: sha256Text(text), text };
}

function sameFile(a: CsvFile, b: CsvFile): boolean {
  return a.sha256 === b.sha256 && a.bytes === b.bytes;
}

/**
 * Resolves every run's data in place: `--data` (a CSV for every run; a run that
 * names a file by its hash must get that very file), `data.path`, and checks
 * that each CSV run has its text and that the text parses.
 */
export function resolveRunData(exp: Experiment, dataOption: string | undefined): void {
  const given = dataOption !== undefined ? readCsvFile(dataOption, '--data') : undefined;
  exp.runs.forEach((run: RunConfig, i) => {
    const where = `runs[${i}].data`;
    if (given) {
      const named = run.data.name === 'csv' ? run.data.csv : undefined;
      if (named && !sameFile(named, given)) {
        throw new UsageError(`--data: ${given.name} (${given.bytes} bytes, sha256 ${given.sha256.slice(0, 12)}…) is not the file run ${i} names: ${named.name} (${named.bytes} bytes, sha256 ${named.sha256.slice(0, 12)}…)`);
      }
      run.data.name = 'csv';
      run.data.csv = { ...given, name: named?.name ?? given.name };
      delete run.data.path;
    } else if (run.data.name === 'csv' && run.data.path !== undefined) {
      const file = readCsvFile(run.data.path, `${where}.path`);
      if (run.data.csv && !sameFile(run.data.csv, file)) throw new UsageError(`${where}.path: ${run.data.path} is not the file data.csv names (${run.data.csv.name}, sha256 ${run.data.csv.sha256.slice(0, 12)}…)`);
      run.data.csv = file;
      delete run.data.path;
    }
    if (run.data.name !== 'csv') return;
    const f = run.data.csv;
    if (!f) throw new UsageError(`${where}: a run on csv needs its file: data.path, or --data FILE`);
    if (f.text === undefined) throw new UsageError(`${where}.csv: the config names ${f.name} (${f.bytes} bytes, sha256 ${f.sha256}) but does not carry it: give it with --data ${f.name}`);
    const parsed = parseCsvData(f.text, run.data.target, run.data.task);
    if (!parsed.ok) throw new UsageError(`${where}: ${f.name}: ${parsed.error}`);
  });
}

/** Loads what the runs' built-in data sets need (the digits). */
export async function loadRunData(exp: Experiment): Promise<void> {
  if (exp.runs.some((r) => r.data.name === 'digits')) {
    const { loadDigitsInNode } = await import('../node/digits.ts');
    loadDigitsInNode();
  }
}
