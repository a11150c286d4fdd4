/**
 * The data a browser host loads before it builds a run (the training and sweep
 * workers, the page's preview): the handwritten digits (digits14.bin, next to
 * index.html; fetched once per host, from the service worker's cache once the
 * app was loaded). A CSV travels in the run's config and needs nothing here.
 */
import type { RunConfig } from '../config.ts';
import { DIGITS_ASSET_NAME, hasDigitsAsset, setDigitsAsset } from './digits.ts';

let pending: Promise<void> | null = null;

/** The digits file's address as seen from a script at `from` (a worker in assets/, or the page). */
export function digitsUrl(from: string, inAssets: boolean): string {
  return new URL(`${inAssets ? '../' : ''}${DIGITS_ASSET_NAME}`, from).href;
}

/** Loads what `cfg` needs; rejects with a message that says what failed. */
export function loadRunData(cfg: RunConfig, url: string): Promise<void> {
  if (cfg.data.name !== 'digits' || hasDigitsAsset()) return Promise.resolve();
  pending ??= (async () => {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`digits: cannot load ${DIGITS_ASSET_NAME} (${e instanceof Error ? e.message : String(e)}); it is cached after the first load, so open the app once online`, { cause: e });
    }
    if (!res.ok) throw new Error(`digits: cannot load ${DIGITS_ASSET_NAME} (HTTP ${res.status})`);
    setDigitsAsset(new Uint8Array(await res.arrayBuffer()));
  })().finally(() => {
    pending = null;
  });
  return pending;
}
