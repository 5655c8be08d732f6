/** Cross-entropy over rows of logits from plain tfjs ops: the wasm/cpu implementation and the WGSL kernels' reference. */
import * as tf from '../../backend/tf';

/** Σᵢ logsumexp(logitsᵢ) − logitsᵢ[targetᵢ]. logits: [c, V]; targets: [c] int32. */
export function crossEntropySumReference(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(logits, tf.oneHot(targets, logits.shape[1])), 1); // [c]
    return tf.sum(tf.sub(tf.logSumExp(logits, 1), picked));
  });
}

/** ∂/∂logits of dy · crossEntropySum: (softmax(logits) − onehot(targets)) · dy. */
export function crossEntropyGradReference(logits: tf.Tensor2D, targets: tf.Tensor1D, dy: tf.Scalar): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sub(tf.softmax(logits), tf.oneHot(targets, logits.shape[1])), dy));
}
