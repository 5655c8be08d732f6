/**
 * Gradient checkpointing: `recompute(fn, x, variables, keep)` returns fn(x) without keeping fn's
 * intermediate activations for backpropagation; the backward pass runs fn again on the saved input and
 * differentiates that. Memory for activations drops from every op of every layer to one tensor per layer,
 * for about one more forward pass of compute.
 *
 * Ops inside a custom-gradient forward are not taped by tfjs (they run at kernel depth > 0), which is what
 * makes this work. `variables` (the trainable weights fn uses) are inputs of the op so their gradients reach
 * the optimizer; `keep` are tensors fn reads that must survive until the backward pass (masks, RoPE tables).
 */
import * as tf from '../backend/tf';
import { withOwnTape } from './tape-state';

export function recompute(fn: (x: tf.Tensor, kept: tf.Tensor[]) => tf.Tensor, x: tf.Tensor, variables: tf.Variable[], keep: tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor;
    save([input, ...keep]);
    return {
      value: fn(input, keep),
      // Tidied, so the recomputed layer's activations go as soon as its gradients exist.
      gradFunc: (dy, [savedInput, ...savedKeep]) =>
        tf.tidy(() => withOwnTape(() => tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(fn(xs[0]!, savedKeep), dy as tf.Tensor)))([savedInput!, ...variables]))),
    };
  });
  return op(x, ...variables) as tf.Tensor;
}
