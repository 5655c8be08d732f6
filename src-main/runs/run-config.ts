/**
 * The config of a run the board starts: validated with the CLI's rules (trainConfigSchema through
 * validateTrainConfig, every error naming its key), output_dir set to the run's folder, input paths made
 * absolute, and the model and dataset checked before an engine process is spent on them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { resolveDatasetSource } from '../engine/data/dataset-source';
import { UserError } from '../engine/errors';
import { checkModelFolder } from '../engine/formats/model-folder';
import { validateTrainConfig, type LoadedTrainConfig } from '../engine/train/config-file';
import type { PlanChanges } from '../protocol/run-plan';
import { parseConfigText, type TrainConfig } from '../protocol/train-config';

/** Where a run keeps the config it was started with, in the YAML a `tuneboard train` or LLaMA-Factory reads. */
export const CONFIG_FILE = 'config.yaml';

const SOURCE = 'config';

export function newRunConfig(input: Readonly<Record<string, unknown>>, outputDir: string, baseDir: string): LoadedTrainConfig {
  if (input['resume_from_checkpoint']) {
    throw new UserError(`${SOURCE}: resume_from_checkpoint: a new run starts from the beginning`, 'To continue a stopped or failed run, resume it from the list of runs.');
  }
  // The run's folder is new: overwrite_output_dir only lets the engine write beside config.yaml.
  const raw = { ...input, output_dir: outputDir, overwrite_output_dir: true, resume_from_checkpoint: null };
  const loaded = validateTrainConfig(raw, SOURCE);
  const config = absolutePaths(loaded.config, baseDir);
  checkInputs(config);
  return { ...loaded, config };
}

/** A config the board asks a plan for: checked as Start would check it (output_dir is not needed yet). */
export function plannedRunConfig(input: Readonly<Record<string, unknown>>, baseDir: string): TrainConfig {
  const loaded = validateTrainConfig({ ...input, output_dir: input['output_dir'] || baseDir, resume_from_checkpoint: null }, SOURCE);
  const config = absolutePaths(loaded.config, baseDir);
  checkInputs(config);
  return config;
}

/**
 * The config a run was started with, set to continue from its latest checkpoint, with `changes` (a fix of its
 * plan, the one "Resume with settings that fit" takes) on top. A change a checkpoint cannot continue with is
 * refused: a LoRA rank changes the adapter's shape. A smaller batch with more accumulation keeps the effective
 * batch, and so every step's examples and the number of steps the checkpoint counts on (data-order.ts).
 */
export async function resumeRunConfig(dir: string, recorded: Readonly<Record<string, unknown>> | null, changes: PlanChanges = {}): Promise<LoadedTrainConfig> {
  if (changes.lora_rank !== undefined) {
    throw new UserError(`lora_rank cannot change when a run resumes: its checkpoint holds an adapter of rank ${String(recorded?.['lora_rank'] ?? 'another')}`, `Start a new run with lora_rank: ${changes.lora_rank}.`);
  }
  const original = recorded ?? (await readConfigFile(dir));
  const loaded = validateTrainConfig({ ...original, ...changes, output_dir: dir, resume_from_checkpoint: true }, SOURCE);
  checkInputs(loaded.config);
  return loaded;
}

async function readConfigFile(dir: string): Promise<Record<string, unknown>> {
  const parsed = parseConfigText(await readFile(join(dir, CONFIG_FILE), 'utf8').catch(() => ''));
  if ('config' in parsed && parsed.config) return parsed.config;
  throw new UserError(`${dir} has neither a readable run.json nor ${CONFIG_FILE}: the run's config is lost`);
}

/** Relative input paths are taken from baseDir; a dataset named with a dataset_dir stays as given (a registry key, or a path in that folder). */
function absolutePaths(c: TrainConfig, baseDir: string): TrainConfig {
  const abs = (p: string | null | undefined) => (p == null || isAbsolute(p) ? p : resolve(baseDir, p));
  const datasetDir = abs(c.dataset_dir);
  return {
    ...c,
    model_name_or_path: abs(c.model_name_or_path)!,
    adapter_name_or_path: abs(c.adapter_name_or_path),
    dataset_dir: datasetDir,
    dataset: datasetDir ? c.dataset : abs(c.dataset)!,
  };
}

/** Fails now, naming the key, rather than in a run that fails while loading. */
function checkInputs(c: TrainConfig): void {
  checkModelFolder(c.model_name_or_path, `${SOURCE}: model_name_or_path`);
  if (c.adapter_name_or_path && !existsSync(c.adapter_name_or_path)) {
    throw new UserError(`${SOURCE}: adapter_name_or_path: ${c.adapter_name_or_path} does not exist`);
  }
  try {
    resolveDatasetSource(c.dataset, c.dataset_dir ?? undefined);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${SOURCE}: dataset: ${err.message}`, err.hint);
    throw err;
  }
}
