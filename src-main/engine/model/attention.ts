import * as tf from '../backend/tf';
import { groupedAttention } from '../ops/grouped-attention';
import { reshape, transpose } from '../ops/view-ops';
import type { KVCache } from './kv-cache';
import type { LinearLayer } from './linear';
import type { AttentionProjection } from './model-layout';
import type { Rope } from './rope';


/** Inputs shared by every layer of one forward pass. */
export interface AttentionContext {
  readonly cos: tf.Tensor3D;
  readonly sin: tf.Tensor3D;
  /** [B, 1, 1, T, S] additive bias from `attentionBias`. */
  readonly bias: tf.Tensor;
  readonly cache: KVCache | null;
}

/** Grouped-query self-attention: `numHeads` query heads share `numKvHeads` key/value heads. */
export class Attention {
  constructor(
    readonly proj: Record<AttentionProjection, LinearLayer>,
    readonly numHeads: number,
    readonly numKvHeads: number,
    readonly headDim: number,
    readonly rope: Rope,
    readonly layerIndex: number,
  ) {}

  apply(x: tf.Tensor3D, ctx: AttentionContext): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = x.shape;
      const { numHeads: H, numKvHeads: KV, headDim: D } = this;
      const q = reshape<tf.Rank.R4>(this.proj.q_proj.apply(x), [B, T, H, D]); // [B, T, H, D]
      const k = reshape<tf.Rank.R4>(this.proj.k_proj.apply(x), [B, T, KV, D]); // [B, T, KV, D]
      const v = reshape<tf.Rank.R4>(this.proj.v_proj.apply(x), [B, T, KV, D]); // [B, T, KV, D]
      const qRot = this.rope.apply(q, ctx.cos, ctx.sin); // [B, H, T, D]
      let kRot = this.rope.apply(k, ctx.cos, ctx.sin); // [B, KV, T, D]
      let vT = transpose(v, [0, 2, 1, 3]); // [B, KV, T, D]
      if (ctx.cache) ({ k: kRot, v: vT } = ctx.cache.append(this.layerIndex, kRot, vT)); // [B, KV, S, D]
      // attentionBias hides every key past its query: without cached keys, that is causal attention's triangle.
      const out = groupedAttention(qRot, kRot, vT, ctx.bias, KV, kRot.shape[2] === T); // [B, H, T, D]
      const merged = reshape(transpose(out, [0, 2, 1, 3]), [B, T, H * D]); // [B, T, H*D]
      return this.proj.o_proj.apply(merged) as tf.Tensor3D;
    });
  }
}
