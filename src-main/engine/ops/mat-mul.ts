/**
 * Matrix products for the model, with gradients that never ask a backend for a transposed operand where
 * that is slow. On wasm (and cpu), BatchMatMul with transposeA/transposeB runs 10-40x slower than without
 * (measured: 2048x896x896 takes 918 ms transposed-B, 77 ms plain on wasm), so there transposes are made
 * explicit copies and the products plain. GPU backends handle transposed operands natively.
 */
import * as tf from '../backend/tf';

const explicitTransposes = () => {
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu';
};

/** Swaps the last two axes: [..., m, n] → [..., n, m]. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1]!, perm[perm.length - 2]!];
  return tf.transpose(t, perm);
}

/** a·b for operands of the same rank and batch dimensions, gradients for both, all products untransposed. */
const plainMatMul = tf.customGrad((a, b, save) => {
  (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(a as tf.Tensor, b as tf.Tensor),
    // Tidied: tfjs would keep a custom gradient's temporaries (the transposed copies) until the backward pass ends.
    gradFunc: (dy, [sa, sb]) => tf.tidy(() => [tf.matMul(dy as tf.Tensor, swapLast(sb!)), tf.matMul(swapLast(sa!), dy as tf.Tensor)]),
  };
});

/** `op(a) · op(b)` where op transposes the last two axes when asked; both operands may need gradients. */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (!explicitTransposes() || a.rank !== b.rank) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => plainMatMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b) as tf.Tensor);
}

/**
 * `x · Wᵀ` for a frozen weight W [out, in] (x: [N, in]). W is captured, not an input, so backpropagation
 * computes only dx = dy · W and never a gradient for W.
 */
export function frozenLinear(x: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((input) => ({
    value: explicitTransposes() ? tf.matMul(input as tf.Tensor, tf.transpose(weight)) : tf.matMul(input as tf.Tensor, weight, false, true),
    gradFunc: (dy) => tf.matMul(dy as tf.Tensor, weight),
  }));
  return op(x) as tf.Tensor2D;
}
