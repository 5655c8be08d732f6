import * as tf from '../backend/tf';

/**
 * Global L2 norm of all gradients, computed as torch.nn.utils.clip_grad_norm_ does, and the gradients scaled
 * by min(1, maxNorm / (norm + 1e-6)). Returns the norm before clipping (what transformers logs as grad_norm).
 */
export async function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Promise<number> {
  const squares = tf.tidy(() => tf.stack([...grads.values()].map((g) => g.square().sum())));
  const norm = Math.sqrt(Array.from(await squares.data()).reduce((a, b) => a + b, 0));
  squares.dispose();
  if (maxNorm > 0) {
    const coef = Math.min(1, maxNorm / (norm + 1e-6));
    if (coef < 1) {
      for (const [key, g] of grads) {
        grads.set(key, tf.keep(g.mul(coef)));
        g.dispose();
      }
    }
  }
  return norm;
}
