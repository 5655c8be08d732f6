import type { ModelConfig } from '../formats/model-config';

export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Every weight a Llama-family checkpoint of this config holds, by transformers name, in state-dict order. */
export function parameterLayout(config: ModelConfig): ParameterSpec[] {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d, vocabSize: v } = config;
  const specs: ParameterSpec[] = [{ name: 'model.embed_tokens.weight', shape: [v, h] }];
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp] });
    if (bias) specs.push({ name: `${name}.bias`, shape: [out] });
  };
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    linear(`${p}.self_attn.q_proj`, numHeads * d, h, config.qkvBias);
    linear(`${p}.self_attn.k_proj`, numKvHeads * d, h, config.qkvBias);
    linear(`${p}.self_attn.v_proj`, numKvHeads * d, h, config.qkvBias);
    linear(`${p}.self_attn.o_proj`, h, numHeads * d, config.oBias);
    linear(`${p}.mlp.gate_proj`, m, h, config.mlpBias);
    linear(`${p}.mlp.up_proj`, m, h, config.mlpBias);
    linear(`${p}.mlp.down_proj`, h, m, config.mlpBias);
    specs.push({ name: `${p}.input_layernorm.weight`, shape: [h] }, { name: `${p}.post_attention_layernorm.weight`, shape: [h] });
  }
  specs.push({ name: 'model.norm.weight', shape: [h] });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [v, h] });
  return specs;
}
