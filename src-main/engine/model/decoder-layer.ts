import * as tf from '../backend/tf';
import { add } from '../ops/view-ops';
import type { Attention, AttentionContext } from './attention';
import type { LinearLayer } from './linear';
import type { Mlp } from './mlp';
import { ATTENTION_PROJECTIONS, type AttentionProjection, type Projection } from './model-layout';
import type { RMSNorm } from './rms-norm';

/** Pre-norm transformer block: `x + attn(norm(x))`, then `x + mlp(norm(x))`. */
export class DecoderLayer {
  constructor(
    readonly inputNorm: RMSNorm,
    readonly attention: Attention,
    readonly postAttentionNorm: RMSNorm,
    readonly mlp: Mlp,
  ) {}

  trainableVariables(): tf.Variable[] {
    return [...Object.values(this.attention.proj), ...Object.values(this.mlp.proj)].flatMap((p) => p.trainableVariables());
  }

  projection(p: Projection): LinearLayer {
    return isAttention(p) ? this.attention.proj[p] : this.mlp.proj[p];
  }

  setProjection(p: Projection, layer: LinearLayer): void {
    if (isAttention(p)) this.attention.proj[p] = layer;
    else this.mlp.proj[p] = layer;
  }

  apply(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => {
      const h = add(x, this.attention.apply(this.inputNorm.apply(x) as tf.Tensor3D, ctx));
      return add(h, this.mlp.apply(this.postAttentionNorm.apply(h) as tf.Tensor3D));
    });
  }
}

const isAttention = (p: Projection): p is AttentionProjection => (ATTENTION_PROJECTIONS as readonly string[]).includes(p);
