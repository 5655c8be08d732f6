/**
 * A training run from a validated config: backend, model, adapter, data, then the trainer; run.json,
 * metrics.jsonl, checkpoints and the final PEFT adapter in output_dir. Used by `tuneboard train`, serve
 * mode and the board's engine process alike.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { newRunRecord, type BackendChoice, type BackendReport, type TrainEvent, type TrainResult } from '../../protocol/engine-types';
import type { TrainConfig } from '../../protocol/train-config';
import type { OutOfMemory } from '../../protocol/run-plan';
import { initBackend, type BackendInfo } from '../backend/backend';
import { releasePooledMemory } from '../backend/buffer-pool';
import { limitMemory, memoryLimitFromEnvironment } from '../backend/memory-limit';
import { recogniseOutOfMemory } from '../backend/out-of-memory';
import { UserError, describeError, fileSystemError } from '../errors';
import { createOutputFolder, isWithin, realPath, refuseSpecialFolder } from '../output-folders';
import { formatBytes, formatLoss } from '../../protocol/quantities';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, writeAdapter } from '../lora/adapter-files';
import { LoraAdapter } from '../lora/lora-adapter';
import type { LoraConfig } from '../lora/lora-config';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import type { CausalLM } from '../model/causal-lm';
import { describeBase } from '../model/weight-storage';
import { loadCheckpoint, type SavedCheckpoint } from '../train/checkpoint';
import { CHECKPOINTS_DIR, findCheckpoint, listCheckpoints } from '../train/checkpoint-folders';
import { DataOrder } from '../train/data-order';
import { evaluateLoss } from '../train/evaluate';
import { warmupStepsOf, type Schedule } from '../train/lr-schedule';
import { LOG_FILE, METRICS_FILE, RUN_FILE, RunFiles, RunRecordWriter, readRunRecord } from '../train/run-files';
import { runTrainer, type RunPosition, type TrainerOutcome } from '../train/trainer';
import { versions } from '../version';
import { MemoryProbe } from '../backend/memory-probe';
import { padTokenId } from '../data';
import { OutOfMemoryFailure, reportOutOfMemory } from './out-of-memory-report';
import { prepareRunData, type PreparedData } from './training-data';
import { loadRunModel, loraSetup } from './run-model';

export interface TrainJobOptions {
  readonly backend: BackendChoice;
  readonly emit: (event: TrainEvent) => void;
  readonly signal?: AbortSignal;
  /** Config keys that were accepted but have no effect, to report once. */
  readonly ignoredKeys?: readonly string[];
  /** The memory limit in bytes (memory-limit.ts); absent: TUNEBOARD_MEMORY_LIMIT's, if set. */
  readonly memoryLimit?: number | null;
}

export async function runTrainJob(config: TrainConfig, options: TrainJobOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const limit = options.memoryLimit !== undefined ? options.memoryLimit : memoryLimitFromEnvironment();
  const resume = config.resume_from_checkpoint ? await findCheckpoint(config.output_dir, config.resume_from_checkpoint === true ? true : config.resume_from_checkpoint) : null;
  await prepareOutputDir(config, resume !== null);
  const run = await RunLog.open(config, resume, options.emit);
  const position: RunPosition = { step: 0, phase: 'loading the model' };
  let backend: BackendInfo | null = null;
  let session: TrainingSession | null = null;
  let unlimit: (() => void) | null = null;
  try {
    if (options.ignoredKeys?.length) run.emit({ type: 'log', level: 'info', message: `ignored (no effect in TuneBoard): ${options.ignoredKeys.join(', ')}` });
    backend = await initBackend(options.backend);
    await run.record.update({ backend: backend.name, device: backend.device });
    if (limit !== null) {
      unlimit = limitMemory(limit);
      run.emit({ type: 'log', level: 'info', message: `memory limit: ${formatBytes(limit)}` });
    }
    session = await setUpSession(config, resume, run);
    await run.started(session, backend, (performance.now() - t0) / 1000);
    position.phase = 'evaluation';
    if (!session.checkpoint) await initialEvaluation(session, config, run, options.signal);
    const tTrain = performance.now();
    const { model, adapter, data, padId, order, schedule, checkpoint } = session;
    const memory = new MemoryProbe(backend.name);
    const outcome = await runTrainer({ config, model, adapter, train: data.train, val: data.val, padId, order, schedule, files: run.files, memory, resume: checkpoint, emit: run.emit, signal: options.signal, position });
    position.phase = 'saving a checkpoint';
    if (!outcome.stopped) await writeAdapter(config.output_dir, session.lora, await session.adapter.tensors());
    return await run.finished(outcome, { train_s: (performance.now() - tTrain) / 1000, total_s: (performance.now() - t0) / 1000 });
  } catch (err) {
    const outOfMemory = recogniseOutOfMemory(err, backend?.name ?? null);
    if (!outOfMemory) {
      const said = writeError(err, config, session);
      await run.failed(said);
      throw said;
    }
    // The memory the run held goes back before the forecast is read; nothing is saved from a failed step.
    session = releaseAfterFailure(session);
    const record = await reportOutOfMemory(outOfMemory, position, config, backend, limit);
    const said = new OutOfMemoryFailure(record, (await listCheckpoints(config.output_dir)).length > 0);
    await run.failed(said, record);
    throw said;
  } finally {
    unlimit?.();
    session?.dispose();
  }
}

