/**
 * The embedded store (`--store DIR`, the default kind): a PGlite database in DIR,
 * shared by any number of gradscope processes on this machine.
 *
 * PGlite is Postgres in one process: two processes must never open its directory
 * at once. So the first process that needs the store becomes its holder: it opens
 * the database and serves the store's operations (sql.ts, one transaction each)
 * to the others over a loopback TCP connection, one JSON line per request and per
 * answer. The holder is whichever process binds the store's port (chosen once,
 * when the directory is set up, and kept in DIR/store.json with a random key):
 * the kernel lets one process bind a port, and frees it when that process dies,
 * even by SIGKILL. So there is no lock file to go stale and never two holders.
 *
 *   - A process that cannot bind the port connects to it and says hello with the
 *     key and the directory; the holder checks both (a copy of the directory has
 *     the same key but another path) and then runs its requests one at a time.
 *   - When the holder closes (its command is done), it answers new requests with
 *     "retry", closes the database, and only then frees the port; when it dies, the
 *     kernel frees it. Either way its clients connect again: one of them binds the
 *     port and opens the database (Postgres recovers it from its write-ahead log
 *     after a crash), the others become its clients, and each sends again what was
 *     not answered. Every operation is safe to repeat (sql.ts).
 *
 * Why not serve PGlite over the Postgres wire protocol (@electric-sql/pglite-socket)?
 * It is not among this project's packages, and one PGlite has one session: the
 * transactions of several clients would interleave in it. Serving whole store
 * operations keeps each one a single transaction, in one round trip.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { openPglite } from './pglite.ts';
import { SqlStore, STORE_OPS, type Claim, type Progress, type StoredResult, type StoreOp, type SweepInfo, type SweepStore, type TrialOutcomeRow } from './sql.ts';
import type { SweepInput } from '../../engine/sweep/schema.ts';

const PROTOCOL = 'gradscope-store/1';
const HOST = '127.0.0.1';

interface StoreFile {
  key: string;
  port: number;
}

/** Ports for stores are drawn below Linux's ephemeral range (32768…), where outgoing connections take theirs. */
const PORT_LO = 20000;
const PORT_HI = 32767;

/** Checks that a port is free now (the store's port is chosen once, when the directory is set up). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: HOST, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** DIR/store.json: created once, atomically (written aside, then linked into place). */
async function storeFile(dir: string): Promise<StoreFile> {
  const path = join(dir, 'store.json');
  if (!existsSync(path)) {
    let port = 0;
    for (let i = 0; i < 50 && !port; i++) {
      const p = PORT_LO + (randomBytes(2).readUInt16BE(0) % (PORT_HI - PORT_LO));
      if (await portIsFree(p)) port = p;
    }
    if (!port) throw new Error(`no free port for the store in ${PORT_LO}..${PORT_HI}`);
    const tmp = join(dir, `.store.json.${process.pid}.${randomBytes(4).toString('hex')}`);
    writeFileSync(tmp, JSON.stringify({ key: randomBytes(16).toString('hex'), port }) + '\n', { mode: 0o600 });
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  const f = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoreFile>;
  if (typeof f.key !== 'string' || !Number.isInteger(f.port)) throw new Error(`${path}: not a gradscope store file`);
  return f as StoreFile;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request that did not get its answer: the holder went away. Sent again to the next holder. */
class Lost extends Error {}

/** Splits a socket's data into lines. */
function onLines(sock: Socket, fn: (line: string) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line) fn(line);
    }
  });
}

interface Request {
  id: number;
  op: StoreOp;
  args: unknown[];
}
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; retry?: boolean };

/** The process that holds the database and serves it. */
class Holder {
  private readonly sockets = new Set<Socket>();
  private chain: Promise<unknown> = Promise.resolve();
  private closing = false;
  private constructor(
    private readonly server: Server,
    readonly store: SqlStore,
  ) {}

