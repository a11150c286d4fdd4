/**
 * The page's state: one zustand store made of typed slices, one file each.
 *  - experiment (state/experiment.ts): the experiment being edited (always valid; mirrored in the URL)
 *  - runtime    (state/runtime.ts):    what each run's worker reports (status, step, backend, errors)
 *  - view       (state/view.ts):       layout and display options
 *  - banner     (state/banner.ts):     the page's error banner, messages by source
 * The run controller (state/controller.ts) does what the actions ask of the
 * runs' workers; the URL module (state/url.ts) mirrors the store in the URL.
 * High-rate metrics are not here: see metrics.ts.
 */
import { create } from 'zustand';
import type { Experiment } from '../engine/config.ts';
import type { Verdict } from '../engine/estimate.ts';
import { metrics } from './metrics.ts';
import { RunClient } from './runClient.ts';
import { bannerSlice, type BannerSlice } from './state/banner.ts';
import { RunController } from './state/controller.ts';
import { browserEnv, type PageEnv, type WorkerClientFactory } from './state/workerClient.ts';
import { experimentSlice, type ExperimentSlice } from './state/experiment.ts';
import { runtimeSlice, type RuntimeSlice } from './state/runtime.ts';
import { viewSlice, type ViewSlice } from './state/view.ts';

export type { RunRuntime } from './state/runtime.ts';
export type { Layout } from './state/view.ts';

export type State = ExperimentSlice & RuntimeSlice & ViewSlice & BannerSlice;

/** A store and the controller of its runs (the page has one; tests make their own). */
export function createPage(makeClient: WorkerClientFactory, env: PageEnv) {
  let ctl: RunController | null = null;
  const controllerOf = () => ctl!;
  const useStore = create<State>()((...a) => ({
    ...experimentSlice(controllerOf)(...a),
    ...runtimeSlice(controllerOf)(...a),
    ...viewSlice(...a),
    ...bannerSlice(...a),
  }));
  ctl = new RunController(useStore, makeClient, env);
  return { useStore, controller: ctl };
}

const page = createPage((events) => new RunClient(events), browserEnv(() => metrics.clear()));

export const useStore = page.useStore;
/** The page's run controller: the one owner of the runs' workers. */
export const controller = page.controller;

/** The resource verdict of run i (see RunController.verdict). */
export function runVerdict(i: number, exp?: Experiment): Verdict {
  return controller.verdict(i, exp);
}
