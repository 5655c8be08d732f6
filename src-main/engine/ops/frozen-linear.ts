/**
 * `frozenLinear(x, W, b)` = x · Wᵀ (+ b) for a frozen weight W [out, in] and bias b [out] (x: [N, in]), the base
 * product of every linear layer. W and b are captured, not inputs, so backpropagation computes only dx = dy · W.
 * W is read as it is stored (float32, 16-bit or NF4; frozen-matrix.ts) in both products.
 */
import * as tf from '../backend/tf';
import type { FrozenMatrix } from './frozen-matrix';
import { gemm } from './gemm/gemm';
import { releaseAfterBackward } from './release-after-backward';

export function frozenLinear(x: tf.Tensor2D, weight: FrozenMatrix, bias: tf.Tensor1D | null = null): tf.Tensor2D {
  const op = tf.customGrad((input) => ({
    value: gemm(input as tf.Tensor, weight, { transposeB: true, bias }),
    gradFunc: (dy) => releaseAfterBackward([dy as tf.Tensor], () => gemm(dy as tf.Tensor, weight)),
  }));
  return op(x) as tf.Tensor2D;
}
