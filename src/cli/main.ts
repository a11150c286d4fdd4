/**
 * The `gradscope` command: a thin host over the engine.
 *   gradscope run <config|file|url> [--steps N] [--format jsonl|csv] [--every K] [--out FILE] [--backend auto|cpu|wasm] [--engine auto|tfjs|typed]
 *   gradscope url <config|file|url> [--base URL]
 */
import { existsSync, readFileSync, createWriteStream, openSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DEFAULT_BASE_URL,
  parseExperimentJson,
  parseFragment,
  shareUrl,
  type Experiment,
  type ValidationResult,
} from '../engine/config.ts';
import { CLIP_META, OPTIMIZER_META, ACTIVATION_META, INIT_META, DATASET_META, NORM_META, SCHEDULE_META } from '../engine/meta.ts';
import { csvHeader, recordToCsv, recordToJson, type StepRecord } from '../engine/records.ts';

export class UsageError extends Error {}

export const MAX_CONFIG_BYTES = 1_000_000;

function list<T extends string>(m: Record<T, { help: string }>): string {
  return Object.entries<{ help: string }>(m)
    .map(([k, v]) => `    ${k.padEnd(15)} ${v.help}`)
    .join('\n');
}

export const MAIN_HELP = `gradscope — watch gradient explosion: train small nets and record per-layer gradient norms.

Usage:
  gradscope run <config> [options]   train every run of an experiment, one record per step
  gradscope url <config> [options]   print the share URL of an experiment
  gradscope sweep <sweep> [options]  hyper-parameter sweep in parallel threads, one line per trial
  gradscope <command> --help         help for a command

<config> is a path to a JSON file, a JSON string, or a share URL (anything with
the #e=… fragment). Either an experiment {"v":1,"runs":[…]} or a bare run config.
Exit status: 0 on success (diverged runs included), 2 for a bad config or usage.
`;

export const RUN_HELP = `gradscope run <config> [options]

Trains every run of the experiment in Node and writes one record per step of
every run (JSONL: one JSON object per line; non-finite numbers as "NaN",
"Infinity", "-Infinity").

Options:
  --steps N          override train.steps of every run (1..1000000)
  --format F         jsonl (default) or csv
  --every K          record every K-th step only (default 1)
  --out FILE         write the records to FILE instead of stdout
  --backend B        auto (default: wasm for MLPs, cpu for CNNs, which wasm
                     cannot train), cpu or wasm
  --engine E         auto (default: the typed engine, plain TypeScript over typed
                     arrays, for MLPs on the 2-D data sets, else tfjs), tfjs or typed
  -h, --help         this help

Record fields: run, label, step, loss, acc, lr, gradNorm, gradNormClipped,
status (ok|clipped|skipped|diverged), layers[{name, gradNorm, gradNormClipped,
weightNorm, updateNorm, actGradNorm}], and testLoss/testAcc on evaluation steps.

Clip modes (stabilizers.clip.mode):
${list(CLIP_META)}

Optimizers (optimizer.name):
${list(OPTIMIZER_META)}

Activations (model.activation):
${list(ACTIVATION_META)}

Initializers (model.init):
${list(INIT_META)}

Normalization (model.norm):
${list(NORM_META)}

LR schedules (optimizer.schedule.kind):
${list(SCHEDULE_META)}

Data sets (data.name):
${list(DATASET_META)}

Example:
  gradscope run '{"model":{"hidden":[32,32,32,32]}}' --steps 50
  gradscope run '{"model":{"initGain":3,"hidden":[64,64,64,64,64,64]},"optimizer":{"lr":0.5}}' --format csv
`;

export const URL_HELP = `gradscope url <config> [options]

Prints the share URL that opens the experiment in the page.

Options:
  --base URL         the page's address (default ${DEFAULT_BASE_URL}, or $GRADSCOPE_BASE_URL)
  -h, --help         this help
`;

