/**
 * An agent's work on a stored sweep: `threads` slots, each claiming a trial from
 * the store, training it (in a worker thread), keeping its claim alive with
 * heartbeats, and recording the outcome, until the sweep is done. Used by
 * `gradscope agent` and by `gradscope sweep --store`.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { failedResult, scoreOf, type TrialResult } from '../../engine/sweep/result.ts';
import { parseSweepLine, trialToJson } from '../../engine/sweep/format.ts';
import type { TrialSpec } from '../../engine/sweep/planner.ts';
import type { SweepStore, TrialOutcomeRow } from './sql.ts';

/** Default time after its last heartbeat that a claim is handed out again. */
export const DEFAULT_HEARTBEAT_TIMEOUT_S = 60;

/** A name for this process's claims: host, process id and a random tag (a slot adds /t<k>). */
export function agentName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** How the store keeps a trial's result: failed when it could not train, else finished. */
export function outcomeOf(r: TrialResult): TrialOutcomeRow {
  const score = scoreOf(r);
  return {
    state: r.status === 'error' || r.status === 'invalid' ? 'failed' : 'finished',
    result: trialToJson(r),
    score: Number.isFinite(score) ? score : null,
    diverged: r.diverged,
    error: r.error ?? null,
  };
}

/** A stored trial record back as a TrialResult (non-finite numbers restored). */
export function storedTrial(line: string): TrialResult {
  return parseSweepLine(line) as unknown as TrialResult;
}

export interface WorkOptions {
  store: SweepStore;
  sweepId: string;
  /** Trains one trial (a worker thread of the pool). */
  execute: (spec: TrialSpec) => Promise<TrialResult>;
  /** A failure of `execute` that is the agent's, not the trial's: the claim is given back and the failure thrown. */
  fatal?: (e: unknown) => boolean;
  threads: number;
  agent: string;
  /** A claim not renewed for this long is handed out again; heartbeats come 3 times as often. */
  leaseMs: number;
  signal?: { readonly aborted: boolean };
  /** A trial this agent finished and recorded. */
  onTrial?: (r: TrialResult) => void;
  /** Called while the agent waits for trials that others hold. */
  onWait?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A failure of the connection to a server (not of the request): worth sending the request again. */
export function isTransient(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  // Node's socket errors; Postgres's "connection exception" (08…) and "operator intervention" (57P…) classes.
  if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|08|57P0[1-3])/.test(code)) return true;
  return typeof err?.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(err.message);
}

/**
 * Runs a store operation, sending it again while the server cannot be reached, for
 * up to `ms` (every operation is safe to repeat); any other failure is thrown at once.
 */
export async function retrying<T>(f: () => Promise<T>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      return await f();
    } catch (e) {
      if (!isTransient(e) || Date.now() + wait > end) throw e;
      await sleep(wait);
    }
  }
}

/** Works on the sweep until it is done (or the signal aborts); resolves with the number of trials recorded. */
export async function workOn(o: WorkOptions): Promise<number> {
  let ran = 0;
  const poll = Math.max(50, Math.min(1000, o.leaseMs / 4));
  // A server that goes away for less than a heartbeat timeout costs nothing.
  const patience = Math.max(o.leaseMs, 10_000);
  const retry = <T>(f: () => Promise<T>) => retrying(f, patience);
  const slot = async (k: number) => {
    const agent = `${o.agent}/t${k}`;
    while (!o.signal?.aborted) {
      const c = await retry(() => o.store.claim(o.sweepId, agent, o.leaseMs));
      if (c.kind === 'done') return;
      if (c.kind === 'wait') {
        await o.onWait?.();
        await sleep(poll);
        continue;
      }
      const spec = c.spec;
      const beat = setInterval(() => {
        o.store.heartbeat(o.sweepId, spec.index, agent, o.leaseMs).catch(() => {});
      }, o.leaseMs / 3);
      let r: TrialResult;
      try {
        r = spec.config ? await o.execute(spec) : failedResult(spec, 'invalid', spec.errors?.join('; ') ?? 'invalid trial config');
      } catch (e) {
        if (o.fatal?.(e)) {
          clearInterval(beat);
          await retry(() => o.store.release(o.sweepId, spec.index, agent));
          throw e;
        }
        r = failedResult(spec, o.signal?.aborted ? 'cancelled' : 'error', e instanceof Error ? e.message : String(e));
      } finally {
        clearInterval(beat);
      }
      if (r.status === 'cancelled') {
        // Stopped before the trial ended: give it back for another agent (or a later run).
        await retry(() => o.store.release(o.sweepId, spec.index, agent));
        return;
      }
      if (await retry(() => o.store.finish(o.sweepId, spec.index, agent, outcomeOf(r)))) {
        ran++;
        o.onTrial?.(r);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.threads) }, (_, k) => slot(k)));
  return ran;
}
