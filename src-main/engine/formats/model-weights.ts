/**
 * The weights of a model folder: one `model.safetensors`, or shards listed by `model.safetensors.index.json`.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors';
import { readJsonFile } from '../text-files';
import { SafetensorsFile, type TensorInfo } from './safetensors';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export class ModelWeights {
  private constructor(
    readonly dir: string,
    readonly files: readonly SafetensorsFile[],
    private readonly byName: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  static async open(dir: string): Promise<ModelWeights> {
    const files = await openFiles(dir);
    const byName = new Map<string, SafetensorsFile>();
    for (const f of files) for (const name of f.tensors.keys()) byName.set(name, f);
    return new ModelWeights(dir, files, byName);
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }

  read(name: string): Promise<Float32Array | Int32Array> {
    return this.fileOf(name).read(name);
  }

  /** The tensor's bytes exactly as stored. */
  readBytes(name: string): Promise<Uint8Array> {
    return this.fileOf(name).readBytes(name);
  }

  /** Bytes of all tensors as stored. */
  totalBytes(): number {
    let total = 0;
    for (const f of this.files) for (const t of f.tensors.values()) total += t.end - t.begin;
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }

  private fileOf(name: string): SafetensorsFile {
    const file = this.byName.get(name);
    if (!file) throw new UserError(`${this.dir}: the weights have no tensor ${name}`, 'The folder may hold a different architecture than config.json says, or be incomplete.');
    return file;
  }
}

async function openFiles(dir: string): Promise<SafetensorsFile[]> {
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    const index = (await readJsonFile(indexPath)) as { weight_map?: Record<string, string> } | null;
    if (!index?.weight_map || typeof index.weight_map !== 'object') throw new UserError(`${indexPath} has no weight_map`);
    const shards = [...new Set(Object.values(index.weight_map))];
    const missing = shards.filter((s) => !existsSync(join(dir, s)));
    if (missing.length) {
      throw new UserError(
        `${dir} is incomplete: ${missing.join(', ')} listed in ${INDEX_FILE} ${missing.length === 1 ? 'is' : 'are'} missing`,
        'Download the missing shard files into the model folder.',
      );
    }
    const files: SafetensorsFile[] = [];
    try {
      for (const shard of shards) files.push(await SafetensorsFile.open(join(dir, shard)));
    } catch (err) {
      await Promise.all(files.map((f) => f.close()));
      throw err;
    }
    for (const [name, shard] of Object.entries(index.weight_map)) {
      if (!files.find((f) => f.path === join(dir, shard))?.tensors.has(name)) {
        await Promise.all(files.map((f) => f.close()));
        throw new UserError(`${dir}: ${INDEX_FILE} maps ${name} to ${shard}, which does not contain it`);
      }
    }
    return files;
  }
  if (existsSync(join(dir, SINGLE_FILE))) return [await SafetensorsFile.open(join(dir, SINGLE_FILE))];
  const entries = existsSync(dir) ? await readdir(dir) : [];
  if (entries.some((e) => e.endsWith('.bin') || e.endsWith('.pt') || e.endsWith('.pth'))) {
    throw new UserError(
      `${dir} holds PyTorch pickle weights (*.bin), which TuneBoard does not load`,
      'Convert them to safetensors (transformers: model.save_pretrained(dir, safe_serialization=True)) or download the safetensors version.',
    );
  }
  throw new UserError(`${dir} has no ${SINGLE_FILE} or ${INDEX_FILE}`, 'Pick a Hugging Face model folder with safetensors weights.');
}