/**
 * After running out of memory the engine takes the next job: the run's weights are freed (the failed step freed
 * its own half-made tensors: train-step.ts), and on webgpu the pool of freed buffers too. A wasm module that
 * aborted cannot free anything (every call fails again): what it held goes with the process.
 */
function releaseAfterFailure(session: TrainingSession | null): null {
  try {
    session?.dispose();
    releasePooledMemory();
  } catch {
    // Only an aborted wasm module throws here; its own error has been reported.
  }
  return null;
}

/**
 * A filesystem error while writing the run folder, with the config key and, for a full disk, the space a
 * checkpoint of this run needs (its LoRA weights and AdamW's two moments, float32); other errors as they are.
 */
function writeError(err: unknown, config: TrainConfig, session: TrainingSession | null): unknown {
  const path = (err as NodeJS.ErrnoException | null)?.path;
  const said = path && isWithin(realPath(path), realPath(config.output_dir)) ? fileSystemError(err, 'output_dir') : null;
  if (!said) return err;
  if ((err as NodeJS.ErrnoException).code !== 'ENOSPC' || !session) return said;
  const checkpoint = session.adapter.trainableParameterCount() * 4 * 3;
  return new UserError(said.message, `A checkpoint of this run needs about ${formatBytes(checkpoint)} in ${config.output_dir}: free that much there, or choose an output_dir on another disk.`);
}

/** What a run trains with: the model and its adapter, the data and its order, the schedule, and the checkpoint resumed from. */
interface TrainingSession {
  readonly model: CausalLM;
  readonly adapter: LoraAdapter;
  readonly lora: LoraConfig;
  readonly data: PreparedData;
  readonly padId: number;
  readonly order: DataOrder;
  readonly schedule: Schedule;
  readonly checkpoint: SavedCheckpoint | null;
  dispose(): void;
}

async function setUpSession(config: TrainConfig, resume: string | null, run: RunLog): Promise<TrainingSession> {
  checkCutoff(config, await readModelConfig(config.model_name_or_path));
  const loaded = await loadRunModel(config);
  run.emit({ type: 'log', level: 'info', message: describeBase(loaded.base.storage, loaded.base.bytes) });
  let adapter: LoraAdapter | null = null;
  try {
    const data = await prepareRunData(loaded, config);
    for (const w of data.warnings) run.emit({ type: 'log', level: 'warn', message: w });
    const checkpoint = resume ? await loadCheckpoint(resume) : null;
    const { lora, init } = await loraSetup(config, checkpoint);
    adapter = LoraAdapter.attach(loaded.model, lora, init);
    const order = new DataOrder(data.train.length, config.per_device_train_batch_size, config.gradient_accumulation_steps, config.shuffle, config.seed);
    const totalSteps = order.totalSteps(config.num_train_epochs, config.max_steps);
    const schedule = { type: config.lr_scheduler_type, baseLr: config.learning_rate, totalSteps, warmupSteps: warmupStepsOf(totalSteps, config.warmup_steps, config.warmup_ratio) };
    for (const w of planWarnings(config, data.train.length, data.val.length, totalSteps)) run.emit({ type: 'log', level: 'warn', message: w });
    if (checkpoint) {
      if (checkpoint.state.totalSteps !== totalSteps) {
        throw new UserError(`the checkpoint ${resume} belongs to a run of ${checkpoint.state.totalSteps} steps, but this config makes ${totalSteps}`, 'Resume with the same config as the interrupted run.');
      }
      await run.files.truncateMetricsAfter(checkpoint.state.step);
    }
    const attached = adapter;
    return {
      model: loaded.model,
      adapter: attached,
      lora,
      data,
      padId: padTokenId(loaded.tokenizer),
      order,
      schedule,
      checkpoint,
      dispose: () => {
        attached.detach();
        loaded.dispose();
      },
    };
  } catch (err) {
    adapter?.detach();
    loaded.dispose();
    throw err;
  }
}

