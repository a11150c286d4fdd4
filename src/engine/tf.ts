/**
 * The engine's single entry to TensorFlow.js (tfjs-core ops). Hosts register
 * the gradients and choose the backend in their entry files: the worker imports
 * tfjs-core's `register_all_gradients`, Node hosts import `src/node/tf-node.ts`.
 */
export * from '@tensorflow/tfjs-core';
