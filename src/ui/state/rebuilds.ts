/**
 * The run controller's rebuilds after edits (controller.ts), coalesced: a run
 * goes back to step 0 at once in the page, and its rebuild is sent one
 * REBUILD_DELAY_MS after the last edit, never while the previous one is still
 * being built (typing 1024 into 64 layer boxes builds one model, not 64).
 */
import type { RunConfig } from '../../engine/config.ts';

/** Rebuilds of a run asked for within this many ms of each other are sent as one. */
export const REBUILD_DELAY_MS = 300;

/** What the rebuilds need from the controller. */
export interface RebuildHost {
  /** Run i's config in the store now. */
  config(i: number): RunConfig | undefined;
  /** Run i's config is refused for its resources. */
  refused(i: number): boolean;
  hasWorker(i: number): boolean;
  /** Run i's worker was asked to rebuild and has not said it is ready. */
  building(i: number): boolean;
  /** The first edit of a burst: the old model stops training now. */
  stop(i: number): void;
  /** Sends run i's rebuild: `fresh`, in a new worker (or not at all, if refused); else in its own. */
  rebuild(i: number, cfg: RunConfig, fresh: boolean): void;
}

export class Rebuilds {
  /** Rebuilds waiting for REBUILD_DELAY_MS of quiet, by run; `fresh`: in a new worker. */
  private readonly pending = new Map<number, { timer: ReturnType<typeof setTimeout>; fresh: boolean }>();

  constructor(private readonly host: RebuildHost) {}

  /** Whether run i has a rebuild waiting. */
  has(i: number): boolean {
    return this.pending.has(i);
  }

  /** Whether run i's waiting rebuild takes a fresh worker. */
  fresh(i: number): boolean {
    return this.pending.get(i)?.fresh ?? false;
  }

  /** Run i's waiting rebuild, if any, takes a fresh worker; whether one was waiting. */
  markFresh(i: number): boolean {
    const pending = this.pending.get(i);
    if (pending) pending.fresh = true;
    return !!pending;
  }

  /** The runs with a rebuild waiting. */
  runs(): number[] {
    return [...this.pending.keys()];
  }

  /**
   * Run i goes back to step 0 at once in the page (`stop`); its rebuild is sent when
   * no other edit came for REBUILD_DELAY_MS. `fresh`: in a new worker (or not at all,
   * if refused).
   */
  schedule(i: number, fresh: boolean): void {
    const pending = this.pending.get(i);
    if (pending) clearTimeout(pending.timer);
    else this.host.stop(i);
    this.pending.set(i, { timer: setTimeout(() => this.send(i), REBUILD_DELAY_MS), fresh: fresh || (pending?.fresh ?? false) });
  }

  /**
   * Sends run i's pending rebuild with the config in the store now. Held while the
   * worker is still building the previous one (unless `now`: a command must follow it).
   */
  send(i: number, now = false): void {
    const pending = this.pending.get(i);
    if (!pending) return;
    clearTimeout(pending.timer);
    const cfg = this.host.config(i);
    if (!cfg) {
      this.pending.delete(i);
      return;
    }
    const refused = this.host.refused(i);
    if (!pending.fresh && !refused && this.host.hasWorker(i) && this.host.building(i) && !now) {
      pending.timer = setTimeout(() => this.send(i), REBUILD_DELAY_MS);
      return;
    }
    this.pending.delete(i);
    this.host.rebuild(i, cfg, pending.fresh || refused || !this.host.hasWorker(i));
  }

  /** Sends run i's pending rebuild now (before a command that must reach the new model). */
  flush(i: number): void {
    if (this.pending.has(i)) this.send(i, true);
  }

  /** Forgets run i's waiting rebuild. */
  cancel(i: number): void {
    const r = this.pending.get(i);
    if (r) clearTimeout(r.timer);
    this.pending.delete(i);
  }
}
