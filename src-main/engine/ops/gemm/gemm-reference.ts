/**
 * GEMM from plain tfjs ops: the implementation on wasm and cpu, and the reference the WGSL kernel is tested
 * against. On wasm (and cpu) BatchMatMul with a transposed operand runs 10-40x slower than without (measured:
 * 2048x896x896 takes 918 ms transposed-B, 77 ms plain on wasm), so transposes are explicit copies here.
 */
import * as tf from '../../backend/tf';
import type { GemmAddends, GemmShape } from './gemm';

/** Swaps the last two axes: [b, m, n] → [b, n, m]. */
const swapLast = (t: tf.Tensor3D): tf.Tensor3D => tf.transpose(t, [0, 2, 1]);

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
