import { join } from 'node:path';
import * as tf from '../backend/tf';
import { tensorMemoryLimit } from '../backend/device-memory';
import { UserError } from '../errors';
import { quantizationOf, readNf4Weight } from '../formats/bnb-4bit';
import type { TensorDtype } from '../formats/dtype';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { ChatTokenizer } from '../formats/tokenizer';
import { FrozenMatrix, frozenBytes, type FrozenFormat } from '../ops/frozen-matrix';
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
import { Rope } from './rope';

/**
 * How the base weights are kept on the device (ops/frozen-matrix.ts):
 *   'auto':    '16-bit' on webgpu, 'float32' elsewhere;
 *   'float32': every weight widened to float32;
 *   '16-bit':  every weight as stored (bf16 and fp16 packed, a float32 file stays float32);
 *   'nf4':     the seven projections of every layer quantized to NF4 on load as bitsandbytes does (double
 *              quantization), the embeddings and LM head as with '16-bit'.
 * A bitsandbytes 4-bit folder (config.json's quantization_config) loads its projections as the NF4 it stores,
 * whatever is asked. Norms and biases are always float32. Only webgpu keeps 16-bit or NF4 weights packed; the
 * other backends compute in float32, so there every weight ends as float32 (NF4 ones dequantized).
 */
export type WeightStorage = 'auto' | 'float32' | '16-bit' | 'nf4';

export interface LoadOptions {
  readonly storage?: WeightStorage;
  /** The most bytes one row block of a frozen matrix may take (frozen-matrix.ts): the device's binding limit unless lowered. */
  readonly maxBlockBytes?: number;
}

/** The base weights once loaded: how many parameters, the device bytes they take (all, and the seven projections), and their release. */
export interface BaseWeights {
  readonly parameters: number;
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

/**
 * How one weight matrix is loaded: through NF4 (quantized on load, or as a bitsandbytes folder stores it), from
 * its 16-bit bytes, or as float32 values; and the format it then has on this backend.
 */
interface MatrixPlan {
  readonly source: 'nf4' | '16-bit' | 'float32';
  readonly format: FrozenFormat;
}

/** The model of `config` with its weights from `weights`, checked against the layout the config implies. */
export async function buildModel(
  config: ModelConfig,
  weights: WeightSource,
  { storage = 'auto', maxBlockBytes, onProgress }: LoadOptions & { readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<{ model: CausalLM; base: BaseWeights }> {
  const layout = modelLayout(config);
  const bnb = quantizationOf(config.raw, join(weights.dir, 'config.json'));
  const projections = new Set(layout.linears.map((l) => l.weight.name));
  checkWeights(layout, weights, bnb ? projections : new Set());
  const webgpu = onWebgpu();
  const kept = storage === 'auto' ? (webgpu ? '16-bit' : 'float32') : storage;
  const plan = ({ name }: ParameterSpec): MatrixPlan => {
    if (projections.has(name) && (bnb || kept === 'nf4')) return { source: 'nf4', format: webgpu ? 'nf4' : 'float32' };
    const dtype = weights.info(name).dtype;
    if (kept === 'float32' || (dtype !== 'BF16' && dtype !== 'F16')) return { source: 'float32', format: 'float32' };
    return { source: '16-bit', format: webgpu ? (dtype === 'BF16' ? 'bf16' : 'fp16') : 'float32' };
  };
  const matrices = new Set([layout.embedding.name, ...projections, ...(layout.lmHead ? [layout.lmHead.weight.name] : [])]);
  const elements = (p: ParameterSpec) => p.shape.reduce((x, y) => x * y, 1);
  checkFitsBackend(layout.parameters.reduce((sum, p) => sum + (matrices.has(p.name) ? frozenBytes(plan(p).format, p.shape[0]!, p.shape[1]!) : 4 * elements(p)), 0));

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
      const w = bnb ? await readNf4Weight(modelWeights(weights), spec.name) : quantizeNf4((await weights.read(spec.name)) as Float32Array, shape, true);
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
      bytes: { total: owned.reduce((sum, t) => sum + (t instanceof FrozenMatrix ? t.bytes : t.size * 4), 0), projections: projectionBytes },
      dispose: () => owned.forEach((t) => t.dispose()),
    };
    return { model, base };
  } catch (err) {
    for (const t of owned) t.dispose();
    throw err;
  }
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
