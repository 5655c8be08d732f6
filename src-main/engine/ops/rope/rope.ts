/**
 * `rope(x, cos, sin)`: rotary position embedding as one op. Its backward pass is the inverse rotation, the same
 * kernel with sin negated. x: [B, T, heads, D]; cos, sin: [T, 1, D] with both halves of D equal (Rope.tables).
 */
import * as tf from '../../backend/tf';
import { releaseAfterBackward } from '../release-after-backward';
import { onWebgpu } from '../webgpu-kernel';
import { ropeReference } from './rope-reference';
import { ropeWebgpu } from './rope-webgpu';

function rotate(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D, sign: 1 | -1): tf.Tensor4D {
  if (onWebgpu()) return ropeWebgpu(x, cos, sin, sign);
  return tf.tidy(() => ropeReference(x, cos, sign === 1 ? sin : tf.neg(sin)));
}

export function rope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  const op = tf.customGrad((input, save) => {
    // The tables belong to the forward pass's scope: the backward pass needs its own (saved) references.
    (save as tf.GradSaveFunc)([cos, sin]);
    return {
      value: rotate(input as tf.Tensor4D, cos, sin, 1),
      gradFunc: (dy, [c, s]) => releaseAfterBackward([dy as tf.Tensor, c!, s!], () => rotate(dy as tf.Tensor4D, c as tf.Tensor3D, s as tf.Tensor3D, -1)),
    };
  });
  return op(x) as tf.Tensor4D;
}
