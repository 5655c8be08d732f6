import { join } from 'node:path';
import * as tf from '../backend/tf';
import { tensorMemoryLimit } from '../backend/device-memory';
import { UserError } from '../errors';
import { checkNf4Weight, quantizationOf, readNf4Weight, type Bnb4bitQuantization } from '../formats/bnb-4bit';
import type { TensorDtype } from '../formats/dtype';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { ChatTokenizer } from '../formats/tokenizer';
import { FrozenMatrix } from '../ops/frozen-matrix';
import { onWebgpu } from '../ops/webgpu-kernel';
import { quantizeNf4 } from '../quant/nf4';
import { Attention } from './attention';
import { CausalLM } from './causal-lm';
import { DecoderLayer } from './decoder-layer';
import { frozenFrom16Bit, frozenFromNf4 } from './frozen-weights';
import { Linear } from './linear';
import { Mlp } from './mlp';
import { ATTENTION_PROJECTIONS, MLP_PROJECTIONS, checkWeights, modelLayout, type LinearSpec, type ParameterSpec, type Projection } from './model-layout';
import { RMSNorm } from './rms-norm';
import { storagePlan, type BaseStorage, type WeightStorage } from './weight-storage';
import { Rope } from './rope';

export interface LoadOptions {
  readonly storage?: WeightStorage;
  /** With 'nf4' storage: quantize the block scales too (bitsandbytes' double quantization, the QLoRA default). */
  readonly doubleQuant?: boolean;
  /** The most bytes one row block of a frozen matrix may take (frozen-matrix.ts): the device's binding limit unless lowered. */
  readonly maxBlockBytes?: number;
}

/** The base weights once loaded: how many parameters, the device bytes they take (all, and the seven projections), and their release. */
export interface BaseWeights {
  readonly parameters: number;
  /** How the projections and the embedding are kept (ops/frozen-matrix.ts formats). */
  readonly storage: BaseStorage;
  readonly bytes: { readonly total: number; readonly projections: number };
  dispose(): void;
}

export interface LoadedModel {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly model: CausalLM;
  readonly tokenizer: ChatTokenizer;
  readonly base: BaseWeights;
  /** Frees the base weights (adapters free their own). */
  dispose(): void;
}

/** Loads config, tokenizer and weights of a Hugging Face model folder, the weights kept as `options.storage` says. */
export async function loadModel(dir: string, onProgress?: (done: number, total: number) => void, options: LoadOptions = {}): Promise<LoadedModel> {
  const config = await readModelConfig(dir);
  const tokenizer = await ChatTokenizer.load(dir);
  const weights = await ModelWeights.open(dir);
  try {
    const { model, base } = await buildModel(config, weights, { ...options, onProgress });
    return { dir, config, model, tokenizer, base, dispose: () => base.dispose() };
  } finally {
    await weights.close();
  }
}

/** Where weights come from: a model folder (ModelWeights), or generated ones for benchmarks. */
export interface WeightSource {
  readonly dir: string;
  names(): string[];
  has(name: string): boolean;
  info(name: string): { readonly shape: readonly number[]; readonly dtype: TensorDtype };
  /** Values widened to float32 (floating dtypes) or int32. */
  read(name: string): Promise<Float32Array | Int32Array>;
  /** The bytes as stored, in `info(name).dtype`. */
  readBytes(name: string): Promise<Uint8Array>;
}

