import * as tf from '../backend/tf';

/** RMSNorm as in Llama: `x / sqrt(mean(x^2) + eps) * weight`. */
export class RMSNorm {
  constructor(
    readonly weight: tf.Tensor1D,
    readonly eps: number,
  ) {}

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const variance = x.square().mean(-1, true);
      return x.mul(variance.add(this.eps).rsqrt()).mul(this.weight);
    });
  }
}
