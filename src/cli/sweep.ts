/**
 * `gradscope sweep <sweep-config|file|url>`: runs a hyper-parameter sweep in
 * parallel Node worker threads and writes one JSON line per finished trial, then
 * a summary line with the best trial. Same validation and exit codes as `run`:
 * 0 on success (diverged trials included), 2 for a bad config, a bad option or
 * output that cannot be written (one line per problem on stderr), 1 for an
 * internal failure.
 */
import { resolveRunData } from './data.ts';
import { availableParallelism } from 'node:os';
import { DEFAULT_BASE_URL } from '../engine/shareLink.ts';
import { MAX_STEPS_PER_TRIAL, MAX_POINTS, MAX_STORED_GRID_POINTS, OBJECTIVES, METHODS, STORED_SWEEP_LIMITS, parseSweep, sweepToJson } from '../engine/sweep/schema.ts';
import { PARAM_CHOICES as CHOICES, METHOD_HELP, OBJECTIVE_HELP } from '../engine/sweep/meta.ts';
import { better, type TrialResult } from '../engine/sweep/result.ts';
import { summaryToJson, trialToJson, trialUrl, trialsToCsv } from '../engine/sweep/format.ts';
import { ThreadPool } from '../node/sweep-pool.ts';
import { STORED_SWEEP_OPTIONS_HELP, STORE_HELP, cmdSweepResults, cmdSweepStatus, heartbeatOption, storeOption, storedSweep } from './stored.ts';
import {
  UsageError,
  backendFor,
  backendOption,
  baseOption,
  fileOut,
  intOption,
  loadSweepArg,
  parseCommand,
  printOut,
  reportFailure,
  stdoutOut,
  validated,
  writeFileOption,
} from './io.ts';

const MAX_WORKERS = 64;

export const SWEEP_HELP = `gradscope sweep <sweep-config> [options]
gradscope sweep status <id> --store <dir|url>     progress of a stored sweep
gradscope sweep results <id> --store <dir|url>    its finished trials (JSONL or CSV)

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
   "budget": 20,                            points for random / bayes (grid: the whole grid,
                                            at most ${MAX_POINTS} points; ${MAX_STORED_GRID_POINTS} with --store)
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
${STORED_SWEEP_OPTIONS_HELP}
  -h, --help         this help

Trial line: {"type":"trial", index, point, variant, variantLabel, params{path:value},
values, cell (grid), chosenBy (grid|random|bayes), round, objectiveName, objective,
status (ok|diverged|invalid|error), diverged, divergedAt (first diverged step),
finalLoss, testAcc, trainLoss, trainAcc, maxGradNorm, stepsRun, ms, config, url}.
Summary line: {"type":"summary", trials, finished, diverged, invalid, errors, best,
bestUrl, variants[{label, best, trials, diverged}], ms, workers, backend}.

Sweeps across machines: create the sweep in a store, then start agents
(gradscope agent --help) here and on other machines; with --store the sweep
command itself also runs trials and prints the lines above for every trial.

${STORE_HELP}
Example:
  gradscope sweep '{"base":{"model":{"hidden":[32,32,32,32,32,32]}},"params":[{"path":"optimizer.lr","scale":"log","min":0.001,"max":3,"steps":8},{"path":"model.initGain","scale":"log","min":0.25,"max":4,"steps":8}],"stepsPerTrial":200}'
`;

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
    if (argv[0] === 'status') return await cmdSweepStatus(argv.slice(1));
    if (argv[0] === 'results') return await cmdSweepResults(argv.slice(1));
    return await sweep(argv);
  } catch (e) {
    return reportFailure(e);
  }
}

async function sweep(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    workers: { type: 'string' },
    steps: { type: 'string' },
    backend: { type: 'string' },
    out: { type: 'string' },
    csv: { type: 'string' },
    base: { type: 'string' },
    store: { type: 'string' },
    'create-only': { type: 'boolean' },
    'heartbeat-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    await printOut(SWEEP_HELP);
    return 0;
  }
  const storeSpec = values.store === undefined ? undefined : storeOption(values.store, 'sweep');
  if (storeSpec === undefined && values['create-only']) throw new UsageError('--create-only: needs --store <dir|url>');
  if (storeSpec === undefined && values['heartbeat-timeout'] !== undefined) throw new UsageError('--heartbeat-timeout: needs --store <dir|url>');
  const leaseMs = heartbeatOption(values['heartbeat-timeout']);
  if (positionals.length !== 1) throw new UsageError('sweep: expects exactly one <sweep-config> (see gradscope sweep --help)');
  const workersOpt = intOption('workers', values.workers, 1, MAX_WORKERS);
  const steps = intOption('steps', values.steps, 1, MAX_STEPS_PER_TRIAL);
  const backendOpt = backendOption(values.backend);
  const base = baseOption(values.base);

  // A stored sweep may be a larger grid: agents on many machines share it.
  const limits = storeSpec === undefined ? {} : STORED_SWEEP_LIMITS;
  let cfg = validated(loadSweepArg(positionals[0], limits));
  if (steps !== undefined) cfg = validated(parseSweep({ ...sweepToJson(cfg), stepsPerTrial: steps }, limits));
  // A CSV named by data.path is read (and checked) once, here; its text travels in every trial's config.
  resolveRunData({ v: 1, runs: [cfg.base] }, undefined);
  const backend = backendFor(backendOpt, cfg.base.model.arch);

  if (storeSpec !== undefined) {
    if (values.csv) writeFileOption(values.csv, '--csv', '');
    const csv = values.csv;
    return storedSweep({
      cfg,
      storeSpec,
      createOnly: !!values['create-only'],
      workers: workersOpt,
      backend: backendOpt,
      leaseMs,
      out: () => (values.out ? fileOut(values.out, '--out') : stdoutOut()),
      base,
      csv: csv ? (rs) => writeFileOption(csv, '--csv', trialsToCsv(rs, cfg.params.map((p) => p.path), base)) : undefined,
      progress: progressLine,
    });
  }

  const out = values.out ? fileOut(values.out, '--out') : stdoutOut();
  if (values.csv) writeFileOption(values.csv, '--csv', '');

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
      writeFileOption(values.csv, '--csv', trialsToCsv(sorted, cfg.params.map((p) => p.path), base));
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
