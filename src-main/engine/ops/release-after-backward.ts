/**
 * tfjs keeps every gradient flowing backward (each op's dy) and every tensor saved for the backward pass
 * until the whole backward pass ends, so peak memory holds all activations and all their gradients at once.
 * Our ops' backward functions run once per node: after computing their input gradients they release their
 * dy and saved tensors (saved ones are clones tfjs made for this node; dy is read by nothing after it), which
 * frees activations layer by layer as the backward pass walks down, as PyTorch does.
 */
import * as tf from '../backend/tf';

export function releaseAfterBackward<T extends tf.Tensor | tf.Tensor[]>(release: tf.Tensor[], backward: () => T): T {
  const grads = tf.tidy(backward);
  tf.dispose(release);
  return grads;
}
