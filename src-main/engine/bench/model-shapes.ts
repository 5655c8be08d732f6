/**
 * config.json of real model shapes, for benchmarks and memory measurements on random weights
 * (the numbers of the released checkpoints; the weights themselves are never needed).
 */
/** What the Qwen2.5 checkpoints share. */
const QWEN2 = {
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  torch_dtype: 'bfloat16',
  bos_token_id: 151643,
  eos_token_id: 151645,
} as const;

/** What the Llama 3.x checkpoints share. */
const LLAMA3 = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  num_key_value_heads: 8,
  vocab_size: 128256,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  torch_dtype: 'bfloat16',
  bos_token_id: 128000,
  eos_token_id: 128001,
} as const;

const llama3Scaling = (factor: number) => ({ rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });

export const MODEL_SHAPES = {
  'qwen2.5-0.5b': { ...QWEN2, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, tie_word_embeddings: true },
  'qwen2.5-1.5b': { ...QWEN2, hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, tie_word_embeddings: true },
  'qwen2.5-3b': { ...QWEN2, hidden_size: 2048, intermediate_size: 11008, num_hidden_layers: 36, num_attention_heads: 16, num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, tie_word_embeddings: true },
  'qwen2.5-7b': { ...QWEN2, hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064, max_position_embeddings: 32768, tie_word_embeddings: false },
  'llama-3.2-1b': { ...LLAMA3, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, head_dim: 64, rope_scaling: llama3Scaling(32), tie_word_embeddings: true },
  'llama-3.2-3b': { ...LLAMA3, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28, num_attention_heads: 24, head_dim: 128, rope_scaling: llama3Scaling(32), tie_word_embeddings: true },
  'llama-3.1-8b': { ...LLAMA3, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, head_dim: 128, rope_scaling: llama3Scaling(8), tie_word_embeddings: false },
  'mistral-7b-v0.3': {
    architectures: ['MistralForCausalLM'],
    model_type: 'mistral',
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    head_dim: 128,
    vocab_size: 32768,
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-5,
    rope_theta: 1000000,
    sliding_window: null,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    bos_token_id: 1,
    eos_token_id: 2,
  },
  /** The embedded demo model's shape. */
  demo: {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: 192,
    intermediate_size: 512,
    num_hidden_layers: 4,
    num_attention_heads: 6,
    num_key_value_heads: 2,
    head_dim: 32,
    vocab_size: 1024,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    bos_token_id: null,
    eos_token_id: 2,
  },
} as const satisfies Record<string, Record<string, unknown>>;

export type ShapeName = keyof typeof MODEL_SHAPES;
export const SHAPE_NAMES = Object.keys(MODEL_SHAPES) as ShapeName[];

/** A real shape made smaller: fewer layers (the cost of one layer is the difference) or a smaller vocabulary (to fit a software GPU). */
export interface ShapeCut {
  readonly layers: number | null;
  readonly vocab: number | null;
}

/** The config.json of a shape with its cut applied, and a label that says what was cut. */
export function cutShape(name: ShapeName, cut: ShapeCut): { config: Record<string, unknown>; label: string } {
  const { layers, vocab } = cut;
  const config = { ...MODEL_SHAPES[name], ...(layers ? { num_hidden_layers: layers } : {}), ...(vocab ? { vocab_size: vocab } : {}) };
  const parts = [layers ? `${layers} layer${layers === 1 ? '' : 's'}` : '', vocab ? `vocab ${vocab}` : ''].filter(Boolean);
  return { config, label: parts.length ? `${name} cut to ${parts.join(', ')}` : name };
}
