import * as tf from '../backend/tf';
import { matMul } from '../ops/mat-mul';
import type { LinearLayer } from '../model/linear';

/** Applies dropout to the LoRA input while training; the identity otherwise. */
export type LoraDropout = (x: tf.Tensor) => tf.Tensor;

/**
 * A LoRA layer wraps a frozen linear layer and never changes it:
 * `y = base(x) + scale * B (A dropout(x))`, with A [r, in] and B [out, r] the only trainable weights.
 */
export class LoraLinear implements LinearLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(
    readonly base: LinearLayer,
    readonly loraA: tf.Variable<tf.Rank.R2>,
    readonly loraB: tf.Variable<tf.Rank.R2>,
    readonly scale: number,
    private readonly dropout: LoraDropout,
  ) {
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
  }

  trainableVariables(): tf.Variable[] {
    return [this.loraA, this.loraB];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const flat = this.dropout(x).reshape([-1, this.inFeatures]); // [N, in]
      const down = matMul(flat, this.loraA, false, true); // [N, r]
      const up = matMul(down, this.loraB, false, true).mul(this.scale); // [N, out]
      return this.base.apply(x).add(up.reshape([...lead, this.outFeatures])); // [..., out]
    });
  }
}
