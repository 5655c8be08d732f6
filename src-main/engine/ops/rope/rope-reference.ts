/** Rotary embedding from plain tfjs ops: the wasm/cpu implementation and the WGSL kernel's reference. */
import * as tf from '../../backend/tf';

/**
 * x · cos + rotate_half(x) · sin, rotate_half pairing the first and second halves of each head as transformers
 * does. x: [B, T, heads, D]; cos, sin: [T, 1, D]. With −sin it is the backward pass: the rotation's transpose.
 */
export function ropeReference(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, -1); // each [B, T, heads, D/2]
    const rotated = tf.concat([tf.neg(x2), x1], -1); // [B, T, heads, D]
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}
