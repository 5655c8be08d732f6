import * as tf from '../backend/tf';
import type { LinearLayer } from '../model/linear';
import { addLoraProduct } from '../ops/lora-product';

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
      const base = this.base.apply(x).reshape([-1, this.outFeatures]) as tf.Tensor2D; // [N, out]
      const dropped = this.dropout(x).reshape([-1, this.inFeatures]) as tf.Tensor2D; // [N, in]
      return addLoraProduct(base, dropped, this.loraA, this.loraB, this.scale).reshape([...lead, this.outFeatures]); // [..., out]
    });
  }
}
