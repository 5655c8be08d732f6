/**
 * `gemm(a, b, options)` = alpha · (op(a) · op(b) (+ a low-rank product)) (+ bias), the one matrix
 * product of the model: WGSL on webgpu, plain tfjs ops elsewhere. No gradient of its own: the differentiable
 * products (frozen-linear.ts, the LoRA and attention ops) are built from it, their backward passes being products
 * too.
 * a: [batch, m, k] ([batch, k, m] transposed); b: [batch or 1, k, n] ([.., n, k] transposed); rank 2 means batch 1.
 * b may be a frozen matrix (a base weight, frozen-matrix.ts) with a of rank 2: packed, or in row blocks, on webgpu
 * (gemm-frozen.ts), one float32 tensor elsewhere.
 * On an H100 a training step with the WGSL kernel ran 2.2x as fast as with tfjs's matMul (bench/results/h100/ab-gemm-*).
 */
import * as tf from '../../backend/tf';
import { FrozenMatrix } from '../frozen-matrix';
import { onWebgpu } from '../webgpu-kernel';
import { gemmFrozen } from './gemm-frozen';
import { gemmReference } from './gemm-reference';
import { gemmWebgpu } from './gemm-webgpu';

/** Sizes of one product: op(A) is [batch, m, k], op(B) is [batch (or 1), k, n]. */
export interface GemmShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

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

export interface GemmOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  alpha?: number;
  /** Added to every row of the product (a linear layer's bias): [n]. */
  bias?: tf.Tensor | null;
  /**
   * A LoRA update added to a single product before alpha: scale · left · op(right), left [m, r], right [n, r]
   * when transposeRight, else [r, n]. The one pass writes base and update together.
   */
  lowRank?: LowRankTerm | null;
  /** Causal attention's structure, which lets the WGSL kernel skip work (see Causal). */
  causal?: Causal | null;
}

export function gemm(a: tf.Tensor, b: tf.Tensor | FrozenMatrix, { transposeA = false, transposeB = false, alpha = 1, bias = null, lowRank = null, causal = null }: GemmOptions = {}): tf.Tensor {
  const frozen = b instanceof FrozenMatrix && !b.isPlain ? b : null;
  const plainB = b instanceof FrozenMatrix ? (frozen ? null : b.tensor()) : b;
  const rank = a.rank;
  if (rank !== 2 && rank !== 3) throw new Error(`gemm: a must have rank 2 or 3, got shape [${a.shape}]`);
  if ((plainB?.rank ?? 2) !== rank) throw new Error(`gemm: a [${a.shape}] and b [${b.shape}] must have the same rank`);
  if (frozen && causal) throw new Error('gemm: a frozen matrix is never an attention operand');
  return tf.tidy(() => {
    const a3 = (rank === 2 ? a.expandDims(0) : a) as tf.Tensor3D;
    const b3 = plainB && ((rank === 2 ? plainB.expandDims(0) : plainB) as tf.Tensor3D);
    const bShape = b3?.shape ?? [1, ...frozen!.shape];
    const [batch, m, k] = transposeA ? [a3.shape[0], a3.shape[2], a3.shape[1]] : a3.shape;
    const [kb, n] = transposeB ? [bShape[2], bShape[1]] : [bShape[1], bShape[2]];
    if (k !== kb || (bShape[0] !== batch && bShape[0] !== 1)) throw new Error(`gemm: cannot multiply [${a.shape}]${transposeA ? 'ᵀ' : ''} by [${b.shape}]${transposeB ? 'ᵀ' : ''}`);
    if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) throw new Error(`gemm: the bias must be [${n}], got [${bias.shape}]`);
    if (lowRank) checkLowRank(lowRank, batch, m, n);
    if (causal) checkCausal(causal, m, n, k);
    const shape: GemmShape = { batch, m, n, k, transposeA, transposeB };
    const extra = { lowRank, bias: bias as tf.Tensor1D | null };
    const c = frozen ? gemmFrozen(a3, frozen, extra, shape, alpha) : onWebgpu() ? gemmWebgpu(a3, b3!, extra, shape, alpha, causal) : gemmReference(a3, b3!, extra, shape, alpha); // [batch, m, n]
    return rank === 2 ? c.reshape([m, n]) : c;
  });
}

function checkLowRank({ left, right, transposeRight }: LowRankTerm, batch: number, m: number, n: number): void {
  const r = left.shape[1];
  const [rn, rr] = transposeRight ? right.shape : [right.shape[1], right.shape[0]];
  if (batch !== 1 || left.rank !== 2 || right.rank !== 2 || left.shape[0] !== m || rn !== n || rr !== r) {
    throw new Error(`gemm: a low-rank term for a [${batch}, ${m}, ${n}] product must be [${m}, r] by [${transposeRight ? `${n}, r` : `r, ${n}`}], got [${left.shape}] by [${right.shape}]`);
  }
}

/** The sizes each causal part needs: keys along n, k or m as Causal says, the stacked queries a whole number of groups. */
function checkCausal({ part, period }: Causal, m: number, n: number, k: number): void {
  const fits = { output: n === period && m % period === 0, kKeys: k === period && m % period === 0, kQueries: m === period && k % period === 0 }[part];
  if (!fits) throw new Error(`gemm: a causal '${part}' product over ${period} positions cannot be [${m}, ${n}] over k = ${k} (see Causal)`);
}
