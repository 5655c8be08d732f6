/**
 * GEMM from plain tfjs ops: the implementation on wasm and cpu, and the reference the WGSL kernel is tested
 * against. On wasm (and cpu) BatchMatMul with a transposed operand runs 10-40x slower than without (measured:
 * 2048x896x896 takes 918 ms transposed-B, 77 ms plain on wasm), so transposes are explicit copies here.
 */
import * as tf from '../../backend/tf';

/** Sizes of one product: op(A) is [batch, m, k], op(B) is [batch (or 1), k, n]. */
export interface GemmShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** Swaps the last two axes: [b, m, n] → [b, n, m]. */
const swapLast = (t: tf.Tensor3D): tf.Tensor3D => tf.transpose(t, [0, 2, 1]);

/**
 * A rank-r product added to a single product (batch 1) before alpha scales it: scale · left · op(right), with
 * left [m, r] and right [n, r] when `transposeRight` (LoRA's B), else [r, n] (LoRA's A).
 */
export interface LowRankTerm {
  left: tf.Tensor2D;
  right: tf.Tensor2D;
  transposeRight: boolean;
  scale: number;
}

/**
 * What causal attention's products promise, with queries stacked in groups of `period` (the sequence length; one
 * group a head) and keys at positions 0 .. period − 1. Every needed entry comes out as it would without the
 * promise; the reference ignores it.
 *   'output': rows are queries, columns keys; entries past a row's query are not needed (a tile wholly past it
 *             is left 0). Scores, and their gradient.
 *   'kKeys':  rows are queries, k runs over keys; A's entries past the row's query are 0, so their products are
 *             skipped. P·V, dS·K.
 *   'kQueries': rows are keys, k runs over the stacked queries; op(A)'s entries whose key is past their query
 *             are 0, so each group's queries before a tile's first key are skipped. Pᵀ·dO, dSᵀ·Q.
 */
export interface Causal {
  part: 'output' | 'kKeys' | 'kQueries';
  period: number;
}

/**
 * What gemm adds to op(A) · op(B): a low-rank product before alpha scales the sum, then a bias [n] added to
 * every row.
 */
export interface GemmAddends {
  lowRank: LowRankTerm | null;
  bias: tf.Tensor1D | null;
}

export function gemmReference(a: tf.Tensor3D, b: tf.Tensor3D, { lowRank, bias }: GemmAddends, s: GemmShape, alpha: number): tf.Tensor3D {
  return tf.tidy(() => {
    let c = tf.matMul(s.transposeA ? swapLast(a) : a, s.transposeB ? swapLast(b) : b) as tf.Tensor3D; // [batch, m, n]
    if (lowRank) {
      const right = lowRank.transposeRight ? tf.transpose(lowRank.right) : lowRank.right; // [r, n]
      c = tf.add(c, tf.mul(tf.matMul(lowRank.left, right), lowRank.scale)); // [m, n] broadcast over batch 1
    }
    if (alpha !== 1) c = tf.mul(c, alpha);
    return bias ? tf.add(c, bias) : c;
  });
}
