/**
 * `groupedAttention(q, k, v, bias, numKvHeads, causal)` = softmax(q·kᵀ/√D + bias)·v as one op, with the query heads of one
 * KV group stacked so K and V are never repeated. Its backward pass recomputes the attention probabilities from
 * q and k instead of keeping them: a layer keeps q, k and v, not also B·H·T·S probabilities (59 MB a layer for
 * Qwen2.5-0.5B at 4 x 512 tokens), for one more product and softmax per layer. With `causal` (the bias hides
 * every key past its query, and S = T: a causal LM without cached keys), the products skip what that hides: score
 * tiles wholly past their queries, keys past them in the products over keys, queries before them in the
 * products over queries (softmax's zeros): about half the work of a long sequence's attention.
 * q: [B, H, T, D]; k, v: [B, KV, S, D]; bias: [B, 1, 1, T, S] additive mask → [B, H, T, D].
 */
import * as tf from '../backend/tf';
import { gemm } from './gemm/gemm';
import { maskedSoftmax, softmaxBackward } from './masked-softmax/masked-softmax';
import { releaseAfterBackward } from './release-after-backward';

export function groupedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor, numKvHeads: number, causal: boolean): tf.Tensor4D {
  const [B, H, T, D] = q.shape;
  const S = k.shape[2];
  if (causal && S !== T) throw new Error(`groupedAttention: causal needs as many keys as queries, got ${S} and ${T}`);
  const [G, rows] = [B * numKvHeads, (H / numKvHeads) * T]; // KV groups, stacked query rows per group
  const scale = 1 / Math.sqrt(D);
  // Products giving scores, products over keys, and products over the stacked queries (see Causal).
  const part = (name: 'output' | 'kKeys' | 'kQueries') => (causal ? { causal: { part: name, period: T } } : {});
  const [onScores, overKeys, overQueries] = [part('output'), part('kKeys'), part('kQueries')];
  /** q3: [G, rows, D]; k3: [G, S, D] → probabilities [G, rows, S]. */
  const probabilities = (q3: tf.Tensor, k3: tf.Tensor, mask: tf.Tensor) => {
    const scores = gemm(q3, k3, { transposeB: true, alpha: scale, ...onScores }).reshape([B, H, T, S]) as tf.Tensor4D; // [B, H, T, S]
    return maskedSoftmax(scores, mask as tf.Tensor4D).reshape([G, rows, S]); // [G, rows, S]
  };
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const q3 = (args[0] as tf.Tensor).reshape([G, rows, D]); // [G, rows, D]
    const k3 = (args[1] as tf.Tensor).reshape([G, S, D]); // [G, S, D]
    const v3 = (args[2] as tf.Tensor).reshape([G, S, D]); // [G, S, D]
    const mask = bias.reshape([B, 1, T, S]); // [B, 1, T, S]
    save([q3, k3, v3, mask]);
    return {
      value: gemm(probabilities(q3, k3, mask), v3, overKeys).reshape([B, H, T, D]), // [B, H, T, D]
      gradFunc: (dy, [sq, sk, sv, sMask]) =>
        releaseAfterBackward([dy as tf.Tensor, sq!, sk!, sv!, sMask!], () => {
          const probs = probabilities(sq!, sk!, sMask!); // [G, rows, S], recomputed
          const dOut = (dy as tf.Tensor).reshape([G, rows, D]); // [G, rows, D]
          const dProbs = gemm(dOut, sv!, { transposeB: true, ...onScores }).reshape([B, H, T, S]) as tf.Tensor4D; // [B, H, T, S]
          const dScores = softmaxBackward(dProbs, probs.reshape([B, H, T, S]) as tf.Tensor4D).reshape([G, rows, S]); // [G, rows, S]
          return [
            gemm(dScores, sk!, { alpha: scale, ...overKeys }).reshape(q.shape), // d q
            gemm(dScores, sq!, { transposeA: true, alpha: scale, ...overQueries }).reshape(k.shape), // d k
            gemm(probs, dOut, { transposeA: true, ...overQueries }).reshape(v.shape), // d v
          ];
        }),
    };
  });
  return op(q, k, v) as tf.Tensor4D;
}
