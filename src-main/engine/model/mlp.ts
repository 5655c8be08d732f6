import * as tf from '../backend/tf';
import type { LinearLayer } from './linear';

export const MLP_PROJECTIONS = ['gate_proj', 'up_proj', 'down_proj'] as const;
export type MlpProjection = (typeof MLP_PROJECTIONS)[number];

/** SwiGLU: `down(silu(gate(x)) * up(x))`. */
export class Mlp {
  constructor(readonly proj: Record<MlpProjection, LinearLayer>) {}

  apply(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const gate = this.proj.gate_proj.apply(x);
      const silu = gate.mul(tf.sigmoid(gate));
      return this.proj.down_proj.apply(silu.mul(this.proj.up_proj.apply(x))) as tf.Tensor3D;
    });
  }
}
