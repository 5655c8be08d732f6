import * as tf from '../backend/tf';
import type { LinearLayer } from './linear';
import type { MlpProjection } from './model-layout';
import { swiglu } from '../ops/swiglu/swiglu';


/** SwiGLU: `down(silu(gate(x)) * up(x))`. */
export class Mlp {
  constructor(readonly proj: Record<MlpProjection, LinearLayer>) {}

  apply(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      return this.proj.down_proj.apply(swiglu(this.proj.gate_proj.apply(x), this.proj.up_proj.apply(x))) as tf.Tensor3D;
    });
  }
}
