/**
 * A step's gradient into its update, queued without reading anything back: on a GPU, the host's work on the
 * update (hundreds of small programs: the flat gradient, clipping, AdamW, the split back into the LoRA weights)
 * then overlaps the backward pass the GPU is still running, instead of the GPU idling while the host reads the
 * norm and queues the update. The caller reads the norm (and the loss) once the whole step is queued.
 */
import * as tf from '../backend/tf';
import type { AdamW } from './adamw';

/**
 * The global L2 norm of a flat gradient vector, as torch.nn.utils.clip_grad_norm_ computes it, and the
 * vector scaled by min(1, maxNorm / (norm + 1e-6)); with maxNorm ≤ 0 (no clipping) the vector itself. The norm
 * (before clipping, what transformers logs as grad_norm) is a tensor, to read after the update is queued.
 */
export function clipByGlobalNorm(grads: tf.Tensor1D, maxNorm: number): { norm: tf.Scalar; clipped: tf.Tensor1D } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(grads))) as tf.Scalar;
    const clipped = maxNorm > 0 ? (tf.mul(grads, tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)))) as tf.Tensor1D) : grads;
    return { norm, clipped };
  });
}

/**
 * Queues one optimizer update from a step's flat gradient summed over its micro-batches: divided by the step's
 * supervised tokens (the loss is a mean over them), clipped to `maxGradNorm`, applied by AdamW at `lr`. It takes
 * `summed` over and frees each vector once the next is made: one the size of the adapter at a time.
 * Returns the gradient norm before clipping, unread.
 */
export function queueUpdate(optimizer: AdamW, summed: tf.Tensor1D, tokens: number, maxGradNorm: number, lr: number): tf.Scalar {
  const normalised = tf.div(summed, tokens) as tf.Tensor1D;
  summed.dispose();
  const { norm, clipped } = clipByGlobalNorm(normalised, maxGradNorm);
  if (clipped !== normalised) normalised.dispose();
  optimizer.applyFlat(clipped, lr);
  clipped.dispose();
  return norm;
}
