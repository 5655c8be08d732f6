/**
 * The LM head and cross-entropy in one op that never holds the float32 logits of the whole batch: rows are
 * processed in chunks of about `chunkElements` logits. When a gradient is being taken, each chunk's gradient
 * is computed while its logits exist, in the forward pass (the loss is the last op, so its dy is a scalar that
 * only scales it): the logits are never computed twice and never kept. With a 150k vocabulary and 2048 tokens,
 * wasm holds 64 MB of logits at a time and a GPU 256 MB, instead of 1.2 GB of logits plus as much again for
 * their softmax and gradient.
 *
 * loss = Σᵢ logsumexp(hᵢ·Wᵀ) − (hᵢ·Wᵀ)[tᵢ];   ∂loss/∂hᵢ = (softmax(hᵢ·Wᵀ) − onehot(tᵢ)) · W
 * W [V, H] is frozen (captured, no gradient; read as stored, frozen-matrix.ts); hidden [N, H]; targets [N].
 */
import { releasePooledMemory } from '../backend/buffer-pool';
import * as tf from '../backend/tf';
import { crossEntropyGradReference, crossEntropySumReference } from './cross-entropy/cross-entropy-reference';
import { crossEntropyGradWebgpu, crossEntropyRowsWebgpu } from './cross-entropy/cross-entropy-webgpu';
import type { FrozenMatrix } from './frozen-matrix';
import { gemm } from './gemm/gemm';
import { recordingGradients } from './tape-state';
import { maxBindingElements, onWebgpu, submitBatchedCommands } from './webgpu-kernel';

/**
 * Logits per chunk: 64 MB on wasm/cpu, 256 MB on a GPU (less where one binding of the running device cannot hold
 * that much). `webgpu` false asks for another backend's chunk, as a plan for a backend not yet started does.
 */
export function defaultChunkElements(webgpu = onWebgpu()): number {
  if (!webgpu) return 2 ** 24;
  return onWebgpu() ? Math.min(2 ** 26, maxBindingElements()) : 2 ** 26;
}

export function lmHeadCrossEntropy(hidden: tf.Tensor2D, weight: FrozenMatrix, targets: Int32Array, chunkElements = defaultChunkElements()): tf.Scalar {
  const [n] = hidden.shape;
  const vocab = weight.rows;
  const rows = Math.max(1, Math.floor(chunkElements / vocab));
  const chunks = Array.from({ length: Math.ceil(n / rows) }, (_, i) => ({ begin: i * rows, size: Math.min(rows, n - i * rows) }));
  const op = tf.customGrad((h, save) => {
    const ids = tf.tensor1d(targets, 'int32');
    const withGradient = recordingGradients();
    const one = tf.scalar(1);
    let value: tf.Tensor = tf.scalar(0);
    const gradParts: tf.Tensor[] = [];
    submitBatchedCommands(); // tensors the layers disposed go back to the pool before the first chunk's are made
    for (const [i, { begin, size }] of chunks.entries()) {
      const previous = value;
      // Each chunk in its own tidy scope, so its [c, V] temporaries are gone before the next chunk starts.
      value = tf.tidy(() => {
        const logits = chunkLogits(tf.slice(h as tf.Tensor2D, [begin, 0], [size, -1]), weight); // [c, V]
        if (withGradient) gradParts.push(tf.keep(gemm(chunkGrad(logits, ids, begin, one), weight))); // [c, H]
        return tf.add(previous, chunkLoss(logits, ids, begin));
      });
      previous.dispose();
      submitBatchedCommands(); // this chunk's logits and gradient go back to the pool before the next chunk's are made
      // A chunk's buffers, the largest of the step, are reused by a next chunk of the same size; otherwise (the
      // shorter last chunk, then the backward pass) nothing has their size: given back, made again next step.
      if (chunks[i + 1]?.size !== size) releasePooledMemory((bytes) => bytes === size * vocab * 4); // [size, V] float32
    }
    if (withGradient) {
      (save as tf.GradSaveFunc)([tf.concat(gradParts, 0)]); // [N, H]
      tf.dispose(gradParts);
    }
    return {
      value,
      // dy is not released: this op is the loss, and its dy may be the caller's own tensor.
      gradFunc: (dy, [grad]) => {
        const scaled = tf.mul(grad!, dy as tf.Scalar);
        grad!.dispose();
        return scaled;
      },
    };
  });
  return op(hidden) as tf.Scalar;
}

/** h [c, H] · Wᵀ → [c, V]. On wasm/cpu (where W is one float32 tensor) as (W · hᵀ)ᵀ: transposing the small chunk beats transposing W. */
function chunkLogits(h: tf.Tensor2D, weight: FrozenMatrix): tf.Tensor2D {
  if (onWebgpu()) return gemm(h, weight, { transposeB: true }) as tf.Tensor2D;
  return tf.transpose(gemm(weight.tensor(), tf.transpose(h))) as tf.Tensor2D;
}

/** The summed loss of rows begin .. begin + c. */
function chunkLoss(logits: tf.Tensor2D, ids: tf.Tensor1D, begin: number): tf.Scalar {
  if (onWebgpu()) return tf.sum(crossEntropyRowsWebgpu(logits, ids, begin));
  return crossEntropySumReference(logits, tf.slice(ids, [begin], [logits.shape[0]]));
}

function chunkGrad(logits: tf.Tensor2D, ids: tf.Tensor1D, begin: number, dy: tf.Scalar): tf.Tensor2D {
  if (onWebgpu()) return crossEntropyGradWebgpu(logits, ids, begin, dy);
  return crossEntropyGradReference(logits, tf.slice(ids, [begin], [logits.shape[0]]), dy);
}
