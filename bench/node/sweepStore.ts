/**
 * The sweep store's costs:
 *  - claim overhead per trial: claim + heartbeat + finish of one trial with no
 *    training, in this process, on the embedded store as its holder, as a client
 *    of a holder (over the loopback connection), and on a Postgres server;
 *  - trials/s of 1, 2 and 3 `gradscope agent` processes (one thread each) on one
 *    sweep in an embedded store (and on a Postgres server), from the first claim
 *    to the last result (process start-up excluded; the wall time with it is
 *    printed too).
 *
 *   node --import tsx bench/node/sweepStore.ts [--trials 48] [--steps 1500] [--no-postgres]
 *
 * Postgres: a throw-away server from Debian's `postgresql` (src/node/store/testPostgres.ts).
 * Prints progress on stderr and one JSON document on stdout (the last line).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sweepOrThrow, sweepToJson, type SweepInput } from '../../src/engine/sweep/schema.ts';
import { EmbeddedStore } from '../../src/node/store/embedded.ts';
import { openPglite } from '../../src/node/store/pglite.ts';
import { openPg } from '../../src/node/store/pg.ts';
import { SqlStore, type Db, type SweepStore } from '../../src/node/store/sql.ts';
import { sweepId } from '../../src/node/store/id.ts';
import { startPostgres } from '../../src/node/store/testPostgres.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const TRIALS = opt('trials', 48);
const STEPS = opt('steps', 1500);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/gradscope.mjs');
const TMP = mkdtempSync(join(tmpdir(), 'gradscope-bench-store-'));
const log = (s: string) => process.stderr.write(s + '\n');

function sweep(trials: number, steps: number, seed: number): SweepInput {
  const values = Array.from({ length: Math.min(64, trials) }, (_, i) => 0.01 + i * 0.01);
  const gains = Array.from({ length: Math.ceil(trials / values.length) }, (_, i) => 0.5 + i * 0.25);
  return {
    v: 1,
    base: { seed, data: { name: 'gauss', samples: 256 }, model: { hidden: [16, 16] }, optimizer: { name: 'sgd' }, train: { batchSize: 16, evalEvery: 0 } },
    params: [
      { path: 'optimizer.lr', scale: 'list', values },
      { path: 'model.initGain', scale: 'list', values: gains },
    ],
    stepsPerTrial: steps,
    seed,
  };
}

/** Claim + heartbeat + finish of every trial of a sweep, no training: ms per trial. */
async function overhead(store: SweepStore, n: number, seed: number): Promise<number> {
  const cfg = sweepOrThrow(sweep(n, 10, seed));
  const id = sweepId(cfg);
  await store.createSweep(id, sweepToJson(cfg));
  const t0 = performance.now();
  let done = 0;
  for (;;) {
    const c = await store.claim(id, 'bench', 60_000);
    if (c.kind !== 'trial') break;
    await store.heartbeat(id, c.spec.index, 'bench', 60_000);
    await store.finish(id, c.spec.index, 'bench', { state: 'finished', result: '{"type":"trial"}', score: c.spec.index, diverged: false, error: null });
    done++;
  }
  return (performance.now() - t0) / done;
}

function gradscope(argv: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => done(code ?? -1));
  });
}

/** k agents on a fresh sweep; trials/s from the first claim to the last result, read from the database. */
async function throughput(store: string, k: number, seed: number, db: () => Promise<Db>): Promise<{ agents: number; trialsPerS: number; wallTrialsPerS: number; meanTrialMs: number }> {
  const cfg = sweepOrThrow(sweep(TRIALS, STEPS, seed));
  const id = sweepId(cfg);
  if ((await gradscope(['sweep', JSON.stringify(sweep(TRIALS, STEPS, seed)), '--store', store, '--create-only'])) !== 0) throw new Error('create failed');
  const t0 = Date.now();
  const codes = await Promise.all(Array.from({ length: k }, () => gradscope(['agent', '--store', store, '--sweep', id, '--threads', '1'])));
  const wall = (Date.now() - t0) / 1000;
  if (codes.some((c) => c !== 0)) throw new Error(`agents exited ${codes.join(', ')}`);
  const d = await db();
  try {
    const [r] = await d.query<{ s: number; n: number }>(
      `SELECT extract(epoch FROM max(finished_at) - min(claimed_at))::float8 AS s, count(*)::integer AS n FROM gradscope_trials WHERE sweep_id = $1 AND state = 'finished'`,
      [id],
    );
    const rows = await d.query<{ result: string }>(`SELECT result FROM gradscope_trials WHERE sweep_id = $1`, [id]);
    const ms = rows.map((x) => (JSON.parse(x.result) as { ms: number }).ms);
    return { agents: k, trialsPerS: r.n / r.s, wallTrialsPerS: r.n / wall, meanTrialMs: ms.reduce((a, b) => a + b, 0) / ms.length };
  } finally {
    await d.close();
  }
}

const out: Record<string, unknown> = { trials: TRIALS, stepsPerTrial: STEPS };
try {
  // ---- claim overhead
  const dir = join(TMP, 'overhead');
  const holder = await EmbeddedStore.open(dir);
  const client = await EmbeddedStore.open(dir);
  out.overheadMsPerTrial = {
    embeddedHolder: await overhead(holder, 200, 1),
    embeddedClient: await overhead(client, 200, 2),
  };
  await client.close();
  await holder.close();
  log(`overhead: ${JSON.stringify(out.overheadMsPerTrial)}`);
  const pg = args.includes('--no-postgres') ? { skip: '--no-postgres' } : await startPostgres();
  try {
    if (!('skip' in pg)) {
      const s = new SqlStore(await openPg(pg.url));
      (out.overheadMsPerTrial as Record<string, number>).postgres = await overhead(s, 200, 3);
      await s.close();
      log(`overhead: ${JSON.stringify(out.overheadMsPerTrial)}`);
    }
    // ---- throughput
    const stores: [string, string, () => Promise<Db>][] = [];
    const emb = join(TMP, 'agents');
    stores.push(['embedded', emb, () => openPglite(join(emb, 'pgdata'))]);
    if (!('skip' in pg)) stores.push(['postgres', pg.url, () => openPg(pg.url)]);
    for (const [kind, spec, db] of stores) {
      const rows: Awaited<ReturnType<typeof throughput>>[] = [];
      for (const k of [1, 2, 3]) {
        rows.push(await throughput(spec, k, 10 + k, db));
        log(`${kind}: ${JSON.stringify(rows.at(-1))}`);
      }
      out[kind] = { runs: rows, ratios: rows.map((r) => r.trialsPerS / rows[0].trialsPerS) };
    }
  } finally {
    if (!('skip' in pg)) pg.stop();
  }
} finally {
  rmSync(TMP, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
