/**
 * What every `gradscope` command shares: reading a config argument (JSON text, a
 * share URL or a file holding either), checking options, writing output to stdout
 * or a file with back-pressure and every failure reported, and the one failure
 * reporter that turns an error into a message on stderr and an exit status.
 */
import { closeSync, createWriteStream, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { finished, type Writable } from 'node:stream';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { nodeBackendFor, type Arch } from '../engine/backends.ts';
import { capProblems, parseExperimentJson, type Experiment, type ValidationResult } from '../engine/config.ts';
import { DEFAULT_BASE_URL, parseFragment } from '../engine/shareLink.ts';
import { exportedExperiment, parseExperimentOrExport } from '../engine/exportDoc.ts';
import { parseSweepFragment, parseSweepJson, type SweepConfig, type SweepLimits } from '../engine/sweep/schema.ts';
import type { NodeBackend } from '../node/tf-node.ts';

/** Bad usage: an option, an argument or an output file. Exit 2 with one line. */
export class UsageError extends Error {}

/** A config that does not validate: its problems, one per line, exit 2. */
export class ConfigProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The value of a validation, or its problems thrown for the failure reporter. */
export function validated<T>(r: ValidationResult<T>): T {
  if (!r.ok) throw new ConfigProblems(r.errors);
  return r.value;
}

// ---------------------------------------------------------------- arguments

export const MAX_CONFIG_BYTES = 1_000_000;

interface ArgKind<T> {
  /** How messages name the argument: "config" or "sweep". */
  noun: string;
  json(text: string): ValidationResult<T>;
  link(url: string): ValidationResult<T>;
  /** The config named on the first line of a page export (a file of any size); null when it is not one. */
  exported?(start: string): ValidationResult<T> | null;
}

/** The first `n` bytes of a file, as text. */
function readStart(path: string, n: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a config argument: JSON text, a share URL (anything with a fragment that is
 * not an existing file), or the path of a file holding JSON or a share URL. A file's
 * JSON is read as JSON first: a label may well contain "#e=".
 */
function loadArg<T>(arg: string, kind: ArgKind<T>): ValidationResult<T> {
  const fail = (e: string): ValidationResult<T> => ({ ok: false, errors: [`${kind.noun}: ${e}`] });
  const text = arg.trim();
  const isJson = (s: string) => s.startsWith('{') || s.startsWith('[');
  if (isJson(text)) return kind.json(text);
  if (text.includes('#') && !existsSync(text)) return kind.link(text);
  if (!existsSync(text)) return fail(`no such file "${text}" (give a JSON file, a JSON string or a share URL)`);
  const st = statSync(text);
  if (!st.isFile()) return fail(`"${text}" is not a file`);
  const exported = kind.exported?.(readStart(text, Math.min(st.size, MAX_CONFIG_BYTES)));
  if (exported) return exported;
  if (st.size > MAX_CONFIG_BYTES) return fail(`file is ${st.size} bytes, at most ${MAX_CONFIG_BYTES} allowed`);
  const content = readFileSync(text, 'utf8').trim();
  if (!isJson(content) && (content.includes('#') || /^https?:/.test(content) || /(^|&)(e|sweep)=/.test(content))) return kind.link(content);
  return kind.json(content);
}

const EXPERIMENT: ArgKind<Experiment> = {
  noun: 'config',
  json: (text) => parseExperimentOrExport(text) ?? parseExperimentJson(text),
  exported: exportedExperiment,
  link: (url) => parseFragment(url).experiment ?? { ok: false, errors: ['share URL: the link holds no experiment (no #e=… fragment)'] },
};

function sweepKind(limits: SweepLimits): ArgKind<SweepConfig> {
  return {
    noun: 'sweep',
    json: (text) => parseSweepJson(text, limits),
    link: (url) =>
      parseSweepFragment(url, limits) ?? { ok: false, errors: ['share URL: the link holds no sweep (no sweep=… in the fragment; share it from the page’s sweep panel)'] },
  };
}

/** An experiment argument: JSON text, a share URL, or a file holding either. */
export function loadConfigArg(arg: string): ValidationResult<Experiment> {
  return loadArg(arg, EXPERIMENT);
}

/** A sweep argument: JSON text, a page link with `sweep=`, or a file holding either (`limits`: a stored sweep's). */
export function loadSweepArg(arg: string, limits: SweepLimits = {}): ValidationResult<SweepConfig> {
  return loadArg(arg, sweepKind(limits));
}

// ---------------------------------------------------------------- options

/**
 * A command's options and positionals. A negative number after an option that takes
 * a value is that value (`--steps -1` is `--steps=-1`, refused by its range check in
 * one line, not parseArgs's three-line note about ambiguous arguments).
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(argv: readonly string[], options: O) {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    if (name && options[name]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) args.push(`--${name}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  return parseArgs({ args, allowPositionals: true, options });
}

/** An integer option in lo..hi (undefined when not given). */
export function intOption(name: string, v: string | undefined, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < lo || n > hi) {
    throw new UsageError(`--${name}: must be an integer ${lo}..${hi}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** `--backend auto|cpu|wasm` (auto when not given). */
export function backendOption(v: string | undefined): 'auto' | NodeBackend {
  const b = v ?? 'auto';
  if (b !== 'auto' && b !== 'cpu' && b !== 'wasm') throw new UsageError(`--backend: must be auto, cpu or wasm, got ${JSON.stringify(b)}`);
  return b;
}

/** The backend that trains a model under `--backend` (the engine's rule, engine/backends.ts nodeBackendFor). */
export function backendFor(option: 'auto' | NodeBackend, arch: Arch): NodeBackend {
  const r = nodeBackendFor(arch, option);
  if ('error' in r) throw new UsageError(r.error);
  return r.backend;
}

/** `--base URL`: the page address of share URLs (default $GRADSCOPE_BASE_URL or the built-in one). */
export function baseOption(v: string | undefined): string {
  const base = v ?? process.env.GRADSCOPE_BASE_URL ?? DEFAULT_BASE_URL;
  if (!/^https?:\/\/[^\s]+$/.test(base)) throw new UsageError(`--base: must be an http(s) URL, got ${JSON.stringify(base)}`);
  return base;
}

// ---------------------------------------------------------------- output

export interface Out {
  /** Hands `s` to the stream; waits while its buffer is full. Rejects once anything written failed. */
  write(s: string): Promise<void>;
  /** Resolves when everything written has arrived (a file: written and closed); rejects with the first failure. */
  close(): Promise<void>;
}

/**
 * An output over a stream. A failed write (a full disk, a closed pipe) is remembered
 * from its 'error' event or the stream's `errored` state and rejects the next write
 * or the close: no failure goes unreported, however few or small the writes were.
 * `own`: the stream is ended and closed by close() (a file); stdout is flushed only.
 */
function streamOut(stream: Writable, own: boolean, describe: (e: Error) => Error): Out {
  let failure: Error | null = null;
  const onError = (e: Error) => (failure ??= e);
  stream.on('error', onError);
  const check = () => {
    const e = failure ?? stream.errored;
    if (e) throw describe(e);
  };
  const settled = (events: string[]) =>
    new Promise<void>((resolve) => {
      const done = () => {
        for (const ev of events) stream.off(ev, done);
        resolve();
      };
      for (const ev of events) stream.on(ev, done);
    });
  return {
    async write(s) {
      check();
      if (!stream.write(s)) await settled(['drain', 'error', 'close']);
      check();
    },
    async close() {
      try {
        check();
        if (own) {
          stream.end();
          await new Promise<void>((resolve) => finished(stream, (e) => (e && (failure ??= e), resolve())));
        } else if (stream.writableLength > 0) {
          // Wait until stdout has taken every byte (a pipe may still hold some).
          await new Promise<void>((resolve) => stream.write('', (e) => (e && (failure ??= e), resolve())));
        }
        check();
      } finally {
        stream.off('error', onError);
      }
    },
  };
}

let stdoutGuarded = false;

/**
 * Standard output. A reader that closes the pipe (`gradscope run … | head`) ends the
 * command quietly (EPIPE, exit 0); any other failure is a usage error (exit 2).
 */
export function stdoutOut(): Out {
  // A write failure is emitted as an 'error' event, possibly after this output is
  // closed: without a listener it would crash the process with a stack trace.
  if (!stdoutGuarded) {
    process.stdout.on('error', () => {});
    stdoutGuarded = true;
  }
  return streamOut(process.stdout, false, (e) =>
    (e as NodeJS.ErrnoException).code === 'EPIPE' ? e : new UsageError(`cannot write to stdout (${reason(e)})`),
  );
}

/** "ENOSPC: no space left on device, write" → "ENOSPC: no space left on device". */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code && err.message.startsWith(`${err.code}: `)) return err.message.replace(/, [^,]*$/, '');
  return err.code ?? err.message;
}

function cannotWrite(option: string, path: string, e: unknown): UsageError {
  return new UsageError(`${option}: cannot write ${JSON.stringify(path)} (${reason(e)})`);
}

/** A file named by an option (`--out FILE`), opened now: a bad path is a usage error before any training. */
export function fileOut(path: string, option: string): Out {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw cannotWrite(option, path, e);
  }
  return streamOut(createWriteStream(path, { fd }), true, (e) => cannotWrite(option, path, e));
}

/** Writes a whole file named by an option; an empty text checks early that it can be written. */
export function writeFileOption(path: string, option: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw cannotWrite(option, path, e);
  }
}

/** Writes one text to stdout and waits until it is out (help, a URL). */
export async function printOut(text: string): Promise<void> {
  const out = stdoutOut();
  await out.write(text);
  await out.close();
}

// ---------------------------------------------------------------- failures

/**
 * The one failure reporter of every command: the message on stderr and the exit
 * status. A config's problems: one line each (at most five and a count), exit 2.
 * Bad usage or unwritable output: one line, exit 2. A closed pipe: nothing, exit 0.
 * Anything else: an internal error, one line, exit 1 (the stack with GRADSCOPE_DEBUG).
 */
export function reportFailure(e: unknown): number {
  if (e instanceof ConfigProblems) {
    process.stderr.write(capProblems(e.problems).join('\n') + '\n');
    return 2;
  }
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & { code?: string };
  if (err.code === 'EPIPE') return 0;
  const line = err.message.replace(/\s*\n\s*/g, ' ');
  if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`gradscope: ${line}\n`);
    return 2;
  }
  process.stderr.write(`gradscope: internal error: ${line}\n`);
  if (process.env.GRADSCOPE_DEBUG) process.stderr.write(String(err.stack) + '\n');
  return 1;
}
