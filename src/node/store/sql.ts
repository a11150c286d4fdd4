/**
 * The sweep store: a sweep and its trials in Postgres, the same schema and SQL
 * on an embedded PGlite database (pglite.ts) and on a Postgres server (pg.ts).
 *
 *   gradscope_sweeps   one row per sweep: its id (a hash of the normalized
 *                      config, id.ts), the config, how many points and trials it
 *                      has and how many points are planned so far (a Bayesian
 *                      search plans its points one at a time).
 *   gradscope_trials   one row per trial: its spec (TrialSpec as JSON: json, not
 *                      jsonb, which would reorder the run config's keys and so
 *                      change the trial's line and share URL) and state
 *                        planned    waiting for an agent
 *                        claimed    agent X claimed it at claimed_at; the claim
 *                                   holds until lease_until, which the agent's
 *                                   heartbeats move on
 *                        finished   result: the trial record (a JSON line, as
 *                                   `gradscope sweep` writes it)
 *                        failed     the trial could not train (invalid config,
 *                                   training error): the record and the error
 *                      attempts counts the claims that ran or died (a claim
 *                      given back with release() does not count): 1 when no
 *                      agent died on the trial.
 *
 * Claims are transactional: the next trial is picked with SELECT … FOR UPDATE
 * SKIP LOCKED, so two agents never get the same trial, and a claim whose lease
 * ran out (its agent died or hangs) is handed out again. Every operation is one
 * short transaction and safe to repeat (a client that lost its connection sends
 * it again): an agent that asks for a trial while it already holds one gets that
 * one back; finishing a trial twice records it once.
 */
import { proposeWithPending, pointSpecs, SweepPlanner, type TrialSpec } from '../../engine/sweep/planner.ts';
import { STORED_SWEEP_LIMITS, parseSweep, type SweepConfig, type SweepInput } from '../../engine/sweep/schema.ts';

/** A query runner: rows as objects (PGlite and pg agree on int4, float8, text, jsonb, timestamptz). */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

