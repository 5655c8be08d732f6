/**
 * The training loop: for each optimizer step, gradients of every micro-batch are summed, divided by the
 * supervised tokens of the whole step, clipped by global norm, and applied by AdamW at the scheduled
 * learning rate. Logging, evaluation and checkpoints happen between steps; so does stopping.
 */
import type { HealthReading, StepMetrics, TrainEvent } from '../../protocol/engine-types';
import type { RunPhase } from '../../protocol/run-plan';
import type { TrainConfig } from '../../protocol/train-config';
import { assertDeviceAlive } from '../backend/device-health';
import { collate, type TokenizedExample } from '../data';
import type { MemoryProbe } from '../backend/memory-probe';
import type { LoraAdapter } from '../lora/lora-adapter';
import type { CausalLM } from '../model/causal-lm';
import { AdamW, adamwOptionsOf } from './adamw';
import { saveCheckpoint, type SavedCheckpoint } from './checkpoint';
import type { DataOrder } from './data-order';
import { evaluateLoss } from './evaluate';
import { learningRate, type Schedule } from './lr-schedule';
import type { RunFiles } from './run-files';
import { queueStep, readStep, type StepResult } from './train-step';
import { TrainingTuning } from './training-tuning';
import { HealthMonitor } from './health-monitor';
import { UserError } from '../errors';

export interface TrainerSetup {
  readonly config: TrainConfig;
  readonly model: CausalLM;
  readonly adapter: LoraAdapter;
  readonly train: readonly TokenizedExample[];
  readonly val: readonly TokenizedExample[];
  readonly padId: number;
  readonly order: DataOrder;
  readonly schedule: Schedule;
  readonly files: RunFiles;
  readonly memory: MemoryProbe;
  readonly resume: SavedCheckpoint | null;
  readonly emit: (event: TrainEvent) => void;
  readonly signal?: AbortSignal;
  /** Kept up to date as the run goes: where it was when something failed. */
  readonly position: RunPosition;
}

/** Where a run is: the optimizer step it is computing (1-based; 0 before the first), and what it is doing. */
export interface RunPosition {
  step: number;
  phase: RunPhase;
}

export interface TrainerOutcome {
  readonly stepsDone: number;
  readonly stopped: boolean;
  readonly lastLoss: number | null;
  readonly lastEvalLoss: number | null;
  readonly lastCheckpoint: string | null;
}

export async function runTrainer(s: TrainerSetup): Promise<TrainerOutcome> {
  const { config, schedule } = s;
  const params = s.adapter.parameters();
  const optimizer = new AdamW(params, adamwOptionsOf(config));
  let step = 0;
  if (s.resume) {
    optimizer.load(s.resume.state.step, s.resume.optimizerM, s.resume.optimizerV);
    step = s.resume.state.step;
  }
  const evalEvery = config.eval_steps ?? config.logging_steps;
  const log = new LogWindow();
  const started = performance.now();
  // Training time of the run's earlier sessions (a resumed run): elapsed time is the run's, not this process's.
  const before = s.resume?.state.trainSeconds ?? 0;
  const elapsed = () => before + (performance.now() - started) / 1000;
  const firstStep = step;
  let lastEvalLoss: number | null = null;
  let lastCheckpoint: string | null = s.resume?.dir ?? null;
  let checkpointStep = s.resume?.state.step ?? 0;
  const tuning = await TrainingTuning.start(s.emit);
  const health = new HealthMonitor({ learningRate: config.learning_rate, maxGradNorm: config.max_grad_norm, totalSteps: schedule.totalSteps });
  if (s.resume) health.noteCheckpoint(s.resume.state.step);
  const said = (readings: readonly HealthReading[]) => {
    for (const reading of readings) s.emit({ type: 'health', reading });
    log.health(readings);
    const fatal = readings.find((r) => r.severity === 'error');
    if (fatal) throw new UserError(fatal.message, fatal.advice);
  };

  const checkpoint = async () => {
    s.position.phase = 'saving a checkpoint';
    const state = { step, totalSteps: schedule.totalSteps, epoch: s.order.epochAfter(step), seed: config.seed, trainSeconds: elapsed() };
    lastCheckpoint = await saveCheckpoint(config.output_dir, state, s.adapter.config, await s.adapter.tensors(), optimizer.state(), config.save_total_limit ?? null);
    checkpointStep = step;
    health.noteCheckpoint(step);
    s.emit({ type: 'checkpoint', step, path: lastCheckpoint });
  };
  const eta = () => ((elapsed() - before - (tuning?.seconds ?? 0)) / (step - firstStep)) * (schedule.totalSteps - step);

  try {
    while (step < schedule.totalSteps) {
      if (s.signal?.aborted) {
        if (step > checkpointStep) await checkpoint();
        return { stepsDone: step, stopped: true, lastLoss: log.lastLoss, lastEvalLoss, lastCheckpoint };
      }
      assertDeviceAlive();
      // Let messages in between steps (a Stop from the board): on CPU backends nothing else awaits the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      s.position.step = step + 1;
      const result = tuning ? await tuning.watch(() => trainStep(s, optimizer, step)) : await trainStep(s, optimizer, step);
      // A GPU that could not allocate a buffer computed garbage: its results are neither logged nor saved.
      assertDeviceAlive();
      // Tuning is a one-off: neither the steps' throughput nor the ETA should count it.
      if (tuning) log.exclude(await tuning.afterStep(step === firstStep, (performance.now() - started) / 1000));
      if (result.tokens === 0) {
        s.emit({ type: 'log', level: 'warn', message: `step ${step + 1} had no trained token (every answer in it is cut off by cutoff_len ${config.cutoff_len}): no update` });
      }
      step++;
      log.add(result);
      said(health.step(step, result.loss, result.gradNorm, result.tokens));
      s.emit({ type: 'progress', step, totalSteps: schedule.totalSteps, elapsedSeconds: elapsed(), etaSeconds: eta() });
      const last = step === schedule.totalSteps;
      let evalLoss: number | undefined;
      if (s.val.length && (step % evalEvery === 0 || last)) {
        s.position.phase = 'evaluation';
        s.adapter.setTraining(null);
        evalLoss = (await evaluateLoss(s.model, s.val, config.per_device_eval_batch_size ?? config.per_device_train_batch_size, s.padId)).loss;
        lastEvalLoss = evalLoss;
        s.emit({ type: 'eval', step, evalLoss });
        said(health.evaluation(step, evalLoss));
      }
      if (step % config.logging_steps === 0 || last) {
        const metrics = log.flush(step, s.order.epochAfter(step), await s.memory.read(), evalLoss);
        await s.files.appendMetrics(metrics);
        s.emit({ type: 'step', metrics, elapsedSeconds: elapsed(), etaSeconds: eta(), totalSteps: schedule.totalSteps });
      }
      if (step % config.save_steps === 0 && !last) await checkpoint();
    }
    return { stepsDone: step, stopped: false, lastLoss: log.lastLoss, lastEvalLoss, lastCheckpoint };
  } finally {
    s.adapter.setTraining(null);
    optimizer.dispose();
  }
}

