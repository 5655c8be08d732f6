/**
 * Attention's softmax, forward and backward, as kernels without gradients of their own (grouped-attention.ts
 * differentiates attention as a whole): WGSL on webgpu, plain ops elsewhere.
 * `maskedSoftmax(scores, bias)` = softmax(scores + bias) over the last axis; scores: [B, G, T, S] (G: heads, or
 * grouped query rows); bias: [B, 1, T, S], the same for every G. `softmaxBackward(dy, y)` = y · (dy − Σ dy · y).
 */
import * as tf from '../../backend/tf';
import { onWebgpu } from '../webgpu-kernel';
import { maskedSoftmaxReference, softmaxBackwardReference } from './masked-softmax-reference';
import { maskedSoftmaxWebgpu, softmaxBackwardWebgpu } from './masked-softmax-webgpu';

export function maskedSoftmax(scores: tf.Tensor4D, bias: tf.Tensor4D): tf.Tensor4D {
  const [B, , T, S] = scores.shape;
  if (!tf.util.arraysEqual(bias.shape, [B, 1, T, S])) throw new Error(`maskedSoftmax: bias [${bias.shape}] must be [${[B, 1, T, S]}] for scores [${scores.shape}]`);
  return onWebgpu() ? maskedSoftmaxWebgpu(scores, bias) : maskedSoftmaxReference(scores, bias);
}

export function softmaxBackward(dy: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  return onWebgpu() ? softmaxBackwardWebgpu(dy, y) : softmaxBackwardReference(dy, y);
}
