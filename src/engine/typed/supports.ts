/**
 * The typed engine's domain: which run configs it trains (and produces the tfjs
 * engine's rows for). Pure: no tfjs, no buffers.
 */
import type { RunConfig } from '../config.ts';
import { IMAGE_DATASETS, REGRESSION_DATASETS } from '../meta.ts';

/** null when the typed engine trains this run config, else why not (one line). */
export function typedEngineSupports(cfg: RunConfig): string | null {
  if (cfg.model.arch !== 'mlp') return `conv nets (model.arch ${cfg.model.arch}) are not in the typed engine, which trains MLPs only`;
  if (IMAGE_DATASETS.includes(cfg.data.name)) {
    return `an MLP on image data (data.name ${cfg.data.name}) is not in the typed engine, which trains MLPs on the 2-D data sets`;
  }
  if (REGRESSION_DATASETS.includes(cfg.data.name) || (cfg.data.name === 'csv' && cfg.data.task !== 'classification')) {
    // A CSV's task is known only once its file is parsed; auto may turn out a regression.
    return `a regression or a CSV of undecided task (data.name ${cfg.data.name}) trains on tfjs: the typed engine's loss is softmax cross-entropy, not mean squared error`;
  }
  return null;
}