/** One optimizer step (0-based `step`) of the run's data order, queued, then read. */
function trainStep(s: TrainerSetup, optimizer: AdamW, step: number): Promise<StepResult> {
  const microBatches = s.order.step(step).map((indices) => collate(indices.map((j) => s.train[j]!), s.padId));
  const onPhase = (phase: RunPhase) => {
    s.position.phase = phase;
  };
  const options = { seed: s.config.seed, step, lr: learningRate(s.schedule, step), maxGradNorm: s.config.max_grad_norm, recomputeLayers: s.config.gradient_checkpointing, onPhase };
  return readStep(queueStep(s.model, s.adapter, optimizer, microBatches, options));
}

/** Steps since the last metrics line: their mean loss, summed tokens, throughput; the last step's lr and grad norm. */
class LogWindow {
  private steps: StepResult[] = [];
  private readings: HealthReading[] = [];
  private since = performance.now();
  lastLoss: number | null = null;

  add(r: StepResult): void {
    this.steps.push(r);
  }

  health(readings: readonly HealthReading[]): void {
    this.readings.push(...readings);
  }

  /** Leaves `seconds` spent on other work (tuning) out of the window's throughput. */
  exclude(seconds: number): void {
    this.since += seconds * 1000;
  }

  flush(step: number, epoch: number, memory: StepMetrics['memory'], evalLoss: number | undefined): StepMetrics {
    const now = performance.now();
    const finite = this.steps.filter((r) => Number.isFinite(r.loss));
    const last = this.steps[this.steps.length - 1]!;
    const metrics: StepMetrics = {
      step,
      epoch: Math.round(epoch * 1e4) / 1e4,
      loss: finite.length ? finite.reduce((a, r) => a + r.loss, 0) / finite.length : NaN,
      lr: last.lr,
      grad_norm: last.gradNorm,
      tokens: this.steps.reduce((a, r) => a + r.tokens, 0),
      tokens_per_s: this.steps.reduce((a, r) => a + r.inputTokens, 0) / ((now - this.since) / 1000),
      memory,
      ...(evalLoss !== undefined ? { eval_loss: evalLoss } : {}),
      ...(this.readings.length ? { health: this.readings } : {}),
    };
    this.steps = [];
    this.readings = [];
    this.since = now;
    // The run's final loss is the last logged value, the one the charts and the CLI show.
    if (Number.isFinite(metrics.loss)) this.lastLoss = metrics.loss;
    return metrics;
  }
}
