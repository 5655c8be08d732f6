/** `swiglu(gate, up)` = silu(gate) · up as one op with its own backward pass: WGSL on webgpu, plain ops elsewhere. */
import * as tf from '../../backend/tf';
import { releaseAfterBackward } from '../release-after-backward';
import { onWebgpu } from '../webgpu-kernel';
import { swigluBackwardReference, swigluReference } from './swiglu-reference';
import { swigluBackwardWebgpu, swigluWebgpu } from './swiglu-webgpu';

export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(gate.shape, up.shape)) throw new Error(`swiglu: gate [${gate.shape}] and up [${up.shape}] differ in shape`);
  const op = tf.customGrad((g, u, save) => {
    (save as tf.GradSaveFunc)([g as tf.Tensor, u as tf.Tensor]);
    return {
      value: onWebgpu() ? swigluWebgpu(g as tf.Tensor, u as tf.Tensor) : swigluReference(g as tf.Tensor, u as tf.Tensor),
      gradFunc: (dy, [sg, su]) =>
        releaseAfterBackward([dy as tf.Tensor, sg!, su!], () => (onWebgpu() ? swigluBackwardWebgpu : swigluBackwardReference)(dy as tf.Tensor, sg!, su!)),
    };
  });
  return op(gate, up);
}