/** Reads a config argument: JSON text, a share URL, or a file path. */
export function loadConfigArg(arg: string): ValidationResult<Experiment> {
  const text = arg.trim();
  if (text.startsWith('{') || text.startsWith('[')) return parseExperimentJson(text);
  if (text.includes('#') && !existsSync(text)) {
    const frag = parseFragment(text);
    if (frag.experiment === null) return { ok: false, errors: ['share URL: the link holds no experiment (no #e=… fragment)'] };
    return frag.experiment;
  }
  if (!existsSync(text)) return { ok: false, errors: [`config: no such file "${text}" (give a JSON file, a JSON string or a share URL)`] };
  const st = statSync(text);
  if (!st.isFile()) return { ok: false, errors: [`config: "${text}" is not a file`] };
  if (st.size > MAX_CONFIG_BYTES) return { ok: false, errors: [`config: file is ${st.size} bytes, at most ${MAX_CONFIG_BYTES} allowed`] };
  const content = readFileSync(text, 'utf8').trim();
  // A file holds JSON or a share URL. JSON first: a label may well contain "#e=".
  const json = content.startsWith('{') || content.startsWith('[');
  if (!json && (content.startsWith('http') || content.includes('#e='))) {
    const frag = parseFragment(content);
    if (frag.experiment) return frag.experiment;
  }
  return parseExperimentJson(content);
}

export function intOption(name: string, v: string | undefined, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < lo || n > hi) {
    throw new UsageError(`--${name}: must be an integer ${lo}..${hi}, got ${JSON.stringify(v)}`);
  }
  return n;
}

export interface Out {
  write(s: string): Promise<void>;
  close(): Promise<void>;
}

function stdoutOut(): Out {
  // A closed pipe (`gradscope run … | head`) is reported as an 'error' event: without a
  // listener it would crash the process with a stack trace. Remember it and stop.
  let failure: NodeJS.ErrnoException | null = null;
  const onError = (e: NodeJS.ErrnoException) => (failure = e);
  process.stdout.on('error', onError);
  return {
    write: (s) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        if (!process.stdout.write(s)) {
          const done = () => {
            process.stdout.off('drain', done);
            process.stdout.off('error', done);
            if (failure) reject(failure);
            else resolve();
          };
          process.stdout.on('drain', done);
          process.stdout.on('error', done);
        } else resolve();
      }),
    close: async () => {
      // main() may run many times in one process (tests): do not pile up listeners.
      process.stdout.off('error', onError);
      if (failure) throw failure;
    },
  };
}

