/**
 * The embedded database: PGlite (Postgres compiled to WebAssembly) in a local
 * directory, as a Db for SqlStore. One process opens a directory at a time
 * (embedded.ts makes sure of it); its queries run one after another.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Db, Sql } from './sql.ts';

export async function openPglite(dataDir: string | undefined): Promise<Db> {
  const db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
  const sqlOf = (q: Pick<PGlite, 'query'>): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      return (await q.query<T>(text, params)).rows;
    },
  });
  return {
    ...sqlOf(db),
    transaction: (fn) => db.transaction((tx) => fn(sqlOf(tx))),
    close: () => db.close(),
  };
}
