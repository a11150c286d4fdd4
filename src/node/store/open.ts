/**
 * `--store <dir|url>`: a postgres:// or postgresql:// URL is a Postgres server
 * (pg.ts); anything else is the directory of an embedded store (embedded.ts),
 * created when missing.
 */
import type { SweepStore } from './sql.ts';

export function isServerUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** A store spec that is neither a directory path nor a Postgres URL (another scheme): a message, else null. */
export function storeSpecProblem(spec: string): string | null {
  if (!spec.trim()) return '--store: must be a directory or a postgres:// URL, got ""';
  if (!isServerUrl(spec) && /^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    return `--store: must be a directory or a postgres:// URL, got ${JSON.stringify(spec)}`;
  }
  return null;
}

/** Opens the store (the database client is loaded only now: plain `gradscope sweep` does not load it). */
export async function openStore(spec: string): Promise<SweepStore> {
  if (isServerUrl(spec)) {
    const { openPg } = await import('./pg.ts');
    const { SqlStore } = await import('./sql.ts');
    const store = new SqlStore(await openPg(spec));
    try {
      await store.init();
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
    return store;
  }
  const { EmbeddedStore } = await import('./embedded.ts');
  return EmbeddedStore.open(spec);
}
