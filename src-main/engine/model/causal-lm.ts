/**
 * The Llama-family causal language model (Llama 2/3, Qwen2/2.5, Mistral): embeddings, decoder layers,
 * final norm, LM head. Read top to bottom with rms-norm.ts, rope.ts, attention.ts, mlp.ts, decoder-layer.ts.
 */
import * as tf from '../backend/tf';
import type { ModelConfig } from '../formats/model-config';
import type { AttentionContext } from './attention';
import { attentionBias } from './attention-mask';
import type { DecoderLayer } from './decoder-layer';
import type { KVCache } from './kv-cache';
import type { Linear, LinearLayer } from './linear';
import type { ModelLayout } from './model-layout';
import type { FrozenMatrix } from '../ops/frozen-matrix';
import { frozenRows } from '../ops/frozen-rows';
import { recompute } from '../ops/recompute';
import { reshape } from '../ops/view-ops';
import type { RMSNorm } from './rms-norm';
import type { Rope } from './rope';

export interface ForwardOptions {
  /** [B, S] with 1 for real tokens and 0 for padding, S = cached + new positions; null: no padding. */
  readonly keyMask?: ArrayLike<number> | null;
  readonly cache?: KVCache | null;
  /** Gradient checkpointing: keep one activation per layer and recompute the rest in the backward pass. */
  readonly recomputeLayers?: boolean;
}

export class CausalLM {
  constructor(
    readonly config: ModelConfig,
    readonly layout: ModelLayout,
    readonly embedTokens: FrozenMatrix,
    readonly layers: readonly DecoderLayer[],
    readonly norm: RMSNorm,
    readonly lmHead: Linear,
    readonly rope: Rope,
  ) {}

  /** ids: [B, T] int32 → logits [B, T, vocab]. */
  forward(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.lmHead.apply(this.hiddenStates(ids, options)) as tf.Tensor3D);
  }

  /** ids: [B, T] int32 → the final normed hidden states [B, T, hidden], before the LM head. */
  hiddenStates(ids: tf.Tensor2D, { keyMask = null, cache = null, recomputeLayers = false }: ForwardOptions = {}): tf.Tensor3D {
    const [B, T] = ids.shape;
    const past = cache?.length ?? 0;
    const result = tf.tidy(() => {
      const positions = Array.from({ length: T }, (_, t) => past + t);
      const { cos, sin } = this.rope.tables(positions);
      const bias = attentionBias(B, past, T, keyMask, this.config.slidingWindow);
      const ctx: AttentionContext = { cos, sin, bias, cache };
      let x = reshape<tf.Rank.R3>(frozenRows(this.embedTokens, ids.reshape([-1])), [B, T, this.config.hiddenSize]); // [B, T, hidden]
      for (const layer of this.layers) {
        x = recomputeLayers
          ? (recompute((h, [c, s, b]) => layer.apply(h as tf.Tensor3D, { cos: c as tf.Tensor3D, sin: s as tf.Tensor3D, bias: b!, cache: null }), x, layer.trainableVariables(), [cos, sin, bias]) as tf.Tensor3D)
          : layer.apply(x, ctx);
      }
      return this.norm.apply(x) as tf.Tensor3D;
    });
    if (cache) cache.length = past + T;
    return result;
  }

  /**
   * Every linear layer by its transformers module name (`model.layers.0.self_attn.q_proj`, ...), with a setter so
   * an adapter can wrap it in place. The LM head is not listed: LoRA targets the decoder's projections.
   */
  linearSlots(): Array<{ name: string; layer: LinearLayer; replace(wrapped: LinearLayer): void }> {
    return this.layout.linears.map(({ module, layer, projection }) => ({
      name: module,
      layer: this.layers[layer]!.projection(projection),
      replace: (w: LinearLayer) => this.layers[layer]!.setProjection(projection, w),
    }));
  }
}
