/**
 * The LM head and cross-entropy in one op that never holds the float32 logits of the whole batch: rows are
 * processed in chunks of about CHUNK_ELEMENTS logits, and the backward pass recomputes each chunk's logits
 * instead of keeping them. With a 150k vocabulary and 2048 tokens that is 64 MB at a time instead of the
 * 1.2 GB of logits plus as much again for their softmax and gradient.
 *
 * loss = Σᵢ logsumexp(hᵢ·Wᵀ) − (hᵢ·Wᵀ)[tᵢ];   ∂loss/∂hᵢ = (softmax(hᵢ·Wᵀ) − onehot(tᵢ)) · W
 * W [V, H] is frozen (captured, no gradient); hidden [N, H]; targets [N].
 */
import * as tf from '../backend/tf';

const CHUNK_ELEMENTS = 2 ** 24;

export function lmHeadCrossEntropy(hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: Int32Array, chunkElements = CHUNK_ELEMENTS): tf.Scalar {
  const [n] = hidden.shape;
  const vocab = weight.shape[0];
  const rows = Math.max(1, Math.floor(chunkElements / vocab));
  const chunks = Array.from({ length: Math.ceil(n / rows) }, (_, i) => ({ begin: i * rows, size: Math.min(rows, n - i * rows) }));
  // Each chunk in its own tidy scope, so its [c, V] temporaries are gone before the next chunk starts.
  const op = tf.customGrad((h, save) => {
    (save as tf.GradSaveFunc)([h as tf.Tensor]);
    let value: tf.Tensor = tf.scalar(0);
    for (const { begin, size } of chunks) {
      const previous = value;
      value = tf.tidy(() => {
        const logits = chunkLogits(tf.slice(h as tf.Tensor2D, [begin, 0], [size, -1]), weight); // [c, V]
        const picked = tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(targets.subarray(begin, begin + size), 'int32'), vocab)), 1); // [c]
        return tf.add(previous, tf.sum(tf.sub(tf.logSumExp(logits, 1), picked)));
      });
      previous.dispose();
    }
    return {
      value,
      gradFunc: (dy, [saved]) => {
        const parts = chunks.map(({ begin, size }) =>
          tf.tidy(() => {
            const logits = chunkLogits(tf.slice(saved as tf.Tensor2D, [begin, 0], [size, -1]), weight); // [c, V]
            const onehot = tf.oneHot(tf.tensor1d(targets.subarray(begin, begin + size), 'int32'), vocab); // [c, V]
            const dLogits = tf.mul(tf.sub(tf.softmax(logits), onehot), dy as tf.Scalar); // [c, V]
            return tf.matMul(dLogits, weight); // [c, H]
          }),
        );
        const grad = tf.concat(parts, 0);
        tf.dispose(parts);
        return grad;
      },
    };
  });
  return op(hidden) as tf.Scalar;
}

/** h [c, H] · Wᵀ → [c, V]. On wasm/cpu as (W · hᵀ)ᵀ: their kernels are slow with a transposed operand, and transposing the small chunk beats transposing W. */
function chunkLogits(h: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  const backend = tf.getBackend();
  if (backend === 'wasm' || backend === 'cpu') return tf.transpose(tf.matMul(weight, tf.transpose(h))) as tf.Tensor2D;
  return tf.matMul(h, weight, false, true);
}
