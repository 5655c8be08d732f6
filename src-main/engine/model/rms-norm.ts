import type * as tf from '../backend/tf';
import { rmsNorm } from '../ops/rms-norm/rms-norm';

/** RMSNorm as in Llama: `x / sqrt(mean(x^2) + eps) * weight`. */
export class RMSNorm {
  constructor(
    readonly weight: tf.Tensor1D,
    readonly eps: number,
  ) {}

  apply(x: tf.Tensor): tf.Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
