/** Attention's masked softmax from plain tfjs ops: the wasm/cpu implementation and the WGSL kernels' reference. */
import * as tf from '../../backend/tf';

/** softmax(scores + bias) over the last axis. scores: [B, G, T, S]; bias: [B, 1, T, S], the same for every group G. */
export function maskedSoftmaxReference(scores: tf.Tensor4D, bias: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.softmax(tf.add(scores, bias)) as tf.Tensor4D);
}

/** The softmax's backward pass: dx = y · (dy − Σ dy · y), per row. */
export function softmaxBackwardReference(dy: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true))) as tf.Tensor4D);
}