  /** Binds the port and opens the database; null when another process holds the port. */
  static async start(dir: string, f: StoreFile): Promise<Holder | null> {
    const server = createServer();
    // Connections that come while the database opens are greeted at once; their requests wait for it.
    let holder: Holder | null = null;
    const early: Socket[] = [];
    server.on('connection', (s) => (holder ? holder.serve(s, dir, f.key) : early.push(s)));
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
      server.listen({ port: f.port, host: HOST, exclusive: true }, () => resolve(true));
    });
    if (!bound) return null;
    let db;
    try {
      db = await openPglite(join(dir, 'pgdata'));
    } catch (e) {
      for (const s of early) s.destroy();
      server.close();
      throw new Error(`cannot open the embedded store in ${dir}: ${(e as Error).message}`, { cause: e });
    }
    const h = new Holder(server, new SqlStore(db));
    holder = h;
    for (const s of early) h.serve(s, dir, f.key);
    await h.store.init();
    return h;
  }

  /** Runs one operation; operations run one at a time, in the order they came. */
  run(op: StoreOp, args: unknown[]): Promise<unknown> {
    const fn = this.store[op] as (...a: unknown[]) => Promise<unknown>;
    const r = this.chain.then(() => fn.apply(this.store, args));
    this.chain = r.catch(() => {});
    return r;
  }

  private serve(sock: Socket, dir: string, key: string): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    const send = (o: unknown) => {
      if (!sock.destroyed) sock.write(JSON.stringify(o) + '\n');
    };
    let greeted = false;
    onLines(sock, (line) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        sock.destroy();
        return;
      }
      if (!greeted) {
        if (m.hello !== PROTOCOL || m.key !== key || m.dir !== dir) {
          send({ hello: 'refused' });
          sock.end();
        } else if (this.closing) {
          send({ hello: 'closing' });
          sock.end();
        } else {
          greeted = true;
          send({ hello: 'ok', pid: process.pid });
        }
        return;
      }
      const req = m as unknown as Request;
      if (this.closing) return send({ id: req.id, ok: false, error: 'store holder is closing', retry: true } satisfies Answer);
      if (!(STORE_OPS as readonly string[]).includes(req.op) || !Array.isArray(req.args)) {
        return send({ id: req.id, ok: false, error: `unknown store operation ${JSON.stringify(req.op)}` } satisfies Answer);
      }
      this.run(req.op, req.args).then(
        (value) => send({ id: req.id, ok: true, value: value ?? null } satisfies Answer),
        (e: unknown) => send({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies Answer),
      );
    });
  }

  /** Stops serving, closes the database, then frees the port (so no one opens the database before it is closed). */
  async close(): Promise<void> {
    this.closing = true;
    await this.chain;
    await this.store.close();
    for (const s of this.sockets) s.destroy();
    // The port is free once the listening socket is closed (not when the last connection has ended).
    this.server.close();
  }
}

/** A process that uses the holder's store. */
class Client {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  lost = false;
  private constructor(private readonly sock: Socket) {
    onLines(sock, (line) => {
      const a = JSON.parse(line) as Answer;
      const p = this.pending.get(a.id);
      if (!p) return;
      this.pending.delete(a.id);
      if (a.ok) p.resolve(a.value);
      else p.reject(a.retry ? new Lost(a.error) : new Error(a.error));
    });
    sock.on('close', () => {
      this.lost = true;
      for (const p of this.pending.values()) p.reject(new Lost('store holder went away'));
      this.pending.clear();
    });
  }

