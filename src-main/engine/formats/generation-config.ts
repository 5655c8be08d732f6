import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../text-files';
import type { ModelConfig } from './model-config';

/**
 * The token ids that end generation: `generation_config.json`'s eos_token_id when present (as transformers'
 * generate uses it), else config.json's.
 */
export async function stopTokenIds(dir: string, config: ModelConfig): Promise<number[]> {
  const path = join(dir, 'generation_config.json');
  if (existsSync(path)) {
    try {
      const eos = ((await readJsonFile(path)) as { eos_token_id?: number | number[] | null } | null)?.eos_token_id;
      if (eos != null) return Array.isArray(eos) ? eos : [eos];
    } catch {
      // An unreadable generation_config.json only loses its defaults; config.json still names the EOS token.
    }
  }
  return [...config.eosTokenIds];
}
