/**
 * `frozenLinear(x, W)` = x · Wᵀ for a frozen weight W [out, in] (x: [N, in]), the base product of every linear
 * layer. W is captured, not an input, so backpropagation computes only dx = dy · W and never a gradient for W.
 */
import * as tf from '../backend/tf';
import { gemm } from './gemm/gemm';
import { releaseAfterBackward } from './release-after-backward';

export function frozenLinear(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((input) => ({
    value: gemm(input as tf.Tensor, weight, { transposeB: true }),
    gradFunc: (dy) => releaseAfterBackward([dy as tf.Tensor], () => gemm(dy as tf.Tensor, weight)),
  }));
  return op(x) as tf.Tensor2D;
}
