/**
 * The typed engine's domain: which run configs it trains (and produces the tfjs
 * engine's rows for): every MLP, on the 2-D point sets, the regression sets,
 * CSVs and the image sets (an MLP reads an image as its flattened pixels, as
 * tfjs's flatten layer does), classifications and regressions alike. A CSV's task (data.task 'auto') is
 * known only once its file is parsed; the typed trainer parses it (makeDataset)
 * and takes the loss of the task it finds, so every CSV task is in the domain.
 * Pure: no tfjs, no buffers.
 */
import type { RunConfig } from '../config.ts';

/** null when the typed engine trains this run config, else why not (one line). */
export function typedEngineSupports(cfg: RunConfig): string | null {
  if (cfg.model.arch !== 'mlp') return `conv nets (model.arch ${cfg.model.arch}) are not in the typed engine, which trains MLPs only`;
  return null;
}
