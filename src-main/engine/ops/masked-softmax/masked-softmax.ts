/**
 * `maskedSoftmax(scores, bias)` = softmax(scores + bias) over the last axis as one op, its backward pass one more
 * (the bias is a constant mask: no gradient). WGSL on webgpu, plain ops elsewhere.
 * scores: [B, G, T, S] (G: heads, or grouped query rows); bias: [B, 1, T, S].
 */
import * as tf from '../../backend/tf';
import { releaseAfterBackward } from '../release-after-backward';
import { onWebgpu } from '../webgpu-kernel';
import { maskedSoftmaxReference, softmaxBackwardReference } from './masked-softmax-reference';
import { maskedSoftmaxWebgpu, softmaxBackwardWebgpu } from './masked-softmax-webgpu';

export function maskedSoftmax(scores: tf.Tensor4D, bias: tf.Tensor4D): tf.Tensor4D {
  const [B, , T, S] = scores.shape;
  if (!tf.util.arraysEqual(bias.shape, [B, 1, T, S])) throw new Error(`maskedSoftmax: bias [${bias.shape}] must be [${[B, 1, T, S]}] for scores [${scores.shape}]`);
  const op = tf.customGrad((x, save) => {
    const y = onWebgpu() ? maskedSoftmaxWebgpu(x as tf.Tensor4D, bias) : maskedSoftmaxReference(x as tf.Tensor4D, bias);
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy, [saved]) =>
        releaseAfterBackward([dy as tf.Tensor, saved!], () => (onWebgpu() ? softmaxBackwardWebgpu : softmaxBackwardReference)(dy as tf.Tensor4D, saved as tf.Tensor4D)),
    };
  });
  return op(scores) as tf.Tensor4D;
}