  /**
   * Connects and says hello: a client; 'gone' (nobody listens, the holder is closing,
   * or no answer in time: a holder busy starting, try again) or 'foreign' (another
   * program answered).
   */
  static connect(dir: string, f: StoreFile): Promise<Client | 'gone' | 'foreign'> {
    return new Promise((resolve) => {
      const sock = createConnection({ port: f.port, host: HOST });
      let settled = false;
      const done = (r: Client | 'gone' | 'foreign') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.removeAllListeners('data');
        if (typeof r === 'string') sock.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => done('gone'), 10_000);
      sock.on('error', () => done('gone'));
      sock.on('close', () => done('gone'));
      sock.on('connect', () => sock.write(JSON.stringify({ hello: PROTOCOL, key: f.key, dir }) + '\n'));
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        buf += d;
        const i = buf.indexOf('\n');
        if (i < 0) {
          if (buf.length > 1000) done('foreign');
          return;
        }
        let m: { hello?: string } = {};
        try {
          m = JSON.parse(buf.slice(0, i)) as { hello?: string };
        } catch {
          /* not ours */
        }
        if (m.hello === 'ok') {
          sock.removeAllListeners('close');
          sock.removeAllListeners('error');
          sock.on('error', () => {});
          settled = true;
          clearTimeout(timer);
          sock.removeAllListeners('data');
          const c = new Client(sock);
          if (buf.length > i + 1) sock.unshift(buf.slice(i + 1));
          resolve(c);
        } else done(m.hello === 'closing' ? 'gone' : 'foreign');
      });
    });
  }

  request(op: StoreOp, args: unknown[]): Promise<unknown> {
    if (this.lost) return Promise.reject(new Lost('store holder went away'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(JSON.stringify({ id, op, args } satisfies Request) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

export interface EmbeddedOptions {
  /** How long to keep trying to reach or become the holder (default 60 s). */
  attachTimeoutMs?: number;
}

/** The embedded store in `dir` (created when missing). */
export class EmbeddedStore implements SweepStore {
  private role: Holder | Client | null = null;
  private attaching: Promise<Holder | Client> | null = null;
  private closed = false;
  private constructor(
    readonly dir: string,
    private readonly file: StoreFile,
    private readonly opts: EmbeddedOptions,
  ) {}

  static async open(dir: string, opts: EmbeddedOptions = {}): Promise<EmbeddedStore> {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    mkdirSync(dir, { recursive: true });
    const real = realpathSync(dir);
    const s = new EmbeddedStore(real, await storeFile(real), opts);
    await s.attach();
    return s;
  }

  /** Whether this process holds the database now (for tests and measurements). */
  get holding(): boolean {
    return this.role instanceof Holder;
  }

  private attach(): Promise<Holder | Client> {
    this.attaching ??= (async () => {
      const deadline = Date.now() + (this.opts.attachTimeoutMs ?? 60_000);
      for (;;) {
        const h = await Holder.start(this.dir, this.file);
        if (h) return (this.role = h);
        const c = await Client.connect(this.dir, this.file);
        if (c instanceof Client) return (this.role = c);
        if (c === 'foreign') {
          throw new Error(`the embedded store's port ${this.file.port} (${join(this.dir, 'store.json')}) is taken by another program; stop it, or delete store.json while no gradscope uses the store`);
        }
        if (Date.now() > deadline) throw new Error(`no answer from the process holding the embedded store in ${this.dir} (port ${this.file.port})`);
        await sleep(30 + Math.random() * 120);
      }
    })().finally(() => {
      this.attaching = null;
    });
    return this.attaching;
  }

  private async call<T>(op: StoreOp, args: unknown[]): Promise<T> {
    for (;;) {
      if (this.closed) throw new Error('store is closed');
      const role = this.role && !(this.role instanceof Client && this.role.lost) ? this.role : await this.attach();
      try {
        return (await (role instanceof Holder ? role.run(op, args) : role.request(op, args))) as T;
      } catch (e) {
        if (!(e instanceof Lost)) throw e;
        if (this.role === role) this.role = null;
        await sleep(20 + Math.random() * 80);
      }
    }
  }

  createSweep(id: string, config: SweepInput) {
    return this.call<{ created: boolean; trials: number }>('createSweep', [id, config]);
  }
  getSweep(id: string) {
    return this.call<SweepInfo | null>('getSweep', [id]);
  }
  openSweeps() {
    return this.call<string[]>('openSweeps', []);
  }
  claim(sweepId: string, agent: string, leaseMs: number) {
    return this.call<Claim>('claim', [sweepId, agent, leaseMs]);
  }
  heartbeat(sweepId: string, index: number, agent: string, leaseMs: number) {
    return this.call<boolean>('heartbeat', [sweepId, index, agent, leaseMs]);
  }
  finish(sweepId: string, index: number, agent: string, outcome: TrialOutcomeRow) {
    return this.call<boolean>('finish', [sweepId, index, agent, outcome]);
  }
  release(sweepId: string, index: number, agent: string) {
    return this.call<void>('release', [sweepId, index, agent]);
  }
  progress(sweepId: string) {
    return this.call<Progress>('progress', [sweepId]);
  }
  results(sweepId: string, after?: readonly number[]) {
    return this.call<StoredResult[]>('results', [sweepId, after ?? []]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const role = this.role ?? (await this.attaching?.catch(() => null)) ?? null;
    this.role = null;
    if (role instanceof Holder) await role.close();
    else role?.close();
  }
}
