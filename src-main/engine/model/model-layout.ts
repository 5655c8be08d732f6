/**
 * How a Llama-family checkpoint is laid out: every weight by its transformers name and shape, in state-dict
 * order (module registration order), with the decoder's linear layers described as modules. Loading, LoRA's
 * slots, the merge's module list and the export's shard order are all read from here, so an architecture, or
 * another stored form of a linear layer, is added in one place.
 */
import { UserError } from '../errors';
import type { ModelConfig } from '../formats/model-config';

export const ATTENTION_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_PROJECTIONS = ['gate_proj', 'up_proj', 'down_proj'] as const;
export type AttentionProjection = (typeof ATTENTION_PROJECTIONS)[number];
export type MlpProjection = (typeof MLP_PROJECTIONS)[number];
export type Projection = AttentionProjection | MlpProjection;

/** The decoder's linear layers by module name, attention then MLP: what LoRA can target and 4-bit storage quantizes. */
export const LINEAR_LAYERS: readonly Projection[] = [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS];

export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A linear module, `y = x Wᵀ + b` with W [out, in] as transformers stores it. */
export interface LinearSpec {
  /** `model.layers.0.self_attn.q_proj`, or `lm_head`. */
  readonly module: string;
  readonly outFeatures: number;
  readonly inFeatures: number;
  readonly weight: ParameterSpec;
  readonly bias: ParameterSpec | null;
}

export interface DecoderLayerSpec {
  readonly index: number;
  readonly inputNorm: ParameterSpec;
  readonly postAttentionNorm: ParameterSpec;
  readonly projections: Readonly<Record<Projection, LinearSpec>>;
}

export interface ModelLayout {
  readonly embedding: ParameterSpec;
  readonly layers: readonly DecoderLayerSpec[];
  readonly finalNorm: ParameterSpec;
  /** null when the LM head is the embedding matrix (tied). */
  readonly lmHead: LinearSpec | null;
  /** Every weight, in state-dict order. */
  readonly parameters: readonly ParameterSpec[];
  /** The decoder's linear layers, layer by layer in LINEAR_LAYERS order, each with the projection it is. */
  readonly linears: ReadonlyArray<LinearSpec & { readonly layer: number; readonly projection: Projection }>;
}

export function modelLayout(config: ModelConfig): ModelLayout {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d, vocabSize: v } = config;
  const linear = (module: string, out: number, inp: number, bias: boolean): LinearSpec => ({
    module,
    outFeatures: out,
    inFeatures: inp,
    weight: { name: `${module}.weight`, shape: [out, inp] },
    bias: bias ? { name: `${module}.bias`, shape: [out] } : null,
  });
  const sizes: Record<Projection, [out: number, inp: number, bias: boolean]> = {
    q_proj: [numHeads * d, h, config.qkvBias],
    k_proj: [numKvHeads * d, h, config.qkvBias],
    v_proj: [numKvHeads * d, h, config.qkvBias],
    o_proj: [h, numHeads * d, config.oBias],
    gate_proj: [m, h, config.mlpBias],
    up_proj: [m, h, config.mlpBias],
    down_proj: [h, m, config.mlpBias],
  };
  const layers = Array.from({ length: config.numLayers }, (_, index): DecoderLayerSpec => {
    const p = `model.layers.${index}`;
    const module = (proj: Projection) => `${p}.${(ATTENTION_PROJECTIONS as readonly string[]).includes(proj) ? 'self_attn' : 'mlp'}.${proj}`;
    return {
      index,
      inputNorm: { name: `${p}.input_layernorm.weight`, shape: [h] },
      postAttentionNorm: { name: `${p}.post_attention_layernorm.weight`, shape: [h] },
      projections: Object.fromEntries(LINEAR_LAYERS.map((proj) => [proj, linear(module(proj), ...sizes[proj])])) as Record<Projection, LinearSpec>,
    };
  });
  const embedding = { name: 'model.embed_tokens.weight', shape: [v, h] };
  const finalNorm = { name: 'model.norm.weight', shape: [h] };
  const lmHead = config.tieWordEmbeddings ? null : linear('lm_head', v, h, false);
  const weightsOf = (l: LinearSpec) => (l.bias ? [l.weight, l.bias] : [l.weight]);
  return {
    embedding,
    layers,
    finalNorm,
    lmHead,
    parameters: [
      embedding,
      ...layers.flatMap((l) => [...LINEAR_LAYERS.flatMap((proj) => weightsOf(l.projections[proj])), l.inputNorm, l.postAttentionNorm]),
      finalNorm,
      ...(lmHead ? [lmHead.weight] : []),
    ],
    linears: layers.flatMap((l) => LINEAR_LAYERS.map((projection) => ({ ...l.projections[projection], layer: l.index, projection }))),
  };
}

/** Tensors in the layout's state-dict order; names the layout does not know (buffers, extras) keep their order after. */
export function inStateDictOrder<T extends { readonly name: string }>(layout: ModelLayout, tensors: readonly T[]): T[] {
  const rank = new Map(layout.parameters.map((p, i) => [p.name, i]));
  return tensors
    .map((t, i) => ({ t, i, r: rank.get(t.name) ?? layout.parameters.length }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.t);
}

/**
 * Refuses weights that do not have every tensor of the layout in its shape, naming the first that is missing or
 * wrong: what loading, merging and `info` check alike. A tied model's stray lm_head.weight is ignored, as
 * transformers does. `packed`: weights stored as packed codes (a bitsandbytes 4-bit folder's projections), whose
 * shape their quantization state gives and their reader checks.
 */
export function checkWeights(
  layout: ModelLayout,
  weights: { readonly dir: string; has(name: string): boolean; info(name: string): { readonly shape: readonly number[] } },
  packed: ReadonlySet<string> = new Set(),
): void {
  for (const { name, shape } of layout.parameters) {
    if (!weights.has(name)) {
      throw new UserError(`${weights.dir}: the weights have no tensor ${name}`, 'The folder may hold a different architecture than config.json says, or be incomplete.');
    }
    if (packed.has(name)) continue;
    const actual = weights.info(name).shape;
    if (actual.join(',') !== shape.join(',')) throw new UserError(`${weights.dir}: tensor ${name} has shape [${actual}] but config.json implies [${shape}]`);
  }
}
