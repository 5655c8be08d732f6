/**
 * `rope(x, cos, sin)`: rotary position embedding as one op that also puts heads before positions, the layout
 * attention's products want, so no transpose runs after it. Its backward pass is the inverse rotation with the
 * axes swapped back: the same kernel with sin negated.
 * x: [B, T, heads, D] → [B, heads, T, D]; cos, sin: [T, 1, D] with both halves of D equal (Rope.tables).
 */
import * as tf from '../../backend/tf';
import { releaseAfterBackward } from '../release-after-backward';
import { onWebgpu } from '../webgpu-kernel';
import { ropeReference } from './rope-reference';
import { ropeWebgpu, type RopeDirection } from './rope-webgpu';

/** Rotates x and swaps its axes 1 and 2: forward from [B, T, heads, D], backward from [B, heads, T, D]. */
function rotate(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D, direction: RopeDirection): tf.Tensor4D {
  if (onWebgpu()) return ropeWebgpu(x, cos, sin, direction);
  return tf.tidy(() => {
    if (direction === 'forward') return tf.transpose(ropeReference(x, cos, sin), [0, 2, 1, 3]); // [B, heads, T, D]
    return ropeReference(tf.transpose(x, [0, 2, 1, 3]), cos, tf.neg(sin)); // [B, T, heads, D]
  });
}

export function rope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  const op = tf.customGrad((input, save) => {
    // The tables belong to the forward pass's scope: the backward pass needs its own (saved) references.
    (save as tf.GradSaveFunc)([cos, sin]);
    return {
      value: rotate(input as tf.Tensor4D, cos, sin, 'forward'),
      gradFunc: (dy, [c, s]) => releaseAfterBackward([dy as tf.Tensor, c!, s!], () => rotate(dy as tf.Tensor4D, c as tf.Tensor3D, s as tf.Tensor3D, 'backward')),
    };
  });
  return op(x) as tf.Tensor4D;
}
