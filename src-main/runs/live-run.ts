/**
 * A run this host started or resumed, in memory: everything a board needs to draw it (summary, config,
 * every metric, evaluations including the one before the first step, log lines, progress), so a reloaded
 * window restores it with one run:get. Training events update it and come out as board events.
 */
import type { RunDetail, RunProgress, RunSummary } from '../protocol/board-api';
import type { RunRecord, StepMetrics, TrainEvent } from '../protocol/engine-types';
import { formatLoss } from '../protocol/quantities';
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
    return { summary: this.summary(), config: this.record.config, metrics: [...this.metrics], evals: [...this.evals], logs: [...this.logs], progress: this.progress, health: this.record.health ?? [] };
  }

  changed(): void {
    this.emit('run:changed', this.summary());
  }

  log(line: string): void {
    const stamped = `${new Date().toISOString()} ${line}`;
    this.logs.push(stamped);
    if (this.logs.length > MAX_LOG_LINES) this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
    this.emit('run:log', { id: this.id, line: stamped });
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
        this.log(`backend: ${event.backend.name} · ${event.backend.device}`);
        this.log(
          `training ${event.trainableParameters} LoRA parameters on ${event.trainExamples} examples${event.evalExamples ? ` (${event.evalExamples} held out)` : ''}, ` +
            `${event.totalSteps} steps${event.startStep ? `, resuming at step ${event.startStep}` : ''}`,
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
        this.log(`step ${m.step}/${event.totalSteps} · loss ${formatLoss(m.loss)} · lr ${m.lr.toExponential(2)} · ${Math.round(m.tokens_per_s)} tok/s`);
        return;
      }
      case 'eval':
        this.evals.push({ step: event.step, evalLoss: event.evalLoss });
        this.emit('run:eval', { id: this.id, step: event.step, evalLoss: event.evalLoss });
        this.log(`step ${event.step}: eval loss ${formatLoss(event.evalLoss)}`);
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
        this.log(`${reading.severity}: step ${reading.step}: ${reading.message}. ${reading.advice}`);
        if (!known.some((r) => r.kind === reading.kind)) this.changed();
        return;
      }
      case 'checkpoint':
        this.hasCheckpoint = true;
        this.record = { ...this.record, last_checkpoint: event.path };
        this.log(`step ${event.step}: checkpoint saved to ${event.path}`);
        return;
    }
  }
}
