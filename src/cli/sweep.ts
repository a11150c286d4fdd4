/**
 * `gradscope sweep <sweep-config|file|url>`: runs a hyper-parameter sweep in
 * parallel Node worker threads and writes one JSON line per finished trial, then
 * a summary line with the best trial. Same validation and exit codes as `run`:
 * 0 on success (diverged trials included), 2 for a bad config or usage (one line
 * per problem on stderr), 1 for an internal failure.
 */
import { existsSync, openSync, readFileSync, statSync, createWriteStream, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { DEFAULT_BASE_URL, type ValidationResult } from '../engine/config.ts';
import {
  MAX_STEPS_PER_TRIAL,
  OBJECTIVES,
  METHODS,
  parseSweepFragment,
  parseSweepJson,
  parseSweep,
  sweepToJson,
  type SweepConfig,
} from '../engine/sweep/schema.ts';
import { PARAM_CHOICES as CHOICES, METHOD_HELP, OBJECTIVE_HELP } from '../engine/sweep/meta.ts';
import { better, type TrialResult } from '../engine/sweep/result.ts';
import type { TrialSpec } from '../engine/sweep/planner.ts';
import { summaryToJson, trialToJson, trialUrl, trialsToCsv } from '../engine/sweep/format.ts';
import type { FromSweepThread, ToSweepThread } from '../node/sweep-worker.ts';
import { MAX_CONFIG_BYTES, UsageError, intOption, reportFailure, type Out } from './main.ts';

const MAX_WORKERS = 64;

export const SWEEP_HELP = `gradscope sweep <sweep-config> [options]

Runs a hyper-parameter sweep: trains one short run per trial, in parallel worker
threads, and writes one JSON line per finished trial (in the order they finish),
then one summary line with the best trial. Trials that diverge are recorded and
score the worst value; the exit status is still 0.

<sweep-config> is a JSON string, a path to a JSON file, or a page link holding
a sweep (#…&sweep=…). The config:

  {"v": 1,
   "base": RunConfig,                       the run every trial starts from
   "params": [                              1..3 parameters
     {"path": "optimizer.lr", "scale": "log", "min": 0.001, "max": 3, "steps": 8},
     {"path": "model.hidden.length", "scale": "list", "values": [2, 4, 8]}],
   "method": "grid",                        ${METHODS.join(' | ')}
   "budget": 20,                            points for random / bayes (grid: the whole grid)
   "stepsPerTrial": 200,                    training steps of each trial (sets train.steps)
   "objective": "final_loss",               ${OBJECTIVES.join(' | ')}
   "seed": 1,                               the same config gives the same trials
   "bayes": {"initial": 5, "batch": 2, "candidates": 2000},
   "compare": {"stabilizers.clip": {"mode": "global_norm"}}}
                                            optional: every point also trained with
                                            these changes (side-by-side maps)

A path is any numeric field of the run config, plus model.hidden.length (depth)
and model.hidden.width (units of every hidden layer). Common ones:
${CHOICES.map((c) => `    ${c.path.padEnd(28)} ${c.label}`).join('\n')}

Scales: linear, log (geometric grid; log-uniform draws), list (the given values).
Methods:
    grid    ${METHOD_HELP.grid}
    random  ${METHOD_HELP.random}
    bayes   ${METHOD_HELP.bayes}
Objectives:
    final_loss  ${OBJECTIVE_HELP.final_loss}
    test_acc    ${OBJECTIVE_HELP.test_acc}

Options:
  --workers N        worker threads (default: os.availableParallelism(), at most
                     the number of trials)
  --steps N          override stepsPerTrial (1..${MAX_STEPS_PER_TRIAL})
  --backend B        auto (default: wasm for MLPs, cpu for CNNs), cpu or wasm
  --out FILE         write the JSON lines to FILE instead of stdout
  --csv FILE         also write every trial as CSV (one row per trial) at the end
  --base URL         page address for the trials' share URLs (default ${DEFAULT_BASE_URL})
  -h, --help         this help

Trial line: {"type":"trial", index, point, variant, variantLabel, params{path:value},
values, cell (grid), chosenBy (grid|random|bayes), round, objectiveName, objective,
status (ok|diverged|invalid|error), diverged, divergedAt (first diverged step),
finalLoss, testAcc, trainLoss, trainAcc, maxGradNorm, stepsRun, ms, config, url}.
Summary line: {"type":"summary", trials, finished, diverged, invalid, errors, best,
bestUrl, variants[{label, best, trials, diverged}], ms, workers, backend}.

Example:
  gradscope sweep '{"base":{"model":{"hidden":[32,32,32,32,32,32]}},"params":[{"path":"optimizer.lr","scale":"log","min":0.001,"max":3,"steps":8},{"path":"model.initGain","scale":"log","min":0.25,"max":4,"steps":8}],"stepsPerTrial":200}'
`;

/** Reads a sweep argument: JSON text, a page link with `sweep=`, or a file path. */
export function loadSweepArg(arg: string): ValidationResult<SweepConfig> {
  const text = arg.trim();
  const fromLink = (u: string): ValidationResult<SweepConfig> =>
    parseSweepFragment(u) ?? { ok: false, errors: ['share URL: the link holds no sweep (no sweep=… in the fragment; share it from the page’s sweep panel)'] };
  if (text.startsWith('{') || text.startsWith('[')) return parseSweepJson(text);
  if (text.includes('#') && !existsSync(text)) return fromLink(text);
  if (!existsSync(text)) return { ok: false, errors: [`sweep: no such file "${text}" (give a JSON file, a JSON string or a share URL)`] };
  const st = statSync(text);
  if (!st.isFile()) return { ok: false, errors: [`sweep: "${text}" is not a file`] };
  if (st.size > MAX_CONFIG_BYTES) return { ok: false, errors: [`sweep: file is ${st.size} bytes, at most ${MAX_CONFIG_BYTES} allowed`] };
  const content = readFileSync(text, 'utf8').trim();
  if (content.startsWith('http') || content.includes('sweep=')) return fromLink(content);
  return parseSweepJson(content);
}

function streamOut(stream: NodeJS.WritableStream, onFail: (e: Error) => Error): Out {
  // One permanent listener: a closed pipe (`… | head`) or a full disk is remembered, not thrown at random.
  let failure: Error | null = null;
  stream.on('error', (e: Error) => (failure = e));
  return {
    write: (s) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(onFail(failure));
        if (!stream.write(s)) {
          const done = () => {
            stream.off('drain', done);
            stream.off('error', done);
            if (failure) reject(onFail(failure));
            else resolve();
          };
          stream.on('drain', done);
          stream.on('error', done);
        } else resolve();
      }),
    close: () =>
      new Promise((resolve, reject) => {
        if (stream === process.stdout) return failure ? reject(onFail(failure)) : resolve();
        stream.end(() => (failure ? reject(onFail(failure)) : resolve()));
      }),
  };
}

