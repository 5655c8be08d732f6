/**
 * How transformers saves a model's weights: tensors in state-dict order (module registration order) are
 * filled into shards of at most `maxShardBytes` (a tensor larger than that gets a shard of its own);
 * inside a file safetensors orders tensors by name. One shard is `model.safetensors`; several are
 * `model-0000i-of-0000n.safetensors` plus `model.safetensors.index.json`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTES_PER_ELEMENT, type StorageDtype } from './dtype';
import { INDEX_FILE, SINGLE_FILE } from './model-weights';
import { SafetensorsWriter } from './safetensors';

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

/** Shards for tensors given in state-dict order (model-layout.ts: inStateDictOrder). */
export function planShards(tensors: readonly PlannedTensor[], maxShardBytes: number): Shard[] {
  const groups: PlannedTensor[][] = [];
  let current: PlannedTensor[] = [];
  let size = 0;
  for (const t of tensors) {
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
function shardIndex(shards: readonly Shard[]): { name: string; json: object } | null {
  if (shards.length < 2) return null;
  const entries = shards.flatMap((s) => s.tensors.map((t) => [t.name, s.file] as const)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const totalParameters = shards.reduce((a, s) => a + s.tensors.reduce((b, t) => b + t.shape.reduce((x, y) => x * y, 1), 0), 0);
  return {
    name: INDEX_FILE,
    json: { metadata: { total_parameters: totalParameters, total_size: shards.reduce((a, s) => a + s.bytes, 0) }, weight_map: Object.fromEntries(entries) },
  };
}

/**
 * Writes the shards and, for several, their index into `dir`, tensor by tensor: `bytesOf` gives each tensor's
 * stored bytes when its turn comes, so memory stays near one tensor. Returns the files written.
 */
export async function writeShards(dir: string, shards: readonly Shard[], bytesOf: (t: PlannedTensor) => Promise<Uint8Array>): Promise<string[]> {
  for (const shard of shards) {
    const writer = await SafetensorsWriter.create(join(dir, shard.file), shard.tensors, { format: 'pt' });
    try {
      for (const t of shard.tensors) await writer.write(t.name, await bytesOf(t));
    } catch (err) {
      await writer.abandon();
      throw err;
    }
    await writer.close();
  }
  const index = shardIndex(shards);
  if (index) await writeFile(join(dir, index.name), JSON.stringify(index.json, null, 2) + '\n');
  return [...shards.map((s) => s.file), ...(index ? [index.name] : [])];
}