/** The model of `config` with its weights from `weights`, checked against the layout the config implies. */
export async function buildModel(
  config: ModelConfig,
  weights: WeightSource,
  { storage = 'auto', doubleQuant = true, maxBlockBytes, onProgress }: LoadOptions & { readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<{ model: CausalLM; base: BaseWeights }> {
  const layout = modelLayout(config);
  const bnb = quantizationOf(config.raw, join(weights.dir, 'config.json'));
  const projections = new Set(layout.linears.map((l) => l.weight.name));
  checkWeights(layout, weights, bnb ? projections : new Set());
  const storagePlanned = storagePlan(layout, { storage, prequantized: bnb !== null, webgpu: onWebgpu(), dtypeOf: (name) => weights.info(name).dtype });
  checkFitsBackend(storagePlanned.bytes.total);
  const plan = ({ name }: ParameterSpec) => storagePlanned.matrices.get(name)!;
  const elements = (p: ParameterSpec) => p.shape.reduce((x, y) => x * y, 1);

  const total = layout.parameters.length;
  let done = 0;
  const owned: Array<FrozenMatrix | tf.Tensor> = [];
  let projectionBytes = 0;
  const keep = <T extends FrozenMatrix | tf.Tensor>(t: T): T => {
    owned.push(t);
    onProgress?.(++done, total);
    return t;
  };
  const options = { maxBlockBytes };
  const matrix = async (spec: ParameterSpec): Promise<FrozenMatrix> => {
    const m = keep(await readMatrix(spec));
    if (projections.has(spec.name)) projectionBytes += m.bytes;
    return m;
  };
  const readMatrix = async (spec: ParameterSpec): Promise<FrozenMatrix> => {
    const shape = spec.shape as [number, number];
    const { source } = plan(spec);
    if (source === 'nf4') {
      const w = bnb ? await readNf4Weight(modelWeights(weights), spec.name) : quantizeNf4((await weights.read(spec.name)) as Float32Array, shape, doubleQuant);
      if (w.shape.join(',') !== shape.join(',')) throw new UserError(`${weights.dir}: tensor ${spec.name} is quantized with shape [${w.shape}] but config.json implies [${shape}]`);
      return frozenFromNf4(w, options);
    }
    if (source === '16-bit') return frozenFrom16Bit(await weights.readBytes(spec.name), weights.info(spec.name).dtype as 'BF16' | 'F16', shape, options);
    return FrozenMatrix.fromFloat32((await weights.read(spec.name)) as Float32Array, shape, options);
  };
  const vector = async (spec: ParameterSpec) => keep(tf.tensor1d((await weights.read(spec.name)) as Float32Array, 'float32'));
  const linear = async (spec: LinearSpec) => new Linear(await matrix(spec.weight), spec.bias ? await vector(spec.bias) : null);
  const norm = async (spec: ParameterSpec) => new RMSNorm(await vector(spec), config.rmsNormEps);

  try {
    const rope = new Rope(config.headDim, config.ropeTheta, config.ropeScaling);
    const embedTokens = await matrix(layout.embedding);
    const layers: DecoderLayer[] = [];
    for (const spec of layout.layers) {
      const proj = async <P extends Projection>(names: readonly P[]) => {
        const out = {} as Record<P, Linear>;
        for (const p of names) out[p] = await linear(spec.projections[p]);
        return out;
      };
      const attention = new Attention(await proj(ATTENTION_PROJECTIONS), config.numHeads, config.numKvHeads, config.headDim, rope, spec.index);
      const mlp = new Mlp(await proj(MLP_PROJECTIONS));
      layers.push(new DecoderLayer(await norm(spec.inputNorm), attention, await norm(spec.postAttentionNorm), mlp));
    }
    const finalNorm = await norm(layout.finalNorm);
    // Tied models reuse the embedding matrix as the LM head.
    const lmHead = layout.lmHead ? await linear(layout.lmHead) : new Linear(embedTokens);
    const model = new CausalLM(config, layout, embedTokens, layers, finalNorm, lmHead, rope);
    const base: BaseWeights = {
      parameters: layout.parameters.reduce((sum, p) => sum + elements(p), 0),
      storage: { projections: plan(layout.linears[0]!.weight).format, embedding: plan(layout.embedding).format },
      bytes: { total: owned.reduce((sum, t) => sum + (t instanceof FrozenMatrix ? t.bytes : t.size * 4), 0), projections: projectionBytes },
      dispose: () => owned.forEach((t) => t.dispose()),
    };
    return { model, base };
  } catch (err) {
    for (const t of owned) t.dispose();
    throw err;
  }
}

/**
 * What loading checks before it reads a weight, without reading any: every tensor the layout needs is there in its
 * shape, and a 4-bit checkpoint's quantized weights are whole (companions, quant_state and sizes agree). `tuneboard
 * info` and the board's Model tab run it too, so a folder they call usable loads. Returns the quantization, if any.
 */
export async function checkModelWeights(config: ModelConfig, weights: ModelWeights): Promise<Bnb4bitQuantization | null> {
  const layout = modelLayout(config);
  const bnb = quantizationOf(config.raw, join(weights.dir, 'config.json'));
  const projections = new Set(layout.linears.map((l) => l.weight.name));
  checkWeights(layout, weights, bnb ? projections : new Set());
  if (bnb) for (const name of projections) await checkNf4Weight(weights, name);
  return bnb;
}

/** Refuses, before loading anything, a model whose weights (`bytes` as this backend will keep them) cannot fit in the backend's memory. */
function checkFitsBackend(bytes: number): void {
  const backend = tf.getBackend();
  const limit = tensorMemoryLimit(backend);
  // Activations, LoRA weights and optimizer state need room too.
  if (limit !== null && bytes > 0.8 * limit) {
    throw new UserError(
      `this model needs ${(bytes / 2 ** 30).toFixed(1)} GiB for its weights on the ${backend} backend, more than it can hold (${limit / 2 ** 30} GiB in all)`,
      'Use a GPU backend (webgpu or tensorflow), or the cpu backend (much slower, but without that limit).',
    );
  }
}

/** A bitsandbytes folder's weights, which only a model folder holds. */
function modelWeights(weights: WeightSource): ModelWeights {
  if (!(weights instanceof ModelWeights)) throw new Error(`${weights.dir}: 4-bit bitsandbytes weights are read from a model folder`);
  return weights;
}
