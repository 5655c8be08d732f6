/**
 * Differentiable matrix products built on `gemm`, whose backward passes are gemms too (no transposed copies
 * on GPUs, explicit ones where wasm and cpu need them; see gemm-reference.ts).
 */
import * as tf from '../backend/tf';
import { gemm } from './gemm/gemm';
import { releaseAfterBackward } from './release-after-backward';

/**
 * alpha · op(a) · op(b) for operands of the same rank (2 or 3) and batch, with gradients for both, where op
 * transposes the last two axes when asked.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false, alpha = 1): tf.Tensor {
  const op = tf.customGrad((x, y, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor, y as tf.Tensor]);
    return {
      value: gemm(x as tf.Tensor, y as tf.Tensor, { transposeA, transposeB, alpha }),
      gradFunc: (dy, [sa, sb]) => releaseAfterBackward([dy as tf.Tensor, sa!, sb!], () => matMulGrads(dy as tf.Tensor, sa!, sb!, transposeA, transposeB, alpha)),
    };
  });
  return op(a, b);
}

/** d op(a)·op(b): each case is the product of dy with the other operand, laid out as the input was. */
function matMulGrads(dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean, alpha: number): [tf.Tensor, tf.Tensor] {
  if (!tA && !tB) return [gemm(dy, b, { transposeB: true, alpha }), gemm(a, dy, { transposeA: true, alpha })];
  if (tA && !tB) return [gemm(b, dy, { transposeB: true, alpha }), gemm(a, dy, { alpha })];
  if (!tA && tB) return [gemm(dy, b, { alpha }), gemm(dy, a, { transposeA: true, alpha })];
  return [gemm(b, dy, { transposeA: true, transposeB: true, alpha }), gemm(dy, a, { transposeA: true, transposeB: true, alpha })];
}

/**
 * `x · Wᵀ` for a frozen weight W [out, in] (x: [N, in]). W is captured, not an input, so backpropagation
 * computes only dx = dy · W and never a gradient for W.
 */
export function frozenLinear(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((input) => ({
    value: gemm(input as tf.Tensor, weight, { transposeB: true }),
    gradFunc: (dy) => releaseAfterBackward([dy as tf.Tensor], () => gemm(dy as tf.Tensor, weight)),
  }));
  return op(x) as tf.Tensor2D;
}
