/**
 * PEFT's adapter folder: `adapter_config.json` and `adapter_model.safetensors` whose keys are
 * `base_model.model.<module>.lora_A.weight` / `.lora_B.weight`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors';
import { readJsonFile } from '../text-files';
import { writeFileAtomic } from '../atomic-files';
import { encode } from '../formats/dtype';
import { SafetensorsFile, encodeHeader } from '../formats/safetensors';
import { parsePeftConfig, toPeftConfig, type LoraConfig } from './lora-config';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

export interface AdapterTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export function peftKey(module: string, part: 'lora_A' | 'lora_B'): string {
  return `base_model.model.${module}.${part}.weight`;
}

export async function readAdapter(dir: string, available: readonly string[]): Promise<{ config: LoraConfig; tensors: Map<string, AdapterTensor> }> {
  const configPath = join(dir, ADAPTER_CONFIG);
  if (!existsSync(configPath)) throw new UserError(`${dir} is not a LoRA adapter folder: it has no ${ADAPTER_CONFIG}`);
  const config = parsePeftConfig(await readJsonFile(configPath), available, configPath);
  const weightsPath = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(weightsPath)) {
    const hint = existsSync(join(dir, 'adapter_model.bin')) ? 'It holds adapter_model.bin (pickle); save the adapter with safe_serialization=True.' : undefined;
    throw new UserError(`${dir} has no ${ADAPTER_WEIGHTS}`, hint);
  }
  const file = await SafetensorsFile.open(weightsPath);
  const tensors = new Map<string, AdapterTensor>();
  try {
    for (const [name, info] of file.tensors) {
      // Older PEFT versions kept the adapter name in the key (`lora_A.default.weight`).
      const key = name.replace(/\.(lora_[AB])\.default\.weight$/, '.$1.weight');
      tensors.set(key, { shape: info.shape, values: Float32Array.from(await file.read(name)) });
    }
  } finally {
    await file.close();
  }
  return { config, tensors };
}

/** Writes both files, each under a temporary name first, so a crash never leaves a half adapter. */
export async function writeAdapter(dir: string, config: LoraConfig, tensors: ReadonlyArray<{ key: string } & AdapterTensor>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const specs = tensors.map((t) => ({ name: t.key, dtype: 'F32' as const, shape: t.shape }));
  const parts = [encodeHeader(specs, { format: 'pt' }), ...tensors.map((t) => encode('F32', t.values))];
  await writeFileAtomic(join(dir, ADAPTER_WEIGHTS), Buffer.concat(parts));
  await writeFileAtomic(join(dir, ADAPTER_CONFIG), JSON.stringify(toPeftConfig(config), null, 2) + '\n');
}
