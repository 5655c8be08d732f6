/** The sampling defaults of generation_config.json, which the GGUF (general.sampling.*) and the Ollama Modelfile carry over. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface GenerationDefaults {
  readonly doSample?: boolean;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly minP?: number;
  readonly repetitionPenalty?: number;
}

export async function readGenerationDefaults(modelDir: string): Promise<GenerationDefaults> {
  const path = join(modelDir, 'generation_config.json');
  if (!existsSync(path)) return {};
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    // As convert_hf_to_gguf: an unreadable generation_config.json only loses its defaults.
    return {};
  }
  const num = (key: string) => (typeof json[key] === 'number' ? (json[key] as number) : undefined);
  return {
    ...(typeof json['do_sample'] === 'boolean' ? { doSample: json['do_sample'] } : {}),
    ...defined('temperature', num('temperature')),
    ...defined('topP', num('top_p')),
    ...defined('topK', num('top_k')),
    ...defined('minP', num('min_p')),
    ...defined('repetitionPenalty', num('repetition_penalty')),
  };
}

const defined = <K extends string>(key: K, value: number | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, number>));
