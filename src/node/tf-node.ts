/**
 * TensorFlow.js setup for Node hosts (CLI, sweep workers, unit tests, bench):
 * the union package's Node bundle registers every gradient and the cpu backend;
 * the wasm backend is loaded on demand. No native binaries (no tfjs-node).
 */
import * as tfjs from '@tensorflow/tfjs';
import * as tf from '../engine/tf.ts';

export type NodeBackend = 'cpu' | 'wasm';

let wasmLoaded = false;

export async function setNodeBackend(name: NodeBackend = 'cpu'): Promise<NodeBackend> {
  tf.enableProdMode(); // no debug checks, no console banner
  if (name === 'wasm' && !wasmLoaded) {
    await import('@tensorflow/tfjs-backend-wasm');
    wasmLoaded = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`cannot start the ${name} backend`);
  await tf.ready();
  return name;
}

export { tfjs };