function fileOut(path: string, option: string): Out {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`${option}: cannot write ${JSON.stringify(path)} (${err.code ?? err.message})`);
  }
  return streamOut(createWriteStream(path, { fd }), (e) => new UsageError(`${option}: cannot write ${JSON.stringify(path)} (${e.message})`));
}

// ---------------------------------------------------------------- worker threads

/** The URL tsx's ESM API is imported from inside a worker thread. */
function tsxApiUrl(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve === 'function') {
    try {
      return meta.resolve('tsx/esm/api');
    } catch {
      /* fall through */
    }
  }
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

/**
 * A worker thread runs src/node/sweep-worker.ts. Like bin/gradscope.mjs, it
 * registers tsx before importing TypeScript: the tiny bootstrap is an ES module
 * given as a data: URL (tsx's hooks are per thread in Node 20).
 */
function spawnThread(backend: 'cpu' | 'wasm'): Worker {
  const entry = new URL('../node/sweep-worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsxApiUrl())};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: { backend }, stdout: false, stderr: false });
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Settles `ready` with a failure (the pool was closed while the thread was starting). */
  abort: (e: Error) => void;
  job: { spec: TrialSpec; resolve: (r: TrialResult) => void; reject: (e: Error) => void } | null;
}

class ThreadPool {
  private slots: Slot[] = [];
  private closing = false;
  constructor(
    readonly size: number,
    readonly backend: 'cpu' | 'wasm',
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = spawnThread(this.backend);
    const slot: Slot = { worker, ready: Promise.resolve(), abort: () => {}, job: null };
    slot.ready = new Promise<void>((resolve, reject) => {
      slot.abort = reject;
      worker.on('message', (m: FromSweepThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fatal') reject(new Error(m.message));
        else if (m.type === 'result' && slot.job) {
          const j = slot.job;
          slot.job = null;
          j.resolve(m.result);
        }
      });
      const fail = (e: Error) => {
        reject(e);
        if (slot.job) {
          const j = slot.job;
          slot.job = null;
          j.reject(e);
        }
        // Replace a crashed thread so the sweep can go on.
        if (!this.closing) {
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots[i] = this.spawn();
        }
      };
      worker.on('error', (e: Error) => fail(new Error(`worker thread failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closing) fail(new Error(`worker thread exited (code ${code})`));
      });
    });
    slot.ready.catch(() => {});
    return slot;
  }

  /** Resolves when every thread has loaded TensorFlow.js; rejects with the first start-up failure. */
  async started(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  run(spec: TrialSpec): Promise<TrialResult> {
    const slot = this.slots.find((s) => !s.job);
    if (!slot) return Promise.reject(new Error('no free worker thread'));
    return new Promise<TrialResult>((resolve, reject) => {
      slot.job = { spec, resolve, reject };
      slot.ready.then(
        () => slot.worker.postMessage({ type: 'trial', spec } satisfies ToSweepThread),
        (e: Error) => {
          if (slot.job?.spec === spec) {
            slot.job = null;
            reject(e);
          }
        },
      );
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.slots) {
      s.abort(new Error('cancelled'));
      if (s.job) {
        s.job.reject(new Error('cancelled'));
        s.job = null;
      }
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

// ---------------------------------------------------------------- progress

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toPrecision(3);
}

function progressLine(done: number, total: number, diverged: number, best: TrialResult | null, workers: number, t0: number): string {
  const width = 24;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const b = best ? ` · best ${fmt(best.objective)} (#${best.point + 1})` : '';
  return `\r\x1b[K${bar} ${done}/${total} trials · ${diverged} diverged${b} · ${workers} worker${workers === 1 ? '' : 's'} · ${((Date.now() - t0) / 1000).toFixed(0)} s`;
}

// ---------------------------------------------------------------- command

export async function cmdSweep(argv: string[]): Promise<number> {
  try {
    return await sweep(argv);
  } catch (e) {
    return reportFailure(e);
  }
}

async function sweep(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workers: { type: 'string' },
      steps: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string' },
      csv: { type: 'string' },
      base: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SWEEP_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('sweep: expects exactly one <sweep-config> (see gradscope sweep --help)');
  const workersOpt = intOption('workers', values.workers, 1, MAX_WORKERS);
  const steps = intOption('steps', values.steps, 1, MAX_STEPS_PER_TRIAL);
  const backendOpt = values.backend;
  if (backendOpt !== 'auto' && backendOpt !== 'cpu' && backendOpt !== 'wasm') {
    throw new UsageError(`--backend: must be auto, cpu or wasm, got ${JSON.stringify(backendOpt)}`);
  }
  const base = values.base ?? process.env.GRADSCOPE_BASE_URL ?? DEFAULT_BASE_URL;
  if (!/^https?:\/\/[^\s]+$/.test(base)) throw new UsageError(`--base: must be an http(s) URL, got ${JSON.stringify(base)}`);

  let loaded = loadSweepArg(positionals[0]);
  if (loaded.ok && steps !== undefined) loaded = parseSweep({ ...sweepToJson(loaded.value), stepsPerTrial: steps });
  if (!loaded.ok) {
    process.stderr.write(loaded.errors.join('\n') + '\n');
    return 2;
  }
  const cfg = loaded.value;
  const isCnn = cfg.base.model.arch === 'cnn';
  if (backendOpt === 'wasm' && isCnn) {
    throw new UsageError('--backend wasm: the wasm backend cannot train conv nets (model.arch cnn); use cpu or auto');
  }
  const backend = backendOpt === 'auto' ? (isCnn ? 'cpu' : 'wasm') : backendOpt;

  const out = values.out ? fileOut(values.out, '--out') : streamOut(process.stdout, (e) => e);
  if (values.csv) {
    try {
      writeFileSync(values.csv, '');
    } catch (e) {
      throw new UsageError(`--csv: cannot write ${JSON.stringify(values.csv)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  // Load the engine (TensorFlow.js) only now: a bad config or --help answers at once.
  const { SweepPlanner } = await import('../engine/sweep/planner.ts');
  const { runSweep } = await import('../engine/sweep/runner.ts');
  const total = new SweepPlanner(cfg).total;
  const workers = Math.max(1, Math.min(workersOpt ?? availableParallelism(), total));
  const pool = new ThreadPool(workers, backend);
  const controller = new AbortController();
  const onSigint = () => {
    controller.abort();
    void pool.close();
  };
  process.once('SIGINT', onSigint);

  const tty = !!process.stderr.isTTY;
  const t0 = Date.now();
  let diverged = 0;
  let best: TrialResult | null = null;
  let writeError: Error | null = null;
  let writes: Promise<void> = Promise.resolve();
  const results: TrialResult[] = [];
  try {
    try {
      await pool.started();
    } catch (e) {
      if (controller.signal.aborted) {
        process.stderr.write('gradscope: sweep cancelled\n');
        return 130;
      }
      throw new Error(`cannot start the sweep's worker threads: ${(e as Error).message}`, { cause: e });
    }
    if (tty) process.stderr.write(progressLine(0, total, 0, null, workers, t0));
    const { summary } = await runSweep(cfg, (spec) => pool.run(spec), {
      concurrency: workers,
      signal: controller.signal,
      onTrial: (r, done) => {
        results.push(r);
        if (r.diverged) diverged++;
        if (r.variant === 0 && better(r, best)) best = r;
        const line = trialToJson(r, { url: trialUrl(r, base) }) + '\n';
        writes = writes.then(() => out.write(line)).catch((e: Error) => {
          writeError ??= e;
          controller.abort();
          void pool.close();
        });
        if (tty) process.stderr.write(progressLine(done, total, diverged, best, workers, t0));
      },
    });
    await writes;
    if (writeError) throw writeError;
    if (tty) process.stderr.write('\r\x1b[K');
    const bestUrl = summary.best ? trialUrl(summary.best, base) : null;
    await out.write(summaryToJson(summary, { bestUrl, workers, backend }) + '\n');
    await out.close();
    if (values.csv) {
      const sorted = [...results].sort((a, b) => a.index - b.index);
      writeFileSync(values.csv, trialsToCsv(sorted, cfg.params.map((p) => p.path), base));
    }
    if (summary.cancelled) {
      process.stderr.write('gradscope: sweep cancelled\n');
      return 130;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await pool.close();
  }
}
