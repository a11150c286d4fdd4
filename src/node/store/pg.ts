/**
 * A Postgres server as a Db for SqlStore (`--store postgres://…`), over the `pg`
 * client: a small pool, each transaction on one connection.
 */
import pg from 'pg';
import type { Db, Sql } from './sql.ts';

export async function openPg(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // A dropped idle connection must not crash the process: the next query opens another.
  pool.on('error', () => {});
  // Fail now, with the server's message, rather than at the first trial.
  (await pool.connect()).release();
  const sqlOf = (q: Pick<pg.Pool, 'query'>): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      return (await q.query(text, params)).rows as T[];
    },
  });
  return {
    ...sqlOf(pool),
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await fn(sqlOf(c));
        await c.query('COMMIT');
        return r;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}
