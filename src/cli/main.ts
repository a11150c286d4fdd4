/**
 * The `gradscope` command: a thin host over the engine.
 *   gradscope run <config|file|url> [--steps N] [--format jsonl|csv] [--every K] [--out FILE] [--backend auto|cpu|wasm] [--engine auto|tfjs|typed]
 *   gradscope url <config|file|url> [--base URL]
 *   gradscope sweep <sweep|file|url> [options]   (sweep.ts)
 *   gradscope theory <config|file|url> [--backend auto|cpu|wasm]   (theory.ts)
 *   gradscope agent --store <dir|url> [options]   (stored.ts)
 * Arguments, options, output and failures: io.ts.
 */
import { DEFAULT_BASE_URL, shareUrl } from '../engine/shareLink.ts';
import { CLIP_META, OPTIMIZER_FORMULAS, OPTIMIZER_META, ACTIVATION_META, INIT_META, DATASET_META, NORM_META, SCHEDULE_META } from '../engine/meta.ts';
import { csvHeader, recordToCsv, recordToJson, type StepRecord } from '../engine/records.ts';
import { CSV_LIMITS } from '../engine/data/csv.ts';
import { loadRunData, resolveRunData } from './data.ts';
import {
  UsageError,
  backendFor,
  backendOption,
  baseOption,
  fileOut,
  intOption,
  loadConfigArg,
  parseCommand,
  printOut,
  reportFailure,
  stdoutOut,
  validated,
} from './io.ts';

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
  gradscope theory <config>          the theory line at initialization, one line per run
  gradscope agent --store <dir|url>  run trials of sweeps kept in a store (many agents, many machines)
  gradscope <command> --help         help for a command

<config> is a path to a JSON file, a JSON string, or a share URL (anything with
the #e=… fragment). Either an experiment {"v":1,"runs":[…]} or a bare run config.
Exit status: 0 on success (diverged runs included), 2 for a bad config, a bad
option or output that cannot be written (one line per problem on stderr, at most
five and a count), 1 for an internal error.
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
                     arrays, for MLPs on any data set, tfjs for conv nets and
                     very large MLPs), tfjs or typed
  --data FILE        train every run on this CSV file (a header row, numeric
                     features, one target column: data.target, default the last);
                     a config or link that names a file by its SHA-256 must get it
  -h, --help         this help

Record fields: run, label, step, loss, acc, lr, gradNorm, gradNormClipped,
status (ok|clipped|skipped|diverged), layers[{name, gradNorm, gradNormClipped,
weightNorm, updateNorm, actGradNorm}], and testLoss/testAcc on evaluation steps.
For a regression (data sets plane and housing, a CSV with a numeric target)
loss is the mean squared error and acc/testAcc the R² of the batch/test set.

CSV limits: at most ${CSV_LIMITS.maxBytes} bytes, ${CSV_LIMITS.maxRows} data rows, ${CSV_LIMITS.maxColumns} columns,
${CSV_LIMITS.maxClasses} classes; {"data": {"name": "csv", "path": "file.csv"}} reads a file.

Clip modes (stabilizers.clip.mode):
${list(CLIP_META)}

Optimizers (optimizer.name):
${list(OPTIMIZER_META)}

Optimizer updates (PyTorch's conventions; g the gradient after clipping, η the step's
learning rate, t the optimizer's step count from 1; then w ← w − η·λ·w for weightDecay λ):
${Object.entries(OPTIMIZER_FORMULAS)
  .map(([k, v]) => `    ${k.padEnd(15)} ${v}`)
  .join('\n')}

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

Feature scaling (data.standardize): none | inputs | inputs_and_target (z-scores
from the training split). Task of a CSV (data.task): auto | classification | regression.

Example:
  gradscope run '{"model":{"hidden":[32,32,32,32]}}' --steps 50
  gradscope run '{"model":{"initGain":3,"hidden":[64,64,64,64,64,64]},"optimizer":{"lr":0.5}}' --format csv
`;

export const URL_HELP = `gradscope url <config> [options]

Prints the share URL that opens the experiment in the page.

Options:
  --base URL         the page's address (default ${DEFAULT_BASE_URL}, or $GRADSCOPE_BASE_URL)
  --data FILE        every run on this CSV file (as gradscope run --data); a small
                     file travels inside the link, a larger one by name, size and SHA-256
  -h, --help         this help
`;

async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    steps: { type: 'string' },
    format: { type: 'string', default: 'jsonl' },
    every: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    await printOut(RUN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('run: expects exactly one <config> (see gradscope run --help)');
  const steps = intOption('steps', values.steps, 1, 1_000_000);
  const every = intOption('every', values.every, 1, 1_000_000) ?? 1;
  const format = values.format;
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format: must be jsonl or csv, got ${JSON.stringify(format)}`);
  const backend = backendOption(values.backend);
  const exp = validated(loadConfigArg(positionals[0]));
  resolveRunData(exp, values.data);
  const backends = exp.runs.map((r) => backendFor(backend, r.model.arch));
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

  const out = values.out ? fileOut(values.out, '--out') : stdoutOut();

  // Load TensorFlow.js only now: a bad config or --help answers at once.
  await loadRunData(exp);
  const { setNodeBackend } = await import('../node/tf-node.ts');
  const { trainRun } = await import('../engine/train.ts');
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
    await setNodeBackend(backends[i]);
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
  const { values, positionals } = parseCommand(argv, { base: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    await printOut(URL_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('url: expects exactly one <config> (see gradscope url --help)');
  const exp = validated(loadConfigArg(positionals[0]));
  resolveRunData(exp, values.data);
  const base = baseOption(values.base);
  await printOut(shareUrl(exp, base) + '\n');
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
      case 'theory':
        return await (await import('./theory.ts')).cmdTheory(rest);
      case 'agent':
        return await (await import('./stored.ts')).cmdAgent(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        await printOut(MAIN_HELP);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)} (commands: run, url, sweep, theory, agent; see gradscope --help)`);
    }
  } catch (e) {
    return reportFailure(e);
  }
}
