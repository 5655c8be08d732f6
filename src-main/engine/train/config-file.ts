/** Reading a training config: YAML file, `key=value` overrides, validation with the key named in every error. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { IGNORED_KEYS, trainConfigSchema, type TrainConfig } from '../../protocol/train-config';
import { UserError, validationError } from '../errors';

export interface LoadedTrainConfig {
  readonly config: TrainConfig;
  /** Keys accepted for LLaMA-Factory compatibility that have no effect here. */
  readonly ignored: readonly string[];
}

export async function readTrainConfig(path: string, overrides: readonly string[] = []): Promise<LoadedTrainConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(`cannot read the config file ${path}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UserError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${path} must be a YAML mapping of keys to values`);
  const merged = { ...(raw as Record<string, unknown>), ...parseOverrides(overrides) };
  const loaded = validateTrainConfig(merged, path);
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
  const ignored = Object.keys(raw).filter((k) => (IGNORED_KEYS as readonly string[]).includes(k));
  const rest = Object.fromEntries(Object.entries(raw).filter(([k, v]) => !ignored.includes(k) && v !== null));
  const known = Object.keys(trainConfigSchema.shape);
  const unknown = Object.keys(rest).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new UserError(unknown.map((k) => `${source}: ${k}: unknown key${suggestion(k, known)}`).join('\n'), 'See the README for the supported keys (LLaMA-Factory names).');
  }
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

function suggestion(key: string, known: readonly string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(key, k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, key.length / 4) ? ` (did you mean ${best.k}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

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
