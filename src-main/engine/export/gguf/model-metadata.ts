/**
 * The `general.*` and architecture keys of a GGUF, as convert_hf_to_gguf writes them for LlamaForCausalLM,
 * MistralForCausalLM (both as llama.cpp's `llama` architecture) and Qwen2ForCausalLM (`qwen2`).
 */
import { UserError } from '../../errors';
import type { ModelConfig } from '../../formats/model-config';
import type { GenerationDefaults } from './generation-defaults';
import type { GgufMetadata, GgufValue } from './gguf-header';

/** Hugging Face architectures GGUF export writes, and llama.cpp's name for each. */
export const GGUF_ARCHITECTURES: Readonly<Record<string, 'llama' | 'qwen2'>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
};

export type GgufArchitecture = 'llama' | 'qwen2';

/** llama.cpp's architecture for the model; refuses, by name, one GGUF export does not write. */
export function ggufArchitecture(config: ModelConfig, source: string): GgufArchitecture {
  const arch = GGUF_ARCHITECTURES[config.architecture];
  if (!arch) {
    throw new UserError(`${source}: architecture ${config.architecture} cannot be exported as GGUF`, `GGUF export writes ${Object.keys(GGUF_ARCHITECTURES).join(', ')}.`);
  }
  if (config.ropeScaling.type === 'llama3' && arch !== 'llama') {
    throw new UserError(`${source}: llama3 RoPE scaling on ${config.architecture} has no llama.cpp equivalent`);
  }
  return arch;
}

export interface ModelMetadataInput {
  readonly config: ModelConfig;
  readonly arch: GgufArchitecture;
  readonly name: string;
  readonly fileType: number;
  readonly parameterCount: number;
  readonly generation: GenerationDefaults;
}

export function modelMetadata(m: ModelMetadataInput): GgufMetadata {
  const { config: c, arch } = m;
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const f32 = (value: number): GgufValue => ({ type: 'f32', value });
  const g = m.generation;
  const entries: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.type', { type: 'string', value: 'model' }],
  ];
  if (g.topK !== undefined) entries.push(['general.sampling.top_k', { type: 'i32', value: g.topK }]);
  if (g.topP !== undefined) entries.push(['general.sampling.top_p', f32(g.topP)]);
  if (g.minP !== undefined) entries.push(['general.sampling.min_p', f32(g.minP)]);
  if (g.temperature !== undefined) entries.push(['general.sampling.temp', f32(g.temperature)]);
  if (g.repetitionPenalty !== undefined) entries.push(['general.sampling.penalty_repeat', f32(g.repetitionPenalty)]);
  entries.push(
    ['general.name', { type: 'string', value: m.name }],
    ['general.size_label', { type: 'string', value: sizeLabel(m.parameterCount) }],
    [`${arch}.block_count`, u32(c.numLayers)],
    [`${arch}.context_length`, u32(c.maxPositionEmbeddings)],
    [`${arch}.embedding_length`, u32(c.hiddenSize)],
    [`${arch}.feed_forward_length`, u32(c.intermediateSize)],
    [`${arch}.attention.head_count`, u32(c.numHeads)],
    [`${arch}.attention.head_count_kv`, u32(c.numKvHeads)],
  );
  if (c.ropeScaling.type === 'linear') {
    entries.push([`${arch}.rope.scaling.type`, { type: 'string', value: 'linear' }], [`${arch}.rope.scaling.factor`, f32(c.ropeScaling.factor)]);
  }
  entries.push([`${arch}.rope.freq_base`, f32(c.ropeTheta)], [`${arch}.attention.layer_norm_rms_epsilon`, f32(c.rmsNormEps)]);
  if (typeof c.raw['head_dim'] === 'number') {
    entries.push([`${arch}.attention.key_length`, u32(c.headDim)], [`${arch}.attention.value_length`, u32(c.headDim)]);
  }
  entries.push(['general.file_type', u32(m.fileType)]);
  if (arch === 'llama') entries.push([`${arch}.vocab_size`, u32(c.vocabSize)], [`${arch}.rope.dimension_count`, u32(c.headDim)]);
  entries.push(['general.quantization_version', u32(2)]);
  return entries;
}

/** gguf-py's size_label (model_weight_count_rounded_notation with two significant digits): "1.8M", "494M", "7.6B". */
function sizeLabel(params: number): string {
  const [scaled, suffix] = params > 1e12 ? [params * 1e-12, 'T'] : params > 1e9 ? [params * 1e-9, 'B'] : params > 1e6 ? [params * 1e-6, 'M'] : [params * 1e-3, 'K'];
  const digits = String(Math.round(scaled)).replace(/^0+/, '').length;
  return `${scaled.toFixed(Math.max(2 - digits, 0))}${suffix}`;
}

/**
 * convert_hf_to_gguf's LlamaModel.generate_extra_tensors for llama3 RoPE scaling: one factor per rotary
 * frequency, written as the `rope_freqs.weight` tensor (computed in float32 as torch does).
 */
export function llama3RopeFactors(c: ModelConfig): Float32Array | null {
  const s = c.ropeScaling;
  if (s.type !== 'llama3') return null;
  const f = Math.fround;
  const dim = c.headDim;
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  const factors = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const freq = f(1 / f(Math.pow(c.ropeTheta, f(f(2 * i) / dim))));
    const wavelen = f((2 * Math.PI) / freq);
    if (wavelen < highFreqWavelen) factors[i] = 1;
    else if (wavelen > lowFreqWavelen) factors[i] = s.factor;
    else {
      const smooth = f(f(f(s.originalMaxPositionEmbeddings / wavelen) - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor));
      factors[i] = f(1 / f(f(f(1 - smooth) / s.factor) + smooth));
    }
  }
  return factors;
}