/** A cutoff past the model's context would index positions it was never trained on: refused before loading. */
function checkCutoff(config: TrainConfig, model: ModelConfig): void {
  if (config.cutoff_len > model.maxPositionEmbeddings) {
    throw new UserError(`cutoff_len ${config.cutoff_len} is more than this model's context (max_position_embeddings ${model.maxPositionEmbeddings})`, `Set cutoff_len to ${model.maxPositionEmbeddings} or less.`);
  }
}

/** Settings that do not fit this run's size, said in words: the run goes on, but not as the user likely meant. */
function planWarnings(config: TrainConfig, trainExamples: number, evalExamples: number, totalSteps: number): string[] {
  const warnings: string[] = [];
  if (config.per_device_train_batch_size > trainExamples) {
    warnings.push(`per_device_train_batch_size ${config.per_device_train_batch_size} is more than the ${trainExamples} training examples: each step takes all ${trainExamples}`);
  }
  if (config.logging_steps > totalSteps) {
    warnings.push(`logging_steps ${config.logging_steps} is more than this run's ${totalSteps} steps: the loss is logged at the last step only; logging_steps ${Math.max(1, Math.floor(totalSteps / 10))} draws a curve`);
  }
  const evalSteps = config.eval_steps ?? config.logging_steps;
  if (evalExamples > 0 && evalSteps > totalSteps) {
    warnings.push(`eval_steps ${evalSteps} is more than this run's ${totalSteps} steps: the held-out loss is measured only before the first step and after the last`);
  }
  if (config.save_steps >= totalSteps) warnings.push(`save_steps ${config.save_steps} is not less than this run's ${totalSteps} steps: no checkpoint is saved before the end (Stop still saves one)`);
  return warnings;
}

/** The eval loss before the first step: the baseline the charts compare against. */
async function initialEvaluation(session: TrainingSession, config: TrainConfig, run: RunLog, signal: AbortSignal | undefined): Promise<void> {
  if (!session.data.val.length) return;
  const initial = await evaluateLoss(session.model, session.data.val, config.per_device_eval_batch_size ?? config.per_device_train_batch_size, session.padId, signal);
  // Stopped while it ran: a partial evaluation is no baseline.
  if (!signal?.aborted) run.emit({ type: 'eval', step: 0, evalLoss: initial.loss });
}

/** A run's record and log as it goes: run.json (one writer), train.log, and the events passed on to the caller. */
class RunLog {
  private constructor(
    readonly files: RunFiles,
    readonly record: RunRecordWriter,
    private readonly onEvent: (event: TrainEvent) => void,
  ) {}

  static async open(config: TrainConfig, resume: string | null, onEvent: (event: TrainEvent) => void): Promise<RunLog> {
    const files = new RunFiles(config.output_dir);
    const previous = resume ? await readRunRecord(config.output_dir) : null;
    const record = new RunRecordWriter(files, {
      ...newRunRecord(files.id, config, previous?.started_at),
      versions: versions(),
      steps_done: previous?.steps_done ?? 0,
      last_checkpoint: resume,
    });
    await record.update({});
    return new RunLog(files, record, onEvent);
  }

