/** Reading a training config: YAML file, `key=value` overrides, validation with the key named in every error. */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { checkConfigKeys, trainConfigSchema, type TrainConfig } from '../../protocol/train-config';
import { UserError, validationError } from '../errors';
import { readYamlMapping } from '../text-files';

export interface LoadedTrainConfig {
  readonly config: TrainConfig;
  /** Keys accepted for LLaMA-Factory compatibility that have no effect here. */
  readonly ignored: readonly string[];
}

export async function readTrainConfig(path: string, overrides: readonly string[] = []): Promise<LoadedTrainConfig> {
  const raw = await readYamlMapping(path);
  const loaded = validateTrainConfig({ ...raw, ...parseOverrides(overrides) }, path);
  return { ...loaded, config: resolvePaths(loaded.config, dirname(resolve(path))) };
}

/** `key=value` pairs from the command line; values are YAML scalars (`1e-4` is a number, `true` a boolean). */
export function parseOverrides(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UserError(`"${pair}" is not a key=value override`, 'Example: tuneboard train config.yaml learning_rate=1e-4 max_steps=100');
    out[pair.slice(0, eq).trim()] = parseYaml(pair.slice(eq + 1));
  }
  return out;
}

export function validateTrainConfig(raw: Record<string, unknown>, source: string): LoadedTrainConfig {
  const { ignored, unknown } = checkConfigKeys(raw);
  if (unknown.length) throw new UserError(unknown.map((u) => `${source}: ${u}`).join('\n'), 'See the README for the supported keys (LLaMA-Factory names).');
  const rest = Object.fromEntries(Object.entries(raw).filter(([k, v]) => !ignored.includes(k) && v !== null));
  const parsed = trainConfigSchema.safeParse(coerceNumbers(rest));
  if (!parsed.success) throw validationError(source, parsed.error.issues);
  return { config: parsed.data, ignored };
}

/** PyYAML (LLaMA-Factory's loader) reads 1e-4 as a string; accept numeric strings everywhere a number is meant. */
function coerceNumbers(raw: Record<string, unknown>): Record<string, unknown> {
  const numeric = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' && !TEXT_KEYS.has(k) && numeric.test(v.trim()) ? Number(v) : v]));
}

const TEXT_KEYS = new Set(['model_name_or_path', 'adapter_name_or_path', 'dataset', 'dataset_dir', 'output_dir', 'lora_target', 'resume_from_checkpoint']);

/**
 * Input paths are taken relative to the working directory (as LLaMA-Factory does), falling back to the config
 * file's folder, so a config next to its data works from anywhere. output_dir is always relative to the working directory.
 */
function resolvePaths(c: TrainConfig, configDir: string): TrainConfig {
  const input = (p: string | null | undefined) => {
    if (p == null || isAbsolute(p)) return p;
    return existsSync(resolve(p)) || !existsSync(resolve(configDir, p)) ? resolve(p) : resolve(configDir, p);
  };
  const datasetIsPath = !c.dataset_dir;
  return {
    ...c,
    model_name_or_path: input(c.model_name_or_path)!,
    adapter_name_or_path: input(c.adapter_name_or_path),
    dataset_dir: input(c.dataset_dir),
    dataset: datasetIsPath ? input(c.dataset)! : c.dataset,
    output_dir: resolve(c.output_dir),
    resume_from_checkpoint: typeof c.resume_from_checkpoint === 'string' ? resolve(c.resume_from_checkpoint) : c.resume_from_checkpoint,
  };
}

/** The config as YAML, keys in schema order, defaults included: what run.json and the board's "show as YAML" show. */
export function trainConfigToYaml(c: Partial<TrainConfig>): string {
  return stringifyYaml(c, { lineWidth: 0 });
}
