/**
 * One run as the board shows it: summary, config, metrics, evaluations, health readings, log and progress.
 * Filled from run:get (which is also what a reloaded page restores from) and kept current by the host's events.
 */
import type { RunDetail, RunProgress, RunSummary } from '../../src-main/protocol/board-api';
import type { HealthReading, StepMetrics } from '../../src-main/protocol/engine-types';
import type { RunLogLine } from '../../src-main/protocol/run-log';

const MAX_LOG_LINES = 2000;

export interface EvalPoint {
  readonly step: number;
  readonly evalLoss: number;
}

export class RunView {
  summary = $state.raw<RunSummary>() as RunSummary;
  config = $state.raw<Readonly<Record<string, unknown>>>({});
  metrics = $state.raw<readonly StepMetrics[]>([]);
  evals = $state.raw<readonly EvalPoint[]>([]);
  logs = $state.raw<readonly RunLogLine[]>([]);
  progress = $state.raw<RunProgress | null>(null);
  health = $state.raw<readonly HealthReading[]>([]);
  /** Whether run:get has answered (the config and history are known). */
  loaded = $state(false);
  loadError = $state<string | null>(null);
  /** Lines that arrived while run:get was on its way, appended after its answer. */
  private logsInFlight: RunLogLine[] | null = null;

  constructor(summary: RunSummary) {
    this.summary = summary;
  }

  get id(): string {
    return this.summary.id;
  }

  applySummary(summary: RunSummary): void {
    this.summary = summary;
  }

  beginLoad(): void {
    this.logsInFlight = [];
  }

  /** The host's full record, merged with whatever events came in meanwhile. */
  applyDetail(detail: RunDetail): void {
    const lastStep = detail.metrics.at(-1)?.step ?? -1;
    this.summary = detail.summary;
    this.config = detail.config;
    this.metrics = [...detail.metrics, ...this.metrics.filter((m) => m.step > lastStep)];
    const evalSteps = new Set(detail.evals.map((e) => e.step));
    this.evals = [...detail.evals, ...this.evals.filter((e) => !evalSteps.has(e.step))].sort((a, b) => a.step - b.step);
    const tail = new Set(detail.logs.slice(-50));
    const lines = detail.logs.map((line, i) => ({ line, entry: detail.logEntries?.[i] ?? null }));
    this.logs = [...lines, ...(this.logsInFlight ?? []).filter((l) => !tail.has(l.line))].slice(-MAX_LOG_LINES);
    this.logsInFlight = null;
    if (detail.progress && (!this.progress || detail.progress.step >= this.progress.step)) this.progress = detail.progress;
    const known = new Set(detail.health.map(healthKey));
    this.health = [...detail.health, ...this.health.filter((r) => !known.has(healthKey(r)))];
    this.loaded = true;
    this.loadError = null;
  }

  addMetrics(metrics: StepMetrics, progress: RunProgress): void {
    const last = this.metrics.at(-1);
    if (last && metrics.step <= last.step) {
      // A resumed run repeats steps after its checkpoint: the new values replace the old ones.
      this.metrics = [...this.metrics.filter((m) => m.step < metrics.step), metrics];
    } else {
      this.metrics = [...this.metrics, metrics];
    }
    this.progress = progress;
  }

  /** Every step, logged or not: the progress bar, elapsed time and ETA move with it. */
  setProgress(progress: RunProgress): void {
    this.progress = progress;
  }

  addHealth(reading: HealthReading): void {
    if (!this.health.some((r) => healthKey(r) === healthKey(reading))) this.health = [...this.health, reading];
  }

  /** Whether a health reading stopped the run: it says why in the user's language, in place of the engine's English error. */
  get stoppedByHealth(): boolean {
    const { status, error } = this.summary;
    return status === 'failed' && error !== null && this.health.some((r) => r.severity === 'error' && error.includes(r.message));
  }

  addEval(point: EvalPoint): void {
    this.evals = [...this.evals.filter((e) => e.step !== point.step), point].sort((a, b) => a.step - b.step);
  }

  addLog(line: RunLogLine): void {
    if (this.logsInFlight) this.logsInFlight.push(line);
    else this.logs = [...this.logs, line].slice(-MAX_LOG_LINES);
  }
}

function healthKey(r: HealthReading): string {
  return `${r.step}:${r.kind}`;
}
