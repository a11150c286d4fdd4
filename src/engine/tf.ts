/**
 * The engine's single entry to TensorFlow.js (tfjs-core ops). Hosts register
 * the gradients and choose the backend in their entry files: the workers import
 * `src/worker/gradients.ts`, Node hosts import `src/node/tf-node.ts`.
 */
export * from '@tensorflow/tfjs-core';