  readonly emit = (event: TrainEvent): void => {
    if (event.type === 'log') void this.files.log(`${event.level}: ${event.message}`);
    if (event.type === 'eval') void this.files.log(`step ${event.step}: eval loss ${formatLoss(event.evalLoss)}`);
    if (event.type === 'health') {
      void this.files.log(`${event.reading.severity}: step ${event.reading.step}: ${event.reading.message}. ${event.reading.advice}`);
      void this.record.update({ health: [...(this.record.record.health ?? []), event.reading] });
    }
    // A crash after this point still leaves run.json naming the checkpoint to resume from.
    if (event.type === 'checkpoint') void this.record.update({ last_checkpoint: event.path, steps_done: event.step });
    this.onEvent(event);
  };

  async started(session: TrainingSession, backend: BackendReport, loadSeconds: number): Promise<void> {
    const { schedule, adapter, data, checkpoint } = session;
    await this.record.update({
      total_steps: schedule.totalSteps,
      trainable_parameters: adapter.trainableParameterCount(),
      examples: { train: data.train.length, eval: data.val.length },
      timings: { ...this.record.record.timings, load_s: loadSeconds },
    });
    this.emit({
      type: 'started',
      backend,
      totalSteps: schedule.totalSteps,
      startStep: checkpoint?.state.step ?? 0,
      trainExamples: data.train.length,
      evalExamples: data.val.length,
      trainableParameters: adapter.trainableParameterCount(),
    });
  }

  async finished(outcome: TrainerOutcome, timings: { train_s: number; total_s: number }): Promise<TrainResult> {
    const status = outcome.stopped ? 'stopped' : 'completed';
    await this.record.update({
      status,
      finished_at: new Date().toISOString(),
      steps_done: outcome.stepsDone,
      final_loss: outcome.lastLoss,
      eval_loss: outcome.lastEvalLoss,
      last_checkpoint: outcome.lastCheckpoint,
      timings: { ...this.record.record.timings, ...timings },
    });
    await this.files.log(`${status} after ${outcome.stepsDone} steps`);
    return { status, outputDir: this.files.dir, steps: outcome.stepsDone, finalLoss: outcome.lastLoss, evalLoss: outcome.lastEvalLoss, seconds: timings.total_s };
  }

  async failed(err: unknown, outOfMemory: OutOfMemory | null = null): Promise<void> {
    await this.record.update({ status: 'failed', finished_at: new Date().toISOString(), error: describeError(err), out_of_memory: outOfMemory });
    await this.files.log(`failed: ${describeError(err)}`);
  }
}

/** A run that failed before its first step (a wrong key, a model too big) left nothing worth keeping: retrying may reuse its folder. */
async function failedBeforeFirstStep(dir: string): Promise<boolean> {
  const record = await readRunRecord(dir);
  return record?.status === 'failed' && record.steps_done === 0 && (await listCheckpoints(dir)).length === 0 && !existsSync(join(dir, ADAPTER_WEIGHTS));
}

/** Files a run writes; overwrite_output_dir removes these and nothing else a user may keep in that folder. */
const RUN_OUTPUTS = [RUN_FILE, METRICS_FILE, LOG_FILE, CHECKPOINTS_DIR, ADAPTER_CONFIG, ADAPTER_WEIGHTS];

/** A new run never writes into another run's folder unless overwrite_output_dir is set. */
async function prepareOutputDir(config: TrainConfig, resuming: boolean): Promise<void> {
  refuseSpecialFolder(config.output_dir, 'output_dir');
  if (existsSync(config.output_dir) && !resuming && (await readdir(config.output_dir)).length > 0) {
    if (!config.overwrite_output_dir && !(await failedBeforeFirstStep(config.output_dir))) {
      throw new UserError(`output_dir ${config.output_dir} already holds files from another run`, 'Choose a new output_dir, set resume_from_checkpoint: true to continue it, or overwrite_output_dir: true to replace it.');
    }
    for (const name of RUN_OUTPUTS) await rm(join(config.output_dir, name), { recursive: true, force: true });
  }
  await createOutputFolder(config.output_dir, 'output_dir');
}
