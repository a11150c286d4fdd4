/// <reference lib="webworker" />
/**
 * The training worker's entry: a thin host around one RunSession (session.ts).
 * It registers tfjs's gradients, starts backends (backend.ts) and forwards
 * messages both ways. One worker trains one run, so a run that crashes or
 * diverges cannot stop or corrupt another.
 */
import './gradients.ts';
import * as tf from '../engine/tf.ts';
import type { FromWorker, ToWorker } from '../shared/protocol.ts';
import { setupBackend } from './backend.ts';
import { RunSession } from './session.ts';
import { digitsUrl, loadRunData } from '../engine/data/load.ts';

declare const self: DedicatedWorkerGlobalScope;

function gpuDevice(): GPUDevice | undefined {
  return (tf.backend() as unknown as { device?: GPUDevice }).device;
}

const session = new RunSession({
  post: (msg: FromWorker, transfer: Transferable[] = []) => self.postMessage(msg, transfer),
  setupBackend: (msg) => setupBackend(msg.backend, msg.config, msg.disable ?? []),
  watchDevice: (backend, onLost) => {
    if (backend !== 'webgpu') return;
    gpuDevice()?.lost.then((info) => onLost(`${info.reason}${info.message ? `: ${info.message}` : ''}`));
  },
  loseDevice: () => gpuDevice()?.destroy(),
  loadData: (cfg) => loadRunData(cfg, digitsUrl(self.location.href, true)),
});

self.onmessage = (ev: MessageEvent<ToWorker>) => void session.receive(ev.data);

// After a lost device, tfjs's pending buffer mappings reject: they are part of the
// loss already reported, not new failures. Anything else is reported to the page.
self.onunhandledrejection = (ev: PromiseRejectionEvent) => {
  ev.preventDefault();
  const report = () => {
    if (!session.deviceLost) session.reportInternal(ev.reason);
  };
  // The device's `lost` promise can settle after the rejections it causes.
  if (session.backend === 'webgpu') setTimeout(report, 500);
  else report();
};

self.onerror = (e) => {
  session.reportInternal(typeof e === 'string' ? e : (e as ErrorEvent).message);
};
