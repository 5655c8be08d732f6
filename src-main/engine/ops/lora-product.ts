/**
 * `addLoraProduct(base, x, A, B, scale)` = base + scale · (x · Aᵀ) · Bᵀ: the low-rank half of a LoRA layer as
 * one op, two gemms forward (the second adds `base` as it writes) and four backward, all with the scale
 * folded in. x: [N, in]; A: [r, in]; B: [out, r]; base: [N, out]. A and B are the trainable weights.
 */
import * as tf from '../backend/tf';
import { gemm } from './gemm/gemm';
import { releaseAfterBackward } from './release-after-backward';

export function addLoraProduct(base: tf.Tensor2D, x: tf.Tensor2D, loraA: tf.Tensor2D, loraB: tf.Tensor2D, scale: number): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [b0, x0, a, b] = args as tf.Tensor2D[];
    const down = gemm(x0!, a!, { transposeB: true }); // [N, r]
    save([x0!, a!, b!, down]);
    return {
      value: gemm(down, b!, { transposeB: true, alpha: scale, addend: b0 }), // [N, out]
      gradFunc: (dy, [sx, sa, sb, sDown]) =>
        releaseAfterBackward([dy as tf.Tensor, sx!, sa!, sb!, sDown!], () => {
          const dyB = gemm(dy as tf.Tensor, sb!, { alpha: scale }); // [N, r]
          return [
            (dy as tf.Tensor).clone(), // d base
            gemm(dyB, sa!), // d x: [N, in]
            gemm(dyB, sx!, { transposeA: true }), // d A: [r, in]
            gemm(dy as tf.Tensor, sDown!, { transposeA: true, alpha: scale }), // d B: [out, r]
          ];
        }),
    };
  });
  return op(base, x, loraA, loraB) as tf.Tensor2D;
}
