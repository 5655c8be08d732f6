import * as tf from '../backend/tf';

/**
 * The global L2 norm of a flat gradient vector, as torch.nn.utils.clip_grad_norm_ computes it, and the
 * vector scaled by min(1, maxNorm / (norm + 1e-6)). Returns the norm before clipping (what transformers
 * logs as grad_norm) and the clipped vector (the same tensor when nothing was clipped).
 */
export async function clipByGlobalNorm(grads: tf.Tensor1D, maxNorm: number): Promise<{ norm: number; clipped: tf.Tensor1D }> {
  const squares = tf.tidy(() => grads.square().sum());
  const norm = Math.sqrt((await squares.data())[0]!);
  squares.dispose();
  const coef = maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return { norm, clipped: coef < 1 ? (grads.mul(coef) as tf.Tensor1D) : grads };
}
