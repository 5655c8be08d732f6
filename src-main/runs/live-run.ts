/**
 * A run this host started or resumed, in memory: everything a board needs to draw it (summary, config,
 * every metric, evaluations including the one before the first step, log lines, progress), so a reloaded
 * window restores it with one run:get. Training events update it and come out as board events.
 */
import type { RunDetail, RunProgress, RunSummary } from '../protocol/board-api';
import type { RunRecord, StepMetrics, TrainEvent } from '../protocol/engine-types';
import { formatLoss } from '../protocol/quantities';
import type { RunLogEntry } from '../protocol/run-log';
import type { EventSink } from './event-sink';
import type { EngineHost, EngineJob } from './engine-host';
import { summaryOf } from './run-summary';

/** Log lines kept in memory per run (the engine's train.log keeps its own). */
const MAX_LOG_LINES = 5000;

export class LiveRun {
  record: RunRecord;
  metrics: StepMetrics[];
  evals: Array<{ step: number; evalLoss: number }>;
  logs: string[];
  /** What each line of `logs` says as data, for the board to say it in its language; null for text only. */
  logEntries: Array<RunLogEntry | null>;
  progress: RunProgress | null = null;
  hasCheckpoint: boolean;
  engine: EngineHost | null = null;
  job: EngineJob<unknown> | null = null;
  stopping = false;
  /** Settles when the current engine job has ended and the run's state is final. */
  finished: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    record: RunRecord,
    history: { metrics: StepMetrics[]; logs: string[]; hasCheckpoint: boolean },
    private readonly emit: EventSink,
  ) {
    this.record = record;
    this.metrics = history.metrics;
    this.evals = history.metrics.flatMap((m) => (m.eval_loss === undefined ? [] : [{ step: m.step, evalLoss: m.eval_loss }]));
    this.logs = history.logs;
    this.logEntries = history.logs.map(() => null);
    this.hasCheckpoint = history.hasCheckpoint;
  }

  get id(): string {
    return this.record.id;
  }

  get running(): boolean {
    return this.record.status === 'running';
  }

  summary(): RunSummary {
    return summaryOf(this.record, this.dir, this.metrics, this.hasCheckpoint, true);
  }

  detail(): RunDetail {
    return { summary: this.summary(), config: this.record.config, metrics: [...this.metrics], evals: [...this.evals], logs: [...this.logs], logEntries: [...this.logEntries], progress: this.progress, health: this.record.health ?? [] };
  }

  changed(): void {
    this.emit('run:changed', this.summary());
  }

  /** A line of the run's log: `line` in English, `entry` what it says as data (run-log.ts) when built from an event. */
  log(line: string, entry: RunLogEntry | null = null): void {
    const stamped = `${new Date().toISOString()} ${line}`;
    this.logs.push(stamped);
    this.logEntries.push(entry);
    if (this.logs.length > MAX_LOG_LINES) {
      this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
      this.logEntries.splice(0, this.logEntries.length - MAX_LOG_LINES);
    }
    this.emit('run:log', { id: this.id, line: stamped, ...(entry ? { entry } : {}) });
  }

  /** Stop was asked: a checkpoint is promised only when a step was taken since the last one. */
  logStopping(): void {
    const saves = this.progress !== null && this.progress.step > 0;
    this.log(saves ? 'stopping after the current step (a checkpoint is saved to resume from)' : 'stopping', { code: 'stopping', checkpoint: saves });
  }

  logResuming(): void {
    this.log('resuming from the latest checkpoint', { code: 'resuming' });
  }

  /** How the run ended, once its record is final. */
  logOutcome(): void {
    const r = this.record;
    if (r.status === 'completed') this.log(`completed after ${r.steps_done} steps`, { code: 'completed', steps: r.steps_done });
    else if (r.status === 'stopped' && this.hasCheckpoint) this.log(`stopped at step ${r.steps_done}; resume to continue from the checkpoint`, { code: 'stopped', step: r.steps_done, resumable: true });
    else if (r.status === 'stopped') this.log('stopped before the first step: there is nothing to resume; start the run again', { code: 'stopped', step: r.steps_done, resumable: false });
    else this.log(`failed: ${r.error}`, { code: 'failed', error: r.error ?? '' });
  }

  /** One training event: state first, then the board events that announce it. */
  apply(event: TrainEvent): void {
    switch (event.type) {
      case 'log':
        this.log(`${event.level}: ${event.message}`);
        return;
      case 'started': {
        // A resumed run recomputes the steps after its checkpoint.
        this.metrics = this.metrics.filter((m) => m.step <= event.startStep);
        this.evals = this.evals.filter((e) => e.step <= event.startStep);
        this.record = { ...this.record, backend: event.backend.name, device: event.backend.device, total_steps: event.totalSteps, steps_done: event.startStep };
        this.log(`backend: ${event.backend.name} · ${event.backend.device}`, { code: 'backend', backend: event.backend.name, device: event.backend.device });
        this.log(
          `training ${event.trainableParameters} LoRA parameters on ${event.trainExamples} examples${event.evalExamples ? ` (${event.evalExamples} held out)` : ''}, ` +
            `${event.totalSteps} steps${event.startStep ? `, resuming at step ${event.startStep}` : ''}`,
          { code: 'started', parameters: event.trainableParameters, trainExamples: event.trainExamples, evalExamples: event.evalExamples, totalSteps: event.totalSteps, startStep: event.startStep },
        );
        this.changed();
        return;
      }
      case 'step': {
        const m = event.metrics;
        this.metrics.push(m);
        this.record = { ...this.record, steps_done: m.step, total_steps: event.totalSteps };
        this.progress = { step: m.step, totalSteps: event.totalSteps, elapsedSeconds: event.elapsedSeconds, etaSeconds: event.etaSeconds, tokensPerSecond: m.tokens_per_s };
        this.emit('run:metrics', { id: this.id, metrics: m, progress: this.progress });
        this.log(`step ${m.step}/${event.totalSteps} · loss ${formatLoss(m.loss)} · lr ${m.lr.toExponential(2)} · ${Math.round(m.tokens_per_s)} tok/s`, {
          code: 'step',
          step: m.step,
          totalSteps: event.totalSteps,
          loss: finiteOrNull(m.loss),
          lr: m.lr,
          tokensPerSecond: m.tokens_per_s,
        });
        return;
      }
      case 'eval':
        this.evals.push({ step: event.step, evalLoss: event.evalLoss });
        this.emit('run:eval', { id: this.id, step: event.step, evalLoss: event.evalLoss });
        this.log(`step ${event.step}: eval loss ${formatLoss(event.evalLoss)}`, { code: 'eval', step: event.step, evalLoss: finiteOrNull(event.evalLoss) });
        return;
      case 'progress': {
        const { step, totalSteps, elapsedSeconds, etaSeconds } = event;
        this.record = { ...this.record, steps_done: step, total_steps: totalSteps };
        this.progress = { step, totalSteps, elapsedSeconds, etaSeconds, tokensPerSecond: this.progress?.tokensPerSecond ?? 0 };
        this.emit('run:progress', { id: this.id, progress: this.progress });
        return;
      }
      case 'health': {
        const { reading } = event;
        const known = this.record.health ?? [];
        this.record = { ...this.record, health: [...known, reading] };
        this.emit('run:health', { id: this.id, reading });
        this.log(`${reading.severity}: step ${reading.step}: ${reading.message}. ${reading.advice}`, { code: 'health', reading });
        if (!known.some((r) => r.kind === reading.kind)) this.changed();
        return;
      }
      case 'checkpoint':
        this.hasCheckpoint = true;
        this.record = { ...this.record, last_checkpoint: event.path };
        this.log(`step ${event.step}: checkpoint saved to ${event.path}`, { code: 'checkpoint', step: event.step, path: event.path });
        return;
    }
  }
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
