/**
 * Every tensor of the GGUF before any is written: its llama.cpp name, shape, type, and offset in the data
 * section, so the header (which lists them all) can be written first and the data streamed after it.
 */
import { join } from 'node:path';
import { UserError } from '../../errors';
import type { ModelConfig } from '../../formats/model-config';
import type { WeightSource } from '../../model/load-model';
import { alignUp, type GgufTensorInfo } from './gguf-header';
import { GGML_TYPES, tensorBytes } from './ggml-types';
import type { GgufArchitecture } from './model-metadata';
import { blockOf, ggufTensorName } from './tensor-names';
import type { GgufType } from '../../../protocol/engine-types';
import { chooseTensorTypes } from './tensor-types';

/** Where the weights come from: a model folder (ModelWeights) or a merge of base and adapter. */
export type GgufTensorSource = Pick<WeightSource, 'names' | 'info' | 'read'>;

export interface PlannedGgufTensor extends GgufTensorInfo {
  /** The Hugging Face tensor it is made from; null for one computed from config.json (rope_freqs). */
  readonly hfName: string | null;
  readonly bytes: number;
  /** q/k weights and biases reordered for llama.cpp's rotary layout: the number of heads, else null. */
  readonly rotaryHeads: number | null;
}

const ROPE_FREQS = 'rope_freqs.weight';

export function planGgufTensors(source: GgufTensorSource, config: ModelConfig, arch: GgufArchitecture, type: GgufType, modelDir: string, hasRopeFreqs: boolean): PlannedGgufTensor[] {
  const where = join(modelDir, 'config.json');
  const present = new Set(source.names());
  // Without output.weight llama.cpp silently ties the output to the embedding.
  for (const required of ['model.embed_tokens.weight', ...(config.tieWordEmbeddings ? [] : ['lm_head.weight'])]) {
    if (!present.has(required)) throw new UserError(`the weights have no ${required}, which ${where} implies`, 'The weights do not match config.json (tie_word_embeddings).');
  }
  const named: Array<{ name: string; hfName: string | null; shape: readonly number[] }> = [];
  if (hasRopeFreqs) named.push({ name: ROPE_FREQS, hfName: null, shape: [config.headDim / 2] });
  for (const hfName of source.names()) {
    // Tied embeddings are one tensor: llama.cpp reuses token_embd when the file has no output.weight.
    if (config.tieWordEmbeddings && hfName === 'lm_head.weight') continue;
    named.push({ name: ggufTensorName(hfName, where), hfName, shape: source.info(hfName).shape });
  }
  // llama-quantize walks the tensors in this order and its layer counters depend on it.
  if (type === 'q8_0' || type === 'q4_k_m') named.sort((a, b) => blockOf(a.name) - blockOf(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const types = chooseTensorTypes(named, type, {
    numLayers: config.numLayers,
    is70B: config.numLayers === 80 && (arch === 'qwen2' || config.numHeads !== config.numKvHeads),
  });
  let offset = 0;
  return named.map((t, i) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const rowLength = t.shape[t.shape.length - 1]!;
    const ggmlType = types[i]!;
    if (rowLength % GGML_TYPES[ggmlType].blockSize !== 0) throw new Error(`${t.name}: rows of ${rowLength} do not fill ${ggmlType} blocks`);
    const planned: PlannedGgufTensor = { ...t, type: ggmlType, offset, bytes: tensorBytes(ggmlType, count), rotaryHeads: rotaryHeads(t.name, t.shape, config, arch, where) };
    offset += alignUp(planned.bytes);
    return planned;
  });
}

/** llama.cpp's llama architecture expects q and k rows interleaved per head (convert_hf_to_gguf's permute); qwen2 does not. */
function rotaryHeads(name: string, shape: readonly number[], c: ModelConfig, arch: GgufArchitecture, where: string): number | null {
  if (arch !== 'llama') return null;
  const heads = /\.attn_q\.(weight|bias)$/.test(name) ? c.numHeads : /\.attn_k\.(weight|bias)$/.test(name) ? c.numKvHeads : null;
  if (heads === null) return null;
  if (shape[0] !== heads * c.headDim) {
    throw new UserError(`${where}: ${name} has ${shape[0]} rows, not ${heads} heads × head_dim ${c.headDim}`, 'The weights do not match config.json.');
  }
  return heads;
}
