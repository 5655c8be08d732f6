/** The models GGUF export is tested on, and a helper that writes one of them as a GGUF into a fresh folder. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelConfig } from '../../src-main/engine/formats/model-config';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { writeGguf, type GgufWriteResult } from '../../src-main/engine/export/gguf/write-gguf';
import type { GgufType } from '../../src-main/protocol/engine-types';

export const GGUF_CASES = {
  /** GQA, untied, float32 */
  'tiny-llama': join(__dirname, '..', 'fixtures', 'tiny-llama', 'merged_final'),
  /** q/k/v biases, tied embeddings, bfloat16 */
  'tiny-qwen2': join(__dirname, '..', 'fixtures', 'tiny-qwen2', 'merged_final'),
  /** Llama, tied, bfloat16, 4 layers: the only case whose generations have clear margins */
  'demo-model': join(__dirname, '..', '..', 'resources', 'demo-model'),
} as const;
export type GgufCase = keyof typeof GGUF_CASES;

export async function exportGguf(c: GgufCase, type: GgufType): Promise<GgufWriteResult> {
  const dir = GGUF_CASES[c];
  const source = await ModelWeights.open(dir);
  try {
    return await writeGguf({ source, config: await readModelConfig(dir), modelDir: dir, outFile: join(mkdtempSync(join(tmpdir(), 'tb-gguf-')), `${c}-${type}.gguf`), type });
  } finally {
    await source.close();
  }
}
