/**
 * For tests: a throw-away Postgres server from Debian's `postgresql` package
 * (initdb and pg_ctl under /usr/lib/postgresql/<version>/bin), in a temporary
 * directory on a free loopback port, trust authentication, fsync off. Postgres
 * refuses to run as root: as root the server runs as the `postgres` user
 * (runuser). Where the package is missing, `startPostgres` says why instead.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  url: string;
  stop(): void;
}

/** The newest installed Postgres's bin directory, or null. */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server, or returns the reason it cannot (no package, no `postgres` user to run it as root). */
export async function startPostgres(): Promise<TestPostgres | { skip: string }> {
  const bin = postgresBin();
  if (!bin) return { skip: "Debian's postgresql package is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install postgresql" };
  const root = process.getuid?.() === 0;
  let uid = -1;
  let gid = -1;
  if (root) {
    try {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      return { skip: 'running as root and there is no postgres user to run the server as' };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'gradscope-pg-'));
  if (root) chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const as = (cmd: string, args: string[]) =>
    root ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe', cwd: dir }) : execFileSync(cmd, args, { stdio: 'pipe', cwd: dir });
  try {
    as(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'gradscope', '--no-sync', '-E', 'UTF8']);
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    as(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
    return {
      url: `postgres://gradscope@127.0.0.1:${port}/postgres`,
      stop() {
        try {
          as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`cannot start a test Postgres server: ${err.stderr?.toString().trim() || err.message}`, { cause: e });
  }
}
