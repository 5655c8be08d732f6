/**
 * A config's plan (forecast/run-plan.ts) from its model folder and dataset, read without loading a weight: the
 * config.json, the safetensors headers, and the dataset tokenized as the run will tokenize it. The board asks
 * again at every change of a parameter, so the tokenized lengths are kept while the dataset file is unchanged.
 */
import { stat } from 'node:fs/promises';
import type { BackendName } from '../../protocol/engine-types';
import { CUTOFF_STEPS, type DeviceMemory, type RunPlan } from '../../protocol/run-plan';
import type { TrainConfig } from '../../protocol/train-config';
import { ChatTokenizer } from '../formats/tokenizer';
import { planModelOf } from '../forecast/plan-model';
import { planRun, type PlanData, type PlanInput } from '../forecast/run-plan';
import { prepareRunData } from './training-data';

export interface PlanRequest {
  readonly config: TrainConfig;
  readonly backend: BackendName;
  readonly device: DeviceMemory | null;
  readonly speed: PlanInput['speed'];
}

export async function planConfig(r: PlanRequest): Promise<RunPlan> {
  const model = await planModelOf(r.config.model_name_or_path);
  const data = await planDataOf(r.config);
  return planRun({ model, settings: r.config, backend: r.backend, device: r.device, data, speed: r.speed });
}

const kept = new Map<string, { file: string; mtimeMs: number; size: number; data: PlanData }>();

/** The training set's token lengths as the run will see them (its cutoff's dropped examples and split). */
async function planDataOf(config: TrainConfig): Promise<PlanData> {
  const key = JSON.stringify([config.model_name_or_path, config.dataset, config.dataset_dir, config.cutoff_len, config.max_samples, config.val_size, config.seed, config.drop_untrained_examples]);
  const known = kept.get(key);
  if (known) {
    const now = await stat(known.file).catch(() => null);
    if (now && now.mtimeMs === known.mtimeMs && now.size === known.size) return known.data;
  }
  const tokenizer = await ChatTokenizer.load(config.model_name_or_path);
  const { dataset, train } = await prepareRunData({ tokenizer }, config);
  const lengths = train.map((e) => e.fullLength);
  const data: PlanData = {
    examples: train.length,
    maxTokens: Math.max(0, ...lengths),
    meanTokens: lengths.length ? lengths.reduce((a, n) => a + Math.min(n, config.cutoff_len), 0) / lengths.length : 0,
    longerThan: CUTOFF_STEPS.map((c) => [c, lengths.filter((n) => n > c).length] as const),
  };
  const file = await stat(dataset.file);
  kept.set(key, { file: dataset.file, mtimeMs: file.mtimeMs, size: file.size, data });
  return data;
}
