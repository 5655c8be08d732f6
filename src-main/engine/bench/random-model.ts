/**
 * Writes a model folder of a given shape with random weights, streamed tensor by tensor in transformers'
 * layout and shards. The tokenizer is the embedded demo model's (its 1024 ids are valid in every
 * vocabulary), so the folder loads, trains and exports like a real checkpoint.
 */
import { existsSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFolderAtomic } from '../atomic-files';
import { parseModelConfig } from '../formats/model-config';
import { planShards, writeShards } from '../formats/sharded-weights';
import { RandomWeights } from './random-weights';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'];

export async function writeRandomModel(o: {
  shape: Record<string, unknown>;
  out: string;
  tokenizerDir: string;
  maxShardBytes: number;
  seed: number;
  overwrite?: boolean;
}): Promise<{ bytes: number; files: number }> {
  const config = parseModelConfig(o.shape, 'shape');
  const weights = new RandomWeights(config, o.seed);
  const shards = planShards(
    weights.names().map((name) => ({ name, dtype: config.dtype, shape: weights.info(name).shape })),
    o.maxShardBytes,
  );
  return writeFolderAtomic(
    o.out,
    async (tmp) => {
      await writeShards(tmp, shards, (t) => weights.readBytes(t.name));
      await writeFile(join(tmp, 'config.json'), JSON.stringify(o.shape, null, 2) + '\n');
      for (const f of TOKENIZER_FILES) if (existsSync(join(o.tokenizerDir, f))) await copyFile(join(o.tokenizerDir, f), join(tmp, f));
      return { bytes: shards.reduce((a, s) => a + s.bytes, 0), files: shards.length };
    },
    { overwrite: o.overwrite ?? false },
  );
}
