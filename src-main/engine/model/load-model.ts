import * as tf from '../backend/tf';
import { tensorMemoryLimit } from '../backend/backend';
import { UserError } from '../errors';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { ChatTokenizer } from '../formats/tokenizer';
import { Attention } from './attention';
import { CausalLM } from './causal-lm';
import { DecoderLayer } from './decoder-layer';
import { Linear } from './linear';
import { Mlp } from './mlp';
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
function checkFitsBackend(weights: WeightSource): void {
  const backend = tf.getBackend();
  const limit = tensorMemoryLimit(backend);
  const bytes = weights.names().reduce((a, n) => a + weights.info(n).shape.reduce((x, y) => x * y, 1) * 4, 0);
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
  info(name: string): { readonly shape: readonly number[] };
  read(name: string): Promise<Float32Array | Int32Array>;
}

/** The model of `config` with its weights from `weights`, each checked against the shape the config implies. */
export async function buildModel(
  config: ModelConfig,
  weights: WeightSource,
  onProgress?: (done: number, total: number) => void,
): Promise<{ model: CausalLM; tensors: tf.Tensor[] }> {
  checkFitsBackend(weights);
  const total = weights.names().length;
  let done = 0;
  const loaded: tf.Tensor[] = [];
  const load = async (name: string, shape: number[]): Promise<tf.Tensor> => {
    const info = weights.info(name);
    if (info.shape.join(',') !== shape.join(',')) {
      throw new UserError(`${weights.dir}: tensor ${name} has shape [${info.shape}] but config.json implies [${shape}]`);
    }
    const t = tf.tensor(await weights.read(name), shape, 'float32');
    loaded.push(t);
    onProgress?.(++done, total);
    return t;
  };
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d, vocabSize } = config;
  const linear = async (name: string, out: number, inp: number, bias: boolean) =>
    new Linear((await load(`${name}.weight`, [out, inp])) as tf.Tensor2D, bias ? ((await load(`${name}.bias`, [out])) as tf.Tensor1D) : null);
  const norm = async (name: string) => new RMSNorm((await load(`${name}.weight`, [h])) as tf.Tensor1D, config.rmsNormEps);

  try {
    const rope = new Rope(d, config.ropeTheta, config.ropeScaling);
    const embedTokens = (await load('model.embed_tokens.weight', [vocabSize, h])) as tf.Tensor2D;
    const layers: DecoderLayer[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const p = `model.layers.${i}`;
      const attention = new Attention(
        {
          q_proj: await linear(`${p}.self_attn.q_proj`, numHeads * d, h, config.qkvBias),
          k_proj: await linear(`${p}.self_attn.k_proj`, numKvHeads * d, h, config.qkvBias),
          v_proj: await linear(`${p}.self_attn.v_proj`, numKvHeads * d, h, config.qkvBias),
          o_proj: await linear(`${p}.self_attn.o_proj`, h, numHeads * d, config.oBias),
        },
        numHeads,
        numKvHeads,
        d,
        rope,
        i,
      );
      const mlp = new Mlp({
        gate_proj: await linear(`${p}.mlp.gate_proj`, m, h, config.mlpBias),
        up_proj: await linear(`${p}.mlp.up_proj`, m, h, config.mlpBias),
        down_proj: await linear(`${p}.mlp.down_proj`, h, m, config.mlpBias),
      });
      layers.push(new DecoderLayer(await norm(`${p}.input_layernorm`), attention, await norm(`${p}.post_attention_layernorm`), mlp));
    }
    const finalNorm = await norm('model.norm');
    // Tied models reuse the embedding matrix as the LM head (a stray lm_head.weight is ignored, as transformers does).
    const lmHead = config.tieWordEmbeddings ? new Linear(embedTokens) : await linear('lm_head', vocabSize, h, false);
    return { model: new CausalLM(config, embedTokens, layers, finalNorm, lmHead, rope), tensors: loaded };
  } catch (err) {
    for (const t of loaded) t.dispose();
    throw err;
  }
}
