/**
 * What an evaluation compares, and on what: a training run's base model alone, each checkpoint's adapter and the
 * final adapter, on the examples the run held out (or on a dataset the user names); or a model with or without one
 * adapter on a dataset. All on one loaded base model. The CLI (`eval --predict`) and the board run this.
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
import type { PredictComparison, PredictProgress } from '../../protocol/engine-types';
import { loadModel } from '../model/load-model';
import type { Sampling } from '../model/sampling';
import { runPredictJob, type PredictTarget } from './predict-job';
import { prepareRunData } from './training-data';

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
      `Evaluating it needs that model: point at its folder (--model on the command line, "Choose the base model folder" on the board's Evaluate tab).`,
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
  const data = await prepareRunData(loaded, config);
  if (data.val.length === 0) throw new UserError('this run held no examples out (val_size 0)', 'Choose a dataset to evaluate on (--dataset).');
  const byRow = new Map(data.dataset.conversations.map((c) => [c.row, c]));
  return data.val.map((e) => byRow.get(e.row)!);
}

/** Every usable example of a dataset (at most `maxSamples`). */
export async function datasetExamples(dataset: string, datasetDir: string | null, maxSamples: number | null): Promise<Conversation[]> {
  const { conversations } = await loadDataset(resolveDatasetSource(dataset, datasetDir ?? undefined));
  return maxSamples ? conversations.slice(0, maxSamples) : [...conversations];
}

export interface EvaluationRequest {
  /** A run folder: its base model, checkpoints and final adapter; or null with `model` (and maybe `adapter`). */
  readonly run: string | null;
  /** The base model's folder: required without a run; with one, where its base model is now if it moved. */
  readonly model: string | null;
  readonly adapter: string | null;
  /** Required without a run; with one, evaluated on instead of the held-out examples. */
  readonly dataset: string | null;
  readonly datasetDir: string | null;
  readonly maxSamples: number | null;
  readonly maxNewTokens: number;
  readonly sampling: Sampling;
  /** The folder to write; with a run, null means a new `predict-<time>` folder in it. */
  readonly out: string | null;
}

export async function evaluateModels(r: EvaluationRequest, onProgress: (p: PredictProgress) => void, signal?: AbortSignal, onStart?: (targets: readonly PredictTarget[], examples: number) => void): Promise<PredictComparison> {
  if (r.run && r.adapter) throw new UserError('evaluate a run (its base model, checkpoints and final adapter) or one adapter, not both');
  const run = r.run ? await runToEvaluate(r.run, r.model) : null;
  const model = run?.model ?? r.model;
  if (!model) throw new UserError('no model to evaluate', 'Name the base model folder (--model), or a run (--run).');
  if (!run && !r.dataset) throw new UserError('no dataset to evaluate on', 'Name a dataset (--dataset), or evaluate a run on the examples it held out (--run).');
  const out = r.out ?? (run ? join(run.dir, `predict-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`) : null);
  if (!out) throw new UserError('no folder to write the predictions to', 'Name one with --out.');
  const targets = run?.targets ?? [{ name: 'base', adapter: null }, ...(r.adapter ? [{ name: 'adapter', adapter: r.adapter }] : [])];
  const loaded = await loadModel(model);
  try {
    const all = r.dataset ? await datasetExamples(r.dataset, r.datasetDir, r.maxSamples) : await heldOutExamples(loaded, run!.config);
    const examples = all.slice(0, r.maxSamples ?? undefined);
    onStart?.(targets, examples.length);
    return await runPredictJob(loaded, { targets, examples, maxNewTokens: r.maxNewTokens, sampling: r.sampling, out, onProgress, signal });
  } finally {
    loaded.dispose();
  }
}
