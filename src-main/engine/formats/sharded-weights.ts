/**
 * How transformers lays out a saved model: tensors in state-dict order (module registration order) are
 * filled into shards of at most `maxShardBytes` (a tensor larger than that gets a shard of its own);
 * inside a file safetensors orders tensors by name. One shard is `model.safetensors`; several are
 * `model-0000i-of-0000n.safetensors` plus `model.safetensors.index.json`.
 */
import { UserError } from '../errors';
import { BYTES_PER_ELEMENT, type StorageDtype } from '../formats/dtype';
import { INDEX_FILE, SINGLE_FILE } from '../formats/model-weights';

export interface PlannedTensor {
  readonly name: string;
  readonly dtype: StorageDtype;
  readonly shape: readonly number[];
}

export interface Shard {
  readonly file: string;
  /** Sorted by name, the order they are written in. */
  readonly tensors: readonly PlannedTensor[];
  readonly bytes: number;
}

export const tensorBytes = (t: PlannedTensor) => t.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.dtype];

/** Rank of a Llama-family parameter in the state dict: embeddings, then each layer's attention, MLP and norms, then final norm and head. */
function stateDictRank(name: string): [number, number, number] {
  const parts = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj', 'input_layernorm', 'post_attention_layernorm'];
  if (name.startsWith('model.embed_tokens.')) return [0, 0, 0];
  const layer = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (layer) {
    const part = parts.indexOf(layer[2]!);
    return [1, Number(layer[1]), (part < 0 ? parts.length : part) * 2 + (layer[3] === 'bias' ? 1 : 0)];
  }
  if (name.startsWith('model.norm.')) return [2, 0, 0];
  if (name.startsWith('lm_head.')) return [3, 0, 0];
  return [4, 0, 0];
}

export function stateDictOrder<T extends { name: string }>(tensors: readonly T[]): T[] {
  return tensors
    .map((t, i) => ({ t, i, r: stateDictRank(t.name) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map((x) => x.t);
}

export function planShards(tensors: readonly PlannedTensor[], maxShardBytes: number): Shard[] {
  const groups: PlannedTensor[][] = [];
  let current: PlannedTensor[] = [];
  let size = 0;
  for (const t of stateDictOrder(tensors)) {
    const bytes = tensorBytes(t);
    if (current.length && size + bytes > maxShardBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += bytes;
  }
  if (current.length) groups.push(current);
  const n = groups.length;
  return groups.map((g, i) => ({
    file: n === 1 ? SINGLE_FILE : `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`,
    tensors: [...g].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    bytes: g.reduce((a, t) => a + tensorBytes(t), 0),
  }));
}

/** model.safetensors.index.json as transformers writes it (weight_map sorted by name). */
export function shardIndex(shards: readonly Shard[]): { name: string; json: object } | null {
  if (shards.length < 2) return null;
  const entries = shards.flatMap((s) => s.tensors.map((t) => [t.name, s.file] as const)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const totalParameters = shards.reduce((a, s) => a + s.tensors.reduce((b, t) => b + t.shape.reduce((x, y) => x * y, 1), 0), 0);
  return {
    name: INDEX_FILE,
    json: { metadata: { total_parameters: totalParameters, total_size: shards.reduce((a, s) => a + s.bytes, 0) }, weight_map: Object.fromEntries(entries) },
  };
}

/** "2GB", "500MB", "1.5GiB", "800KB" or a byte count; transformers' units (GB = 10^9, GiB = 2^30). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(text);
  if (!m) throw new UserError(`"${text}" is not a size`, 'Write it like 2GB, 500MB or 1GiB.');
  const unit = (m[2] ?? 'B').toUpperCase();
  const factor: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  const bytes = Math.floor(Number(m[1]) * factor[unit]!);
  if (bytes < 1) throw new UserError(`the size "${text}" must be at least 1 byte`);
  return bytes;
}
