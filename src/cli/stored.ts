/**
 * Sweeps in a store (src/node/store): `gradscope sweep <config> --store …`
 * (create or resume, run in local threads, print today's lines),
 * `gradscope sweep status|results <id> --store …` and `gradscope agent --store …`.
 * Arguments, output and failures follow io.ts: bad arguments are one line on
 * stderr and exit 2.
 */
import { availableParallelism } from 'node:os';
import { STORED_SWEEP_LIMITS, parseSweep, sweepToJson, type SweepConfig } from '../engine/sweep/schema.ts';
import { better, bestTrial, type TrialResult } from '../engine/sweep/result.ts';
import { summaryToJson, trialToJson, trialUrl, trialsToCsv } from '../engine/sweep/format.ts';
import type { NodeBackend } from '../node/tf-node.ts';
import type { TrialSpec } from '../engine/sweep/planner.ts';
import type { SweepStore } from '../node/store/sql.ts';
import { DEFAULT_HEARTBEAT_TIMEOUT_S, agentName, storedTrial, workOn } from '../node/store/work.ts';
import { openStore, storeSpecProblem } from '../node/store/open.ts';
import { UsageError, backendFor, backendOption, baseOption, fileOut, intOption, parseCommand, printOut, stdoutOut, type Out } from './io.ts';

const MAX_THREADS = 64;
const MAX_HEARTBEAT_TIMEOUT_S = 86_400;

export const STORE_HELP = `Stores (--store <dir|url>):
  DIR                an embedded store: a PGlite database (Postgres in
                     WebAssembly) in DIR, created when missing; nothing to
                     install. Any number of gradscope processes on this machine
                     can use it at once: the first one holds the database and
                     serves the others over a loopback connection; when it
                     stops, another takes over.
  postgres://…       a Postgres server (the same tables and SQL), for agents on
                     several machines, e.g. postgres://user:pass@host:5432/db
`;

export const SWEEP_STATUS_HELP = `gradscope sweep status <id> --store <dir|url>

Prints one JSON line with the sweep's progress: {sweep, method, trials,
unplanned (Bayesian points not chosen yet), planned, claimed, finished, failed,
diverged, reclaimed (claims handed out again after an agent stopped beating),
done, agents (holding a live claim), best {trial, objective, params}}.

Options:
  --store S          the store (required)
  -h, --help         this help

${STORE_HELP}`;

export const SWEEP_RESULTS_HELP = `gradscope sweep results <id> --store <dir|url> [options]

Prints every finished trial of the sweep, in trial order: one JSON line per
trial (the trial lines of gradscope sweep, with "trial": its index), or CSV
(one row per trial, as gradscope sweep --csv writes it).

Options:
  --store S          the store (required)
  --format F         jsonl (default) or csv
  --out FILE         write to FILE instead of stdout
  --base URL         page address for the trials' share URLs
  -h, --help         this help

${STORE_HELP}`;

export const AGENT_HELP = `gradscope agent --store <dir|url> [options]

Claims trials of stored sweeps and trains them in worker threads until the
sweep is done (without --sweep: every sweep in the store with trials left, the
oldest first). Start as many agents as you like, on this machine or (with a
Postgres store) on others: each trial is claimed by one agent at a time, and
the claim of an agent that stops (killed, crashed, lost its network) runs out
after --heartbeat-timeout and is handed to another. Writes one JSON line per
trial it finished ({"sweep", "trial", …the trial line of gradscope sweep}).
Create a sweep with gradscope sweep <config> --store S --create-only.

Options:
  --store S               the store (required)
  --sweep ID              work on this sweep only
  --threads N             worker threads (default: os.availableParallelism())
  --backend B             auto (default: wasm for MLPs, cpu for CNNs), cpu or wasm
  --heartbeat-timeout S   seconds without a heartbeat before a claim is handed
                          out again (1..${MAX_HEARTBEAT_TIMEOUT_S}, default ${DEFAULT_HEARTBEAT_TIMEOUT_S}; heartbeats
                          come three times as often)
  --out FILE              write the JSON lines to FILE instead of stdout
  --base URL              page address for the trials' share URLs
  -h, --help              this help

Exit status: 0 when the sweep is done, 2 for bad arguments or a store that
cannot be opened, 130 when interrupted (its claims are given back).

${STORE_HELP}`;

