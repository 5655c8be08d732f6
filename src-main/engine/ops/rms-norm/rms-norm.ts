/**
 * `rmsNorm(x, weight, eps)`: Llama's RMSNorm over the last axis as one op with its own backward pass, a WGSL
 * kernel each on webgpu, plain ops elsewhere. The weight is frozen (LoRA never trains norms): captured, no gradient.
 */
import * as tf from '../../backend/tf';
import { onWebgpu } from '../webgpu-kernel';
import { rmsNormBackwardReference, rmsNormReference } from './rms-norm-reference';
import { rmsNormBackwardWebgpu, rmsNormWebgpu } from './rms-norm-webgpu';
import { releaseAfterBackward } from '../release-after-backward';

export function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const shape = x.shape;
  const op = tf.customGrad((input, save) => {
    const flat = (input as tf.Tensor).reshape([-1, weight.shape[0]]) as tf.Tensor2D; // [N, hidden]
    (save as tf.GradSaveFunc)([flat]);
    const y = onWebgpu() ? rmsNormWebgpu(flat, weight, eps) : rmsNormReference(flat, weight, eps);
    return {
      value: y.reshape(shape),
      gradFunc: (dy, [saved]) =>
        releaseAfterBackward([dy as tf.Tensor, saved!], () => {
          const dy2 = (dy as tf.Tensor).reshape(saved!.shape) as tf.Tensor2D;
          const dx = onWebgpu() ? rmsNormBackwardWebgpu(dy2, saved as tf.Tensor2D, weight, eps) : rmsNormBackwardReference(dy2, saved as tf.Tensor2D, weight, eps);
          return dx.reshape(shape);
        }),
    };
  });
  return op(x);
}
