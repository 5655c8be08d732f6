import * as tf from '../backend/tf';
import type { FrozenMatrix } from '../ops/frozen-matrix';
import { frozenLinear } from '../ops/frozen-linear';
import { lowRankLinear, type LowRankUpdate } from '../ops/low-rank-linear';
import { reshape } from '../ops/view-ops';

/** Anything that maps [..., in] to [..., out]: a plain Linear, or a LoRA layer wrapping one. */
export interface LinearLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  apply(x: tf.Tensor): tf.Tensor;
  /** The weights that train (none for a frozen layer). */
  trainableVariables(): tf.Variable[];
}

/**
 * `y = x W^T + b` with W stored as Hugging Face does, [out, in]. Frozen: W is a frozen matrix (float32, 16-bit or
 * NF4) and b a plain tensor, never variables.
 */
export class Linear implements LinearLayer {
  readonly outFeatures: number;
  readonly inFeatures: number;

  constructor(
    readonly weight: FrozenMatrix,
    readonly bias: tf.Tensor1D | null = null,
  ) {
    [this.outFeatures, this.inFeatures] = weight.shape;
  }

  trainableVariables(): tf.Variable[] {
    return [];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.overRows(x, (flat) => frozenLinear(flat, this.weight, this.bias)); // [N, out]
  }

  /** `apply(x)` plus a LoRA update (its A, B, scale and input), computed with it as one op (ops/low-rank-linear.ts). */
  applyWithUpdate(x: tf.Tensor, update: LowRankUpdate): tf.Tensor {
    return this.overRows(x, (flat) => {
      // The same tensor when there is no dropout: the op then merges the two input gradients.
      const input = update.input === x ? flat : reshape(update.input, [-1, this.inFeatures]); // [N, in]
      return lowRankLinear(flat, this.weight, this.bias, { ...update, input }); // [N, out]
    });
  }

  /** Runs `product` on x's rows, [N, in] → [N, out], and gives the result x's leading axes: [..., out]. */
  private overRows(x: tf.Tensor, product: (flat: tf.Tensor2D) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const y = product(reshape<tf.Rank.R2>(x, [-1, this.inFeatures])); // [N, out]
      return reshape(y, [...lead, this.outFeatures]); // [..., out]
    });
  }
}
