import * as tf from '../backend/tf';
import { tensorMemoryLimit } from '../backend/device-memory';
import { UserError } from '../errors';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { ChatTokenizer } from '../formats/tokenizer';
import { Attention } from './attention';
import { CausalLM } from './causal-lm';
import { DecoderLayer } from './decoder-layer';
import { Linear } from './linear';
import { Mlp } from './mlp';
import { ATTENTION_PROJECTIONS, MLP_PROJECTIONS, checkWeights, modelLayout, type LinearSpec, type ModelLayout, type ParameterSpec, type Projection } from './model-layout';
import { RMSNorm } from './rms-norm';
import { Rope } from './rope';

export interface LoadedModel {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly model: CausalLM;
  readonly tokenizer: ChatTokenizer;
  /** Frees the base weights (adapters free their own). */
  dispose(): void;
}

/** Loads config, tokenizer and weights of a Hugging Face model folder; weights are widened to float32. */
export async function loadModel(dir: string, onProgress?: (done: number, total: number) => void): Promise<LoadedModel> {
  const config = await readModelConfig(dir);
  const tokenizer = await ChatTokenizer.load(dir);
  const weights = await ModelWeights.open(dir);
  try {
    const { model, tensors } = await buildModel(config, weights, onProgress);
    return { dir, config, model, tokenizer, dispose: () => tf.dispose(tensors) };
  } finally {
    await weights.close();
  }
}

/** Refuses, before loading anything, a model whose float32 weights cannot fit in the backend's memory. */
function checkFitsBackend(layout: ModelLayout): void {
  const backend = tf.getBackend();
  const limit = tensorMemoryLimit(backend);
  const bytes = layout.parameters.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1) * 4, 0);
  // Activations, LoRA weights and optimizer state need room too.
  if (limit !== null && bytes > 0.8 * limit) {
    throw new UserError(
      `this model needs ${(bytes / 2 ** 30).toFixed(1)} GiB as float32, more than the ${backend} backend can hold (${limit / 2 ** 30} GiB in all)`,
      'Use a GPU backend (webgpu or tensorflow), or the cpu backend (much slower, but without that limit).',
    );
  }
}

/** Where weights come from: a model folder (ModelWeights), or generated ones for benchmarks. */
export interface WeightSource {
  readonly dir: string;
  names(): string[];
  has(name: string): boolean;
  info(name: string): { readonly shape: readonly number[] };
  read(name: string): Promise<Float32Array | Int32Array>;
}

/** The model of `config` with its weights from `weights`, checked against the layout the config implies. */
export async function buildModel(
  config: ModelConfig,
  weights: WeightSource,
  onProgress?: (done: number, total: number) => void,
): Promise<{ model: CausalLM; tensors: tf.Tensor[] }> {
  const layout = modelLayout(config);
  checkWeights(layout, weights);
  checkFitsBackend(layout);
  const total = layout.parameters.length;
  const loaded: tf.Tensor[] = [];
  const load = async ({ name, shape }: ParameterSpec): Promise<tf.Tensor> => {
    const t = tf.tensor(await weights.read(name), [...shape], 'float32');
    loaded.push(t);
    onProgress?.(loaded.length, total);
    return t;
  };
  const linear = async (spec: LinearSpec) => new Linear((await load(spec.weight)) as tf.Tensor2D, spec.bias ? ((await load(spec.bias)) as tf.Tensor1D) : null);
  const norm = async (spec: ParameterSpec) => new RMSNorm((await load(spec)) as tf.Tensor1D, config.rmsNormEps);

  try {
    const rope = new Rope(config.headDim, config.ropeTheta, config.ropeScaling);
    const embedTokens = (await load(layout.embedding)) as tf.Tensor2D;
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
    return { model: new CausalLM(config, layout, embedTokens, layers, finalNorm, lmHead, rope), tensors: loaded };
  } catch (err) {
    for (const t of loaded) t.dispose();
    throw err;
  }
}
