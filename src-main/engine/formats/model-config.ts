/**
 * `config.json` of a Hugging Face causal LM, in transformers 4 style (`rope_theta`, `torch_dtype`)
 * or transformers 5 style (`rope_parameters`, `dtype`), normalised to one shape the engine trusts.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { UserError, validationError } from '../errors';
import { readJsonFile } from '../text-files';
import { CONFIG_DTYPE, type StorageDtype } from './dtype';
import { CONFIG_FILE, checkModelFolder } from './model-folder';

export const SUPPORTED_ARCHITECTURES = ['LlamaForCausalLM', 'Qwen2ForCausalLM', 'MistralForCausalLM'] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositionEmbeddings: number;
    };

export interface ModelConfig {
  readonly architecture: Architecture;
  readonly modelType: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling;
  readonly maxPositionEmbeddings: number;
  /** Bias on q, k and v (Qwen2 always; Llama with `attention_bias`). */
  readonly qkvBias: boolean;
  /** Bias on o_proj (Llama with `attention_bias` only). */
  readonly oBias: boolean;
  readonly mlpBias: boolean;
  readonly tieWordEmbeddings: boolean;
  /** Keys further back than this are not attended to (Mistral); null for full attention. */
  readonly slidingWindow: number | null;
  readonly dtype: StorageDtype;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  /** The file as read, kept so an export writes back every key it does not change. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const tokenId = z.number().int().nonnegative().nullish();
const ropeShape = z
  .object({
    rope_type: z.string().optional(),
    type: z.string().optional(),
    rope_theta: z.number().positive().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: z.number().int().positive().optional(),
  })
  .nullish();

const rawConfig = z.object({
  architectures: z.array(z.string()).min(1, 'must name the model class, e.g. ["LlamaForCausalLM"]'),
  model_type: z.string(),
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive().nullish(),
  head_dim: z.number().int().positive().nullish(),
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().nullish(),
  rope_scaling: ropeShape,
  rope_parameters: ropeShape,
  max_position_embeddings: z.number().int().positive().default(2048),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(false),
  sliding_window: z.number().int().positive().nullish(),
  use_sliding_window: z.boolean().nullish(),
  torch_dtype: z.string().nullish(),
  dtype: z.string().nullish(),
  bos_token_id: tokenId,
  eos_token_id: z.union([tokenId, z.array(z.number().int().nonnegative())]),
  pad_token_id: tokenId,
  hidden_act: z.string().default('silu'),
});

export async function readModelConfig(dir: string): Promise<ModelConfig> {
  checkModelFolder(dir);
  const path = join(dir, CONFIG_FILE);
  return parseModelConfig(await readJsonFile(path), path);
}

export function parseModelConfig(json: unknown, source = 'config.json'): ModelConfig {
  const architecture = (json as { architectures?: unknown })?.architectures;
  const name = Array.isArray(architecture) ? String(architecture[0]) : undefined;
  if (name && !(SUPPORTED_ARCHITECTURES as readonly string[]).includes(name)) {
    throw new UserError(
      `${source}: architecture ${name} is not supported`,
      `TuneBoard trains ${SUPPORTED_ARCHITECTURES.join(', ')} (Llama 2/3, Qwen2/2.5, Mistral, SmolLM, TinyLlama and other models of those classes).`,
    );
  }
  const parsed = rawConfig.safeParse(json);
  if (!parsed.success) throw validationError(source, parsed.error.issues);
  const c = parsed.data;
  if (c.hidden_act !== 'silu') throw new UserError(`${source}: hidden_act ${c.hidden_act} is not supported (only silu)`);
  const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % numKvHeads !== 0) {
    throw new UserError(`${source}: num_attention_heads (${c.num_attention_heads}) is not a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const rope = c.rope_parameters ?? c.rope_scaling ?? {};
  const ropeTheta = c.rope_parameters?.rope_theta ?? c.rope_theta ?? 10000;
  const dtypeName = c.dtype ?? c.torch_dtype ?? 'float32';
  const dtype = CONFIG_DTYPE[dtypeName];
  if (!dtype) throw new UserError(`${source}: dtype ${dtypeName} is not supported (float32, float16 or bfloat16)`);
  const isQwen2 = name === 'Qwen2ForCausalLM';
  const eos = c.eos_token_id;
  return {
    architecture: name as Architecture,
    modelType: c.model_type,
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads,
    headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta,
    ropeScaling: ropeScalingOf(rope, source),
    maxPositionEmbeddings: c.max_position_embeddings,
    qkvBias: isQwen2 || c.attention_bias,
    oBias: !isQwen2 && c.attention_bias,
    mlpBias: c.mlp_bias,
    tieWordEmbeddings: c.tie_word_embeddings,
    slidingWindow: slidingWindowOf(name as Architecture, c.sliding_window ?? null, c.use_sliding_window ?? false, source),
    dtype,
    bosTokenId: c.bos_token_id ?? null,
    eosTokenIds: eos == null ? [] : Array.isArray(eos) ? eos : [eos],
    padTokenId: c.pad_token_id ?? null,
    raw: json as Record<string, unknown>,
  };
}

function ropeScalingOf(rope: NonNullable<z.infer<typeof ropeShape>>, source: string): RopeScaling {
  const type = rope.rope_type ?? rope.type ?? 'default';
  if (type === 'default') return { type };
  if (type === 'linear' && rope.factor) return { type, factor: rope.factor };
  if (type === 'llama3' && rope.factor && rope.original_max_position_embeddings) {
    return {
      type,
      factor: rope.factor,
      lowFreqFactor: rope.low_freq_factor ?? 1,
      highFreqFactor: rope.high_freq_factor ?? 4,
      originalMaxPositionEmbeddings: rope.original_max_position_embeddings,
    };
  }
  throw new UserError(`${source}: RoPE scaling ${type} is not supported`, 'Supported rope_type values: default, linear, llama3.');
}

function slidingWindowOf(arch: Architecture, window: number | null, useSlidingWindow: boolean, source: string): number | null {
  if (arch === 'MistralForCausalLM') return window;
  // Qwen2 applies the window only to layers past max_window_layers; no released Qwen2/2.5 checkpoint turns it on.
  if (useSlidingWindow) throw new UserError(`${source}: use_sliding_window: true is not supported for ${arch}`);
  return null;
}
