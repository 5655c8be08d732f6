/**
 * `lowRankLinear(x, weight, bias, update)` = x·Wᵀ (+ b) + s·(x′·Aᵀ)·Bᵀ: a frozen linear layer and its LoRA update
 * as one op. Forward: two GEMMs, x′·Aᵀ, then the base product with the rank-r update added in the same pass (its
 * output written once). Backward: dy·W and the LoRA input gradient (dy·B)·A come out of one GEMM when x′ is x (no
 * dropout), so x gets one gradient instead of two that tfjs would add up and keep until the backward pass ends;
 * four GEMMs in all, the scale folded in.
 * x, x′: [N, in]; W: [out, in] and b: [out], frozen (captured, no gradient; W read as stored, frozen-matrix.ts);
 * A: [r, in]; B: [out, r].
 */
import * as tf from '../backend/tf';
import type { FrozenMatrix } from './frozen-matrix';
import { gemm } from './gemm/gemm';
import { releaseAfterBackward } from './release-after-backward';

export interface LowRankUpdate {
  /** The LoRA input x′: x after dropout, or x itself. */
  readonly input: tf.Tensor;
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
  readonly scale: number;
}

export function lowRankLinear(x: tf.Tensor2D, weight: FrozenMatrix, bias: tf.Tensor1D | null, update: LowRankUpdate): tf.Tensor2D {
  const shared = update.input === x;
  const { scale } = update;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [input, loraInput, a, b] = (shared ? [args[0], args[0], args[1], args[2]] : args) as tf.Tensor2D[];
    const down = gemm(loraInput!, a!, { transposeB: true }) as tf.Tensor2D; // [N, r]
    save([loraInput!, a!, b!, down]);
    return {
      value: gemm(input!, weight, { transposeB: true, bias, lowRank: { left: down, right: b!, transposeRight: true, scale } }), // [N, out]
      gradFunc: (dy, [sInput, sa, sb, sDown]) =>
        releaseAfterBackward([dy as tf.Tensor, sInput!, sa!, sb!, sDown!], () => {
          const dyB = gemm(dy as tf.Tensor, sb!, { alpha: scale }) as tf.Tensor2D; // [N, r]
          const dA = gemm(dyB, sInput!, { transposeA: true }); // [r, in]
          const dB = gemm(dy as tf.Tensor, sDown!, { transposeA: true, alpha: scale }); // [out, r]
          if (shared) return [gemm(dy as tf.Tensor, weight, { lowRank: { left: dyB, right: sa as tf.Tensor2D, transposeRight: false, scale: 1 } }), dA, dB]; // [N, in]
          return [gemm(dy as tf.Tensor, weight), gemm(dyB, sa!), dA, dB];
        }),
    };
  });
  return (shared ? op(x, update.a, update.b) : op(x, update.input, update.a, update.b)) as tf.Tensor2D;
}
