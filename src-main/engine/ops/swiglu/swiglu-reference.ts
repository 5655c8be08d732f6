/** SwiGLU's gating from plain tfjs ops, forward and backward: the wasm/cpu implementation and the WGSL kernels' reference. */
import * as tf from '../../backend/tf';

/** silu(gate) · up = gate · sigmoid(gate) · up. */
export function swigluReference(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
}

/** d gate = dy · up · σ · (1 + gate · (1 − σ)), d up = dy · gate · σ, with σ = sigmoid(gate). */
export function swigluBackwardReference(dy: tf.Tensor, gate: tf.Tensor, up: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const s = tf.sigmoid(gate);
    const dGate = tf.mul(tf.mul(tf.mul(dy, up), s), tf.add(tf.mul(gate, tf.sub(1, s)), 1));
    return [dGate, tf.mul(tf.mul(dy, gate), s)];
  });
}
