/**
 * tfjs-core as the engine uses it. Its ESM entry registers neither gradients nor the chained tensor
 * methods (`x.reshape(...)`); importing tfjs through this module guarantees both, in the CLI bundle,
 * in the Electron engine process and in tests alike.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

export * from '@tensorflow/tfjs-core';