/** `--store`: checked before anything runs. */
export function storeOption(v: string | undefined, command: string): string {
  if (v === undefined) throw new UsageError(`${command}: --store <dir|url> is required (see gradscope ${command} --help)`);
  const problem = storeSpecProblem(v);
  if (problem) throw new UsageError(problem);
  return v;
}

/** Opens the store; one that cannot be opened (no server, bad password, not a directory) is a usage error. */
export async function openStoreOption(spec: string): Promise<SweepStore> {
  try {
    return await openStore(spec);
  } catch (e) {
    throw new UsageError(`--store: cannot open ${JSON.stringify(redact(spec))} (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** A URL's password is not repeated in messages. */
function redact(spec: string): string {
  return spec.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

export function heartbeatOption(v: string | undefined): number {
  return (intOption('heartbeat-timeout', v, 1, MAX_HEARTBEAT_TIMEOUT_S) ?? DEFAULT_HEARTBEAT_TIMEOUT_S) * 1000;
}

async function sweepConfigOf(store: SweepStore, id: string): Promise<SweepConfig> {
  const info = await store.getSweep(id);
  if (!info) throw new UsageError(`no sweep ${JSON.stringify(id)} in the store`);
  const r = parseSweep(info.config, STORED_SWEEP_LIMITS);
  if (!r.ok) throw new Error(`stored sweep ${id} does not validate: ${r.errors.join('; ')}`);
  return r.value;
}

async function allResults(store: SweepStore, id: string): Promise<TrialResult[]> {
  return (await store.results(id)).map((r) => storedTrial(r.result));
}

// ---------------------------------------------------------------- sweep status / results

export async function cmdSweepStatus(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, { store: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    await printOut(SWEEP_STATUS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('sweep status: expects exactly one <id> (see gradscope sweep status --help)');
  const spec = storeOption(values.store, 'sweep status');
  const store = await openStoreOption(spec);
  try {
    await sweepConfigOf(store, positionals[0]);
    const p = await store.progress(positionals[0]);
    const best = bestTrial(await allResults(store, positionals[0]));
    const line = JSON.stringify({ ...p, best: best ? { trial: best.index, objective: best.objective, params: best.params } : null });
    await printOut(line + '\n');
    return 0;
  } finally {
    await store.close();
  }
}

export async function cmdSweepResults(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    store: { type: 'string' },
    format: { type: 'string', default: 'jsonl' },
    out: { type: 'string' },
    base: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    await printOut(SWEEP_RESULTS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('sweep results: expects exactly one <id> (see gradscope sweep results --help)');
  const spec = storeOption(values.store, 'sweep results');
  const format = values.format;
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format: must be jsonl or csv, got ${JSON.stringify(format)}`);
  const base = baseOption(values.base);
  const store = await openStoreOption(spec);
  try {
    const cfg = await sweepConfigOf(store, positionals[0]);
    const results = await allResults(store, positionals[0]);
    const out = values.out ? fileOut(values.out, '--out') : stdoutOut();
    if (format === 'csv') await out.write(trialsToCsv(results, cfg.params.map((p) => p.path), base));
    else for (const r of results) await out.write(trialToJson(r, { trial: r.index, url: trialUrl(r, base) }) + '\n');
    await out.close();
    return 0;
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------- running trials

type Pool = import('../node/sweep-pool.ts').ThreadPool;

/** Worker threads that could not start: the agent stops (its claim goes back), the trial does not fail. */
class PoolStartError extends Error {}
const isPoolStartError = (e: unknown) => e instanceof PoolStartError;

/** Worker threads per backend, started when the first trial needs them (a finished sweep starts none). */
class Pools {
  private readonly pools = new Map<NodeBackend, Promise<Pool>>();
  private readonly started: Pool[] = [];
  private closed = false;
  constructor(readonly threads: number) {}
  get(backend: NodeBackend): Promise<Pool> {
    let p = this.pools.get(backend);
    if (!p) {
      p = (async () => {
        const { ThreadPool } = await import('../node/sweep-pool.ts');
        if (this.closed) throw new Error('cancelled');
        const pool = new ThreadPool(this.threads, backend);
        this.started.push(pool);
        try {
          await pool.started();
        } catch (e) {
          throw new PoolStartError(`cannot start the sweep's worker threads: ${(e as Error).message}`, { cause: e });
        }
        return pool;
      })();
      this.pools.set(backend, p);
    }
    return p;
  }
  /** Trains a trial on the backend's threads. */
  run(backend: NodeBackend, spec: TrialSpec): Promise<TrialResult> {
    return this.get(backend).then((pool) => pool.run(spec));
  }
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.started.map((p) => p.close()));
  }
}

/** Stops claiming on SIGINT/SIGTERM and cancels the trials in flight (their claims go back to the store). */
function interrupter(pools: Pools) {
  const controller = new AbortController();
  const stop = () => {
    controller.abort();
    void pools.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    abort: stop,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

// ---------------------------------------------------------------- gradscope sweep <config> --store

export interface StoredSweepOptions {
  cfg: SweepConfig;
  storeSpec: string;
  createOnly: boolean;
  workers?: number;
  backend: 'auto' | NodeBackend;
  leaseMs: number;
  out: () => Out;
  base: string;
  csv?: (results: TrialResult[]) => void;
  progress?: (done: number, total: number, diverged: number, best: TrialResult | null, workers: number, t0: number) => string;
}

export async function storedSweep(o: StoredSweepOptions): Promise<number> {
  const { sweepId } = await import('../node/store/id.ts');
  const { summarize } = await import('../engine/sweep/runner.ts');
  const cfg = o.cfg;
  const backend = backendFor(o.backend, cfg.base.model.arch);
  const id = sweepId(cfg);
  const store = await openStoreOption(o.storeSpec);
  try {
    const { trials: total } = await store.createSweep(id, sweepToJson(cfg));
    if (o.createOnly) {
      await printOut(JSON.stringify({ sweep: id, trials: total }) + '\n');
      return 0;
    }
    const out = o.out();
    const workers = Math.max(1, Math.min(o.workers ?? availableParallelism(), total));
    const pools = new Pools(workers);
    const stop = interrupter(pools);
    const tty = !!process.stderr.isTTY && !!o.progress;
    const t0 = Date.now();
    const seen = new Set<number>();
    const results: TrialResult[] = [];
    let diverged = 0;
    let best: TrialResult | null = null;
    let writes: Promise<void> = Promise.resolve();
    let writeError: Error | null = null;
    const emit = (r: TrialResult) => {
      if (seen.has(r.index)) return;
      seen.add(r.index);
      results.push(r);
      if (r.diverged) diverged++;
      if (r.variant === 0 && better(r, best)) best = r;
      const line = trialToJson(r, { url: trialUrl(r, o.base) }) + '\n';
      writes = writes.then(() => out.write(line)).catch((e: Error) => {
        writeError ??= e;
        stop.abort();
      });
      if (tty) process.stderr.write(o.progress!(results.length, total, diverged, best, workers, t0));
    };
    // Trials finished earlier (a resumed sweep) or by other agents.
    const catchUp = async () => {
      for (const r of await store.results(id, [...seen])) emit(storedTrial(r.result));
    };
    try {
      await catchUp();
      if (tty) process.stderr.write(o.progress!(results.length, total, diverged, best, workers, t0));
      await workOn({
        store,
        sweepId: id,
        execute: (spec) => pools.run(backend, spec),
        fatal: isPoolStartError,
        threads: workers,
        agent: agentName(),
        leaseMs: o.leaseMs,
        signal: stop.signal,
        onTrial: emit,
        onWait: catchUp,
      });
      if (!stop.signal.aborted) await catchUp();
      await writes;
      if (writeError) throw writeError;
      if (tty) process.stderr.write('\r\x1b[K');
      const summary = summarize(cfg, results, total, Date.now() - t0, stop.signal.aborted);
      const bestUrl = summary.best ? trialUrl(summary.best, o.base) : null;
      await out.write(summaryToJson(summary, { bestUrl, workers, backend, sweep: id }) + '\n');
      await out.close();
      o.csv?.([...results].sort((a, b) => a.index - b.index));
      if (stop.signal.aborted) {
        process.stderr.write(`gradscope: sweep cancelled (resume it with the same command; sweep ${id})\n`);
        return 130;
      }
      return 0;
    } finally {
      stop.dispose();
      await pools.close();
    }
  } finally {
    await store.close();
  }
}

export const STORED_SWEEP_OPTIONS_HELP = `  --store S          keep the sweep in a store (see below): creates it, or
                     resumes it when the same config was stored before (the
                     sweep's id is a hash of the normalized config); runs trials
                     here while any number of gradscope agents run others
  --create-only      with --store: only create the sweep and print
                     {"sweep": "<id>", "trials": <count>}
  --heartbeat-timeout S
                     with --store: seconds before a claim of a stopped process is
                     handed out again (default ${DEFAULT_HEARTBEAT_TIMEOUT_S})`;

// ---------------------------------------------------------------- gradscope agent

export async function cmdAgent(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    store: { type: 'string' },
    sweep: { type: 'string' },
    threads: { type: 'string' },
    backend: { type: 'string' },
    'heartbeat-timeout': { type: 'string' },
    out: { type: 'string' },
    base: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    await printOut(AGENT_HELP);
    return 0;
  }
  if (positionals.length) throw new UsageError(`agent: unexpected argument ${JSON.stringify(positionals[0])} (see gradscope agent --help)`);
  const spec = storeOption(values.store, 'agent');
  const threads = intOption('threads', values.threads, 1, MAX_THREADS) ?? availableParallelism();
  const backendOpt = backendOption(values.backend);
  const leaseMs = heartbeatOption(values['heartbeat-timeout']);
  const base = baseOption(values.base);
  if (values.sweep !== undefined && !/^[0-9a-f]{16}$/.test(values.sweep)) {
    throw new UsageError(`--sweep: must be a sweep id (16 hex digits, as gradscope sweep --create-only prints it), got ${JSON.stringify(values.sweep)}`);
  }
  const out = values.out ? fileOut(values.out, '--out') : stdoutOut();
  const store = await openStoreOption(spec);
  const pools = new Pools(threads);
  const stop = interrupter(pools);
  const name = agentName();
  let writes: Promise<void> = Promise.resolve();
  let writeError: Error | null = null;
  try {
    if (values.sweep !== undefined) await sweepConfigOf(store, values.sweep);
    const done = new Set<string>();
    for (;;) {
      if (stop.signal.aborted) break;
      const id = values.sweep ?? (await store.openSweeps()).find((s) => !done.has(s));
      if (id === undefined || done.has(id)) break;
      const cfg = await sweepConfigOf(store, id);
      const backend = backendFor(backendOpt, cfg.base.model.arch);
      await workOn({
        store,
        sweepId: id,
        execute: (s) => pools.run(backend, s),
        fatal: isPoolStartError,
        threads,
        agent: name,
        leaseMs,
        signal: stop.signal,
        onTrial: (r) => {
          const line = trialToJson(r, { sweep: id, trial: r.index, url: trialUrl(r, base) }) + '\n';
          writes = writes.then(() => out.write(line)).catch((e: Error) => {
            writeError ??= e;
            stop.abort();
          });
        },
      });
      done.add(id);
      if (values.sweep !== undefined) break;
    }
    await writes;
    if (writeError) throw writeError;
    await out.close();
    if (!done.size && !stop.signal.aborted) process.stderr.write('gradscope: agent: no sweep with trials left in the store\n');
    if (stop.signal.aborted) {
      process.stderr.write('gradscope: agent stopped; its claims were given back\n');
      return 130;
    }
    return 0;
  } finally {
    stop.dispose();
    await pools.close();
    await store.close();
  }
}