function fileOut(path: string): Out {
  // Open synchronously, so that a bad path is a usage error before any training
  // (a stream's asynchronous 'error' event would otherwise go unhandled).
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--out: cannot write ${JSON.stringify(path)} (${err.code ?? err.message})`);
  }
  const ws = createWriteStream(path, { fd });
  // One permanent listener (not one per write: that piles up listeners and warns).
  let failure: Error | null = null;
  ws.on('error', (e) => (failure = e));
  const failed = () => new UsageError(`--out: cannot write ${JSON.stringify(path)} (${failure?.message})`);
  return {
    write: (s) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failed());
        if (!ws.write(s)) {
          const done = () => {
            ws.off('drain', done);
            ws.off('error', done);
            if (failure) reject(failed());
            else resolve();
          };
          ws.on('drain', done);
          ws.on('error', done);
        } else resolve();
      }),
    close: () => new Promise((resolve, reject) => ws.end(() => (failure ? reject(failed()) : resolve()))),
  };
}

async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      steps: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
      every: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      engine: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('run: expects exactly one <config> (see gradscope run --help)');
  const steps = intOption('steps', values.steps, 1, 1_000_000);
  const every = intOption('every', values.every, 1, 1_000_000) ?? 1;
  const format = values.format;
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format: must be jsonl or csv, got ${JSON.stringify(format)}`);
  const backend = values.backend;
  if (backend !== 'auto' && backend !== 'cpu' && backend !== 'wasm') {
    throw new UsageError(`--backend: must be auto, cpu or wasm, got ${JSON.stringify(backend)}`);
  }
  const loaded = loadConfigArg(positionals[0]);
  if (!loaded.ok) {
    process.stderr.write(loaded.errors.join('\n') + '\n');
    return 2;
  }
  const exp = loaded.value;
  if (backend === 'wasm' && exp.runs.some((r) => r.model.arch === 'cnn')) {
    throw new UsageError('--backend wasm: the wasm backend cannot train conv nets (model.arch cnn); use cpu or auto');
  }
  const engine = values.engine;
  if (engine !== 'auto' && engine !== 'tfjs' && engine !== 'typed') throw new UsageError(`--engine: must be auto, tfjs or typed, got ${JSON.stringify(engine)}`);
  if (engine === 'typed') {
    const { typedEngineSupports } = await import('../engine/typed/supports.ts');
    exp.runs.forEach((r, i) => {
      const why = typedEngineSupports(r);
      if (why) throw new UsageError(`--engine typed: run ${i} (${JSON.stringify(r.label)}): ${why}; use --engine auto or tfjs`);
    });
  }
  if (steps !== undefined) for (const r of exp.runs) r.train.steps = steps;

  const out = values.out ? fileOut(values.out) : stdoutOut();

  // Load TensorFlow.js only now: a bad config or --help answers at once.
  const { setNodeBackend } = await import('../node/tf-node.ts');
  const { trainRun } = await import('../engine/trainer.ts');
  const { layerNamesFor } = await import('../engine/model.ts');

  const allLayers = [...new Set(exp.runs.flatMap((r) => layerNamesFor(r.model)))];
  if (format === 'csv') await out.write(csvHeader(allLayers) + '\n');
  let pending = '';
  const flush = async () => {
    if (pending) {
      const s = pending;
      pending = '';
      await out.write(s);
    }
  };
  for (let i = 0; i < exp.runs.length; i++) {
    const run = exp.runs[i];
    const b = backend === 'auto' ? (run.model.arch === 'cnn' ? 'cpu' : 'wasm') : backend;
    await setNodeBackend(b);
    const records: StepRecord[] = [];
    await trainRun(run, i, {
      chunk: 32,
      engine,
      onStep: (r) => {
        if (r.step % every === 0) records.push(r);
      },
      onChunk: async () => {
        for (const r of records) pending += (format === 'csv' ? recordToCsv(r, allLayers) : recordToJson(r)) + '\n';
        records.length = 0;
        await flush();
      },
    });
  }
  await flush();
  await out.close();
  return 0;
}

async function cmdUrl(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { base: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(URL_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('url: expects exactly one <config> (see gradscope url --help)');
  const loaded = loadConfigArg(positionals[0]);
  if (!loaded.ok) {
    process.stderr.write(loaded.errors.join('\n') + '\n');
    return 2;
  }
  const base = values.base ?? process.env.GRADSCOPE_BASE_URL ?? DEFAULT_BASE_URL;
  if (!/^https?:\/\/[^\s]+$/.test(base)) throw new UsageError(`--base: must be an http(s) URL, got ${JSON.stringify(base)}`);
  process.stdout.write(shareUrl(loaded.value, base) + '\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
        return await cmdRun(rest);
      case 'sweep':
        return await (await import('./sweep.ts')).cmdSweep(rest);
      case 'url':
        return await cmdUrl(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(MAIN_HELP);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)} (commands: run, url, sweep; see gradscope --help)`);
    }
  } catch (e) {
    return reportFailure(e);
  }
}

/** A command's failure as one line on stderr and its exit status: 2 bad input, 0 closed pipe, 1 otherwise. */
export function reportFailure(e: unknown): number {
  const err = e as Error & { code?: string };
  if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`gradscope: ${err.message}\n`);
    return 2;
  }
  if (err.code === 'EPIPE') return 0;
  process.stderr.write(`gradscope: internal error: ${err.message}\n`);
  if (process.env.GRADSCOPE_DEBUG) process.stderr.write(String(err.stack) + '\n');
  return 1;
}