/** A database: queries, transactions, and closing it. */
export interface Db extends Sql {
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const SCHEMA_VERSION = 1;

/** The schema; every statement can run again (CREATE … IF NOT EXISTS). */
export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS gradscope_sweeps (
     id text PRIMARY KEY,
     schema_version integer NOT NULL,
     config jsonb NOT NULL,
     method text NOT NULL,
     points_total integer NOT NULL,
     points_planned integer NOT NULL,
     variants integer NOT NULL,
     trials_total integer NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS gradscope_trials (
     sweep_id text NOT NULL REFERENCES gradscope_sweeps (id) ON DELETE CASCADE,
     idx integer NOT NULL,
     point integer NOT NULL,
     variant integer NOT NULL,
     spec json NOT NULL,
     state text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'claimed', 'finished', 'failed')),
     agent text,
     claimed_at timestamptz,
     lease_until timestamptz,
     attempts integer NOT NULL DEFAULT 0,
     finished_at timestamptz,
     result text,
     score double precision,
     diverged boolean,
     error text,
     PRIMARY KEY (sweep_id, idx)
   )`,
  `CREATE INDEX IF NOT EXISTS gradscope_trials_open ON gradscope_trials (sweep_id, state, idx)`,
];

/** Outcome of a finished trial as the store keeps it. */
export interface TrialOutcomeRow {
  state: 'finished' | 'failed';
  /** The trial record, one JSON line (non-finite numbers as strings). */
  result: string;
  /** The planner's score (lower is better); null when the trial has no usable result. */
  score: number | null;
  diverged: boolean;
  error: string | null;
}

export type Claim = { kind: 'trial'; spec: TrialSpec; attempts: number } | { kind: 'wait' } | { kind: 'done' };

export interface SweepInfo {
  id: string;
  config: SweepInput;
  method: string;
  pointsTotal: number;
  pointsPlanned: number;
  trials: number;
  createdAt: string;
}

export interface Progress {
  sweep: string;
  method: string;
  trials: number;
  /** Trials not planned yet (a Bayesian search plans its points as results come in). */
  unplanned: number;
  planned: number;
  claimed: number;
  finished: number;
  failed: number;
  diverged: number;
  /** Claims handed out again after a lease ran out. */
  reclaimed: number;
  done: boolean;
  /** Agents holding a live claim. */
  agents: string[];
}

export interface StoredResult {
  index: number;
  state: 'finished' | 'failed';
  result: string;
}

/** What an agent asks of the store; every method is one transaction. */
export interface SweepStore {
  /** Creates the sweep with its first trials planned, or finds it (same id); returns the number of trials. */
  createSweep(id: string, config: SweepInput): Promise<{ created: boolean; trials: number }>;
  getSweep(id: string): Promise<SweepInfo | null>;
  /** Sweeps with trials still to run, oldest first. */
  openSweeps(): Promise<string[]>;
  /** The next trial for `agent` (its own unfinished claim first); 'wait' while the rest is claimed by live agents. */
  claim(sweepId: string, agent: string, leaseMs: number): Promise<Claim>;
  /** Moves the claim's lease on; false when the claim is no longer the agent's. */
  heartbeat(sweepId: string, index: number, agent: string, leaseMs: number): Promise<boolean>;
  /** Records the outcome; false when the claim is no longer the agent's (the result is dropped). */
  finish(sweepId: string, index: number, agent: string, outcome: TrialOutcomeRow): Promise<boolean>;
  /** Gives a claim back (the agent stops before running it): planned again. */
  release(sweepId: string, index: number, agent: string): Promise<void>;
  progress(sweepId: string): Promise<Progress>;
  /** Finished and failed trials in index order; `after` skips indices already seen. */
  results(sweepId: string, after?: readonly number[]): Promise<StoredResult[]>;
  close(): Promise<void>;
}

/** The operations a remote caller may ask for (embedded.ts), by name. */
export const STORE_OPS = ['createSweep', 'getSweep', 'openSweeps', 'claim', 'heartbeat', 'finish', 'release', 'progress', 'results'] as const;
export type StoreOp = (typeof STORE_OPS)[number];

function configOf(input: unknown): SweepConfig {
  const r = parseSweep(input, STORED_SWEEP_LIMITS);
  if (!r.ok) throw new Error(`stored sweep config does not validate: ${r.errors.join('; ')}`);
  return r.value;
}

const LEASE = `now() + ($3::integer * interval '1 millisecond')`;

/** SweepStore over any Db: the one SQL of every store. */
export class SqlStore implements SweepStore {
  private ready: Promise<void> | null = null;
  constructor(private readonly db: Db) {}

  /** Creates the tables (once per store; an advisory lock keeps concurrent first runs apart on a server). */
  init(): Promise<void> {
    this.ready ??= this.db.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock(7311917)');
      for (const s of SCHEMA_SQL) await sql.query(s);
    });
    return this.ready;
  }

  async createSweep(id: string, config: SweepInput): Promise<{ created: boolean; trials: number }> {
    await this.init();
    const cfg = configOf(config);
    const planner = new SweepPlanner(cfg);
    const first: TrialSpec[] = [];
    for (let s = planner.next(); s !== null && s !== 'wait'; s = planner.next()) first.push(s);
    const pointsPlanned = new Set(first.map((s) => s.point)).size;
    return this.db.transaction(async (sql) => {
      const inserted = await sql.query(
        `INSERT INTO gradscope_sweeps (id, schema_version, config, method, points_total, points_planned, variants, trials_total)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, SCHEMA_VERSION, JSON.stringify(config), cfg.method, planner.points, pointsPlanned, planner.variants.length, planner.total],
      );
      if (inserted.length) {
        await insertTrials(sql, id, first);
        return { created: true, trials: planner.total };
      }
      const [row] = await sql.query<{ trials_total: number }>('SELECT trials_total FROM gradscope_sweeps WHERE id = $1', [id]);
      return { created: false, trials: row.trials_total };
    });
  }

  async getSweep(id: string): Promise<SweepInfo | null> {
    await this.init();
    const [r] = await this.db.query<SweepRow>('SELECT * FROM gradscope_sweeps WHERE id = $1', [id]);
    return r ? sweepInfo(r) : null;
  }

  async openSweeps(): Promise<string[]> {
    await this.init();
    const rows = await this.db.query<{ id: string }>(
      `SELECT s.id FROM gradscope_sweeps s
       WHERE s.points_planned < s.points_total
          OR EXISTS (SELECT 1 FROM gradscope_trials t WHERE t.sweep_id = s.id AND t.state IN ('planned', 'claimed'))
       ORDER BY s.created_at, s.id`,
    );
    return rows.map((r) => r.id);
  }

  async claim(sweepId: string, agent: string, leaseMs: number): Promise<Claim> {
    await this.init();
    return this.db.transaction(async (sql) => {
      // The agent's own claim first: a repeated request (a lost answer) gets the same trial.
      const own = await sql.query<{ idx: number; spec: TrialSpec; attempts: number }>(
        `UPDATE gradscope_trials SET lease_until = ${LEASE}
         WHERE sweep_id = $1 AND agent = $2 AND state = 'claimed' RETURNING idx, spec, attempts`,
        [sweepId, agent, Math.round(leaseMs)],
      );
      if (own.length) return { kind: 'trial', spec: own[0].spec, attempts: own[0].attempts };
      const got = await claimNext(sql, sweepId, agent, leaseMs);
      if (got) return got;
      // A Bayesian search plans its next point now, from every result so far.
      const [s] = await sql.query<SweepRow>('SELECT * FROM gradscope_sweeps WHERE id = $1 FOR UPDATE', [sweepId]);
      if (!s) throw new Error(`no sweep ${sweepId} in the store`);
      if (s.method === 'bayes' && s.points_planned < s.points_total) {
        const planned = await planBayesPoint(sql, s);
        if (planned) {
          const c = await claimNext(sql, sweepId, agent, leaseMs);
          if (c) return c;
        }
        return { kind: 'wait' };
      }
      const [open] = await sql.query<{ n: number }>(
        `SELECT count(*)::integer AS n FROM gradscope_trials WHERE sweep_id = $1 AND state IN ('planned', 'claimed')`,
        [sweepId],
      );
      return open.n > 0 ? { kind: 'wait' } : { kind: 'done' };
    });
  }

  async heartbeat(sweepId: string, index: number, agent: string, leaseMs: number): Promise<boolean> {
    await this.init();
    const rows = await this.db.query(
      `UPDATE gradscope_trials SET lease_until = now() + ($4::integer * interval '1 millisecond')
       WHERE sweep_id = $1 AND idx = $2 AND agent = $3 AND state = 'claimed' RETURNING idx`,
      [sweepId, index, agent, Math.round(leaseMs)],
    );
    return rows.length > 0;
  }

  async finish(sweepId: string, index: number, agent: string, o: TrialOutcomeRow): Promise<boolean> {
    await this.init();
    return this.db.transaction(async (sql) => {
      const rows = await sql.query(
        `UPDATE gradscope_trials
         SET state = $4, result = $5, score = $6, diverged = $7, error = $8, finished_at = now(), lease_until = NULL
         WHERE sweep_id = $1 AND idx = $2 AND agent = $3 AND state = 'claimed' RETURNING idx`,
        [sweepId, index, agent, o.state, o.result, o.score, o.diverged, o.error],
      );
      if (rows.length) return true;
      // Already recorded by this agent (a repeated request): still a success.
      const [r] = await sql.query<{ state: string; agent: string }>('SELECT state, agent FROM gradscope_trials WHERE sweep_id = $1 AND idx = $2', [sweepId, index]);
      return !!r && r.agent === agent && (r.state === 'finished' || r.state === 'failed');
    });
  }

  async release(sweepId: string, index: number, agent: string): Promise<void> {
    await this.init();
    await this.db.query(
      `UPDATE gradscope_trials SET state = 'planned', agent = NULL, lease_until = NULL, attempts = attempts - 1
       WHERE sweep_id = $1 AND idx = $2 AND agent = $3 AND state = 'claimed'`,
      [sweepId, index, agent],
    );
  }

  async progress(sweepId: string): Promise<Progress> {
    await this.init();
    return this.db.transaction(async (sql) => {
      const [s] = await sql.query<SweepRow>('SELECT * FROM gradscope_sweeps WHERE id = $1', [sweepId]);
      if (!s) throw new Error(`no sweep ${sweepId} in the store`);
      const [c] = await sql.query<Record<string, number>>(
        `SELECT count(*) FILTER (WHERE state = 'planned')::integer AS planned,
                count(*) FILTER (WHERE state = 'claimed')::integer AS claimed,
                count(*) FILTER (WHERE state = 'finished')::integer AS finished,
                count(*) FILTER (WHERE state = 'failed')::integer AS failed,
                count(*) FILTER (WHERE diverged)::integer AS diverged,
                coalesce(sum(greatest(attempts - 1, 0)), 0)::integer AS reclaimed
         FROM gradscope_trials WHERE sweep_id = $1`,
        [sweepId],
      );
      const agents = await sql.query<{ agent: string }>(
        `SELECT DISTINCT agent FROM gradscope_trials WHERE sweep_id = $1 AND state = 'claimed' AND lease_until >= now() ORDER BY agent`,
        [sweepId],
      );
      const unplanned = (s.points_total - s.points_planned) * s.variants;
      return {
        sweep: sweepId,
        method: s.method,
        trials: s.trials_total,
        unplanned,
        planned: c.planned,
        claimed: c.claimed,
        finished: c.finished,
        failed: c.failed,
        diverged: c.diverged,
        reclaimed: c.reclaimed,
        done: unplanned === 0 && c.planned === 0 && c.claimed === 0,
        agents: agents.map((a) => a.agent),
      };
    });
  }

  async results(sweepId: string, after: readonly number[] = []): Promise<StoredResult[]> {
    await this.init();
    const rows = await this.db.query<{ idx: number; state: 'finished' | 'failed'; result: string }>(
      `SELECT idx, state, result FROM gradscope_trials
       WHERE sweep_id = $1 AND state IN ('finished', 'failed') AND NOT (idx = ANY($2::integer[])) ORDER BY idx`,
      [sweepId, [...after]],
    );
    return rows.map((r) => ({ index: r.idx, state: r.state, result: r.result }));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

interface SweepRow {
  id: string;
  config: SweepInput;
  method: string;
  points_total: number;
  points_planned: number;
  variants: number;
  trials_total: number;
  created_at: Date;
}

function sweepInfo(r: SweepRow): SweepInfo {
  return {
    id: r.id,
    config: r.config,
    method: r.method,
    pointsTotal: r.points_total,
    pointsPlanned: r.points_planned,
    trials: r.trials_total,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

async function insertTrials(sql: Sql, sweepId: string, specs: readonly TrialSpec[]): Promise<void> {
  // One statement per 200 trials: a 2,000-trial grid is 10 round trips.
  for (let i = 0; i < specs.length; i += 200) {
    const chunk = specs.slice(i, i + 200);
    const params: unknown[] = [sweepId];
    const rows = chunk.map((s) => {
      params.push(s.index, s.point, s.variant, JSON.stringify(s));
      const n = params.length;
      return `($1, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    });
    await sql.query(`INSERT INTO gradscope_trials (sweep_id, idx, point, variant, spec) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`, params);
  }
}

async function claimNext(sql: Sql, sweepId: string, agent: string, leaseMs: number): Promise<Claim | null> {
  const rows = await sql.query<{ idx: number; spec: TrialSpec; attempts: number }>(
    `UPDATE gradscope_trials
     SET state = 'claimed', agent = $2, claimed_at = now(), lease_until = ${LEASE}, attempts = attempts + 1
     WHERE sweep_id = $1 AND idx = (
       SELECT idx FROM gradscope_trials
       WHERE sweep_id = $1 AND (state = 'planned' OR (state = 'claimed' AND lease_until < now()))
       ORDER BY idx LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING idx, spec, attempts`,
    [sweepId, agent, Math.round(leaseMs)],
  );
  return rows.length ? { kind: 'trial', spec: rows[0].spec, attempts: rows[0].attempts } : null;
}

/**
 * Plans the next point of a Bayesian search (the sweep row is locked FOR UPDATE):
 * modelled on every finished point, with every planned or running one as a
 * fantasy. False when there is no finished point yet to model.
 */
async function planBayesPoint(sql: Sql, s: SweepRow): Promise<boolean> {
  const cfg = configOf(s.config);
  const rows = await sql.query<{ spec: TrialSpec; state: string; score: number | null }>(
    `SELECT spec, state, score FROM gradscope_trials WHERE sweep_id = $1 AND variant = 0 ORDER BY idx`,
    [s.id],
  );
  const observed: { unit: number[]; score: number }[] = [];
  const pending: number[][] = [];
  for (const r of rows) {
    if (r.state === 'finished' || r.state === 'failed') observed.push({ unit: r.spec.unit, score: r.score ?? NaN });
    else pending.push(r.spec.unit);
  }
  const point = s.points_planned;
  const values = proposeWithPending(cfg, observed, pending, point);
  if (!values) return false;
  const initial = rows.filter((r) => r.spec.chosenBy === 'random').length;
  await insertTrials(sql, s.id, pointSpecs(cfg, point, values, 'bayes', point - initial + 1));
  await sql.query('UPDATE gradscope_sweeps SET points_planned = $2 WHERE id = $1', [s.id, point + 1]);
  return true;
}
