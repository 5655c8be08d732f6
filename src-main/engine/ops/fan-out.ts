/**
 * `fanOut(x, n)`: x handed to n consumers as n tensors that share its buffer, with one backward step that adds
 * their n gradients and releases them. Where one tensor feeds several ops (q, k and v from one normed input,
 * gate and up, each residual branch), tfjs would add every consumer's gradient into x's as it arrives and keep
 * each added one until the whole backward pass ends: five a layer, 7 MB each at Qwen2.5-0.5B's 2,048 tokens.
 */
import * as tf from '../backend/tf';
import { releaseAfterBackward } from './release-after-backward';

/** The part of tfjs's engine that runs an op with several outputs and its own backward function. */
interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: () => tf.Tensor[];
    backwardsFunc: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor[];
}

export function fanOut<T extends tf.Tensor>(x: T, n: number): T[] {
  if (!Number.isInteger(n) || n < 2) throw new Error(`fanOut: n must be an integer of at least 2, got ${n}`);
  // tf.customGrad allows one output only; its engine call takes several.
  const engine = tf.engine() as unknown as KernelFuncEngine;
  return engine.runKernelFunc({
    forwardFunc: () => Array.from({ length: n }, () => tf.clone(x)),
    // With several outputs tfjs passes one dy per output (zeros for an output that got no gradient).
    backwardsFunc: (dys) => ({ 0: () => releaseAfterBackward(dys, () => tf.addN(dys)) }),
    inputs: { 0: x },
  }) as T[];
}
