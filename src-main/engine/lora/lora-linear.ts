import type * as tf from '../backend/tf';
import type { Linear, LinearLayer } from '../model/linear';

/** Applies dropout to the LoRA input while training; the identity (the same tensor) otherwise. */
export type LoraDropout = (x: tf.Tensor) => tf.Tensor;

/**
 * A LoRA layer wraps a frozen linear layer and never changes it:
 * `y = base(x) + scale * B (A dropout(x))`, with A [r, in] and B [out, r] the only trainable weights.
 * The base computes itself and the update together (Linear.applyWithUpdate), which saves a gradient per layer.
 */
export class LoraLinear implements LinearLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(
    readonly base: Linear,
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
    return this.base.applyWithUpdate(x, { input: this.dropout(x), a: this.loraA, b: this.loraB, scale: this.scale });
  }
}
