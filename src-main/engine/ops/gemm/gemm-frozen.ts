/**
 * A product whose B is a frozen matrix that is not one float32 tensor (webgpu only: packed, or in row blocks
 * because one binding cannot hold it; frozen-matrix.ts). Each row block is one GEMM reading it as it is stored.
 * With B transposed (x·Wᵀ) a row block of W gives a block of output columns, and the blocks' outputs are
 * concatenated; otherwise (dy·W) it gives a part of k, and the parts are summed, the first carrying the low-rank
 * term and the bias. A matrix in one block is one GEMM.
 */
import * as tf from '../../backend/tf';
import type { FrozenMatrix } from '../frozen-matrix';
import type { GemmAddends, GemmShape, LowRankTerm } from './gemm';
import { gemmWebgpu } from './gemm-webgpu';

export function gemmFrozen(a: tf.Tensor3D, b: FrozenMatrix, { lowRank, bias }: GemmAddends, s: GemmShape, alpha: number): tf.Tensor3D {
  if (b.blocks.length === 1) return gemmWebgpu(a, { matrix: b, block: 0 }, { lowRank, bias }, s, alpha, null);
  return tf.tidy(() => {
    if (s.transposeB) {
      const parts = b.blocks.map(({ firstRow, rows }, block) => {
        const addends = { lowRank: lowRank && lowRankColumns(lowRank, firstRow, rows), bias: bias && tf.slice(bias, [firstRow], [rows]) };
        return gemmWebgpu(a, { matrix: b, block }, addends, { ...s, n: rows }, alpha, null); // [1, m, rows]
      });
      return tf.concat(parts, 2);
    }
    const parts = b.blocks.map(({ firstRow, rows }, block) => {
      // op(A)'s columns firstRow .. firstRow + rows: A's columns, or its rows when transposed.
      const aPart = s.transposeA ? tf.slice(a, [0, firstRow, 0], [-1, rows, -1]) : tf.slice(a, [0, 0, firstRow], [-1, -1, rows]);
      return gemmWebgpu(aPart, { matrix: b, block }, block === 0 ? { lowRank, bias } : { lowRank: null, bias: null }, { ...s, k: rows }, alpha, null);
    });
    // Added one at a time: tfjs's addN binds every part at once, past the 8 buffers WebGPU guarantees a program.
    return parts.reduce((sum, part) => tf.add(sum, part));
  });
}

/** The low-rank term's product for output columns first .. first + count − 1 (its right factor's rows or columns). */
function lowRankColumns(t: LowRankTerm, first: number, count: number): LowRankTerm {
  const right = t.transposeRight ? tf.slice(t.right, [first, 0], [count, -1]) : tf.slice(t.right, [0, first], [-1, count]);
  return { ...t, right };
}
