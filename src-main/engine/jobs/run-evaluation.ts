/**
 * What evaluating a training run compares: its base model alone, each checkpoint's adapter and the final adapter,
 * on the examples the run held out (or on a dataset the user names), all on one loaded base model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../../protocol/train-config';
import { loadDataset, resolveDatasetSource, type Conversation } from '../data';
import { UserError } from '../errors';
import { ADAPTER_WEIGHTS } from '../lora/adapter-files';
import type { LoadedModel } from '../model/load-model';
import { listCheckpoints } from '../train/checkpoint-folders';
import { readRunRecord } from '../train/run-files';
import type { PredictTarget } from './predict-job';
import { prepareData } from './training-data';

export interface RunToEvaluate {
  readonly dir: string;
  readonly config: TrainConfig;
  /** The base model's folder: the run's own, or the one the user points at when it has moved. */
  readonly model: string;
  readonly targets: PredictTarget[];
}

export async function runToEvaluate(dir: string, modelOverride: string | null): Promise<RunToEvaluate> {
  const record = await readRunRecord(dir);
  if (!record) throw new UserError(`${dir} is not a training run (it has no readable run.json)`, 'Choose a run folder from the runs list.');
  const config = record.config as unknown as TrainConfig;
  const model = modelOverride ?? config.model_name_or_path;
  if (!existsSync(join(model, 'config.json'))) {
    throw new UserError(
      `the run ${record.id} was trained on the base model ${config.model_name_or_path}, which is not there any more`,
      `Evaluating it needs that model: point at its folder (--model on the command line, the Model tab on the board).`,
    );
  }
  const checkpoints = await listCheckpoints(dir);
  const targets: PredictTarget[] = [{ name: 'base', adapter: null }, ...checkpoints.map((c) => ({ name: `step-${c.step}`, adapter: c.dir }))];
  if (existsSync(join(dir, ADAPTER_WEIGHTS))) targets.push({ name: 'final', adapter: dir });
  if (targets.length === 1) throw new UserError(`the run ${record.id} has no adapter yet (no checkpoint, no final adapter)`, 'Evaluate it once it has saved a checkpoint or finished.');
  return { dir, config, model, targets };
}

/** The examples the run held out for evaluation, exactly as training split them (same data, cutoff and seed). */
export async function heldOutExamples(loaded: LoadedModel, config: TrainConfig): Promise<Conversation[]> {
  const data = await prepareData(loaded, {
    dataset: config.dataset,
    datasetDir: config.dataset_dir,
    cutoffLen: config.cutoff_len,
    maxSamples: config.max_samples,
    valSize: config.val_size,
    seed: config.seed,
    dropUntrained: config.drop_untrained_examples ?? true,
  });
  if (data.val.length === 0) throw new UserError('this run held no examples out (val_size 0)', 'Choose a dataset to evaluate on (--dataset).');
  const byRow = new Map(data.dataset.conversations.map((c) => [c.row, c]));
  return data.val.map((e) => byRow.get(e.row)!);
}

/** Every usable example of a dataset (at most `maxSamples`). */
export async function datasetExamples(dataset: string, datasetDir: string | null, maxSamples: number | null): Promise<Conversation[]> {
  const { conversations } = await loadDataset(resolveDatasetSource(dataset, datasetDir ?? undefined));
  return maxSamples ? conversations.slice(0, maxSamples) : [...conversations];
}
