/** RMSNorm from plain tfjs ops, forward and backward: the wasm/cpu implementation and the WGSL kernels' reference. */
import * as tf from '../../backend/tf';

/** y = x / sqrt(mean(x²) + eps) · w, over the last axis, in the order transformers computes it. */
export function rmsNormReference(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight));
}

/** dx = r · g − x · r³ · mean(g · x), with g = dy · w and r = 1 / sqrt(mean(x²) + eps). */
export function rmsNormBackwardReference(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)); // [N, 1]
    const g = tf.mul(dy, weight);
    return tf.sub(tf.mul(g, r), tf.mul(x, tf.mul(tf.pow(r, 3), tf.mean(tf.mul(g, x), -1, true))));
  });
}
