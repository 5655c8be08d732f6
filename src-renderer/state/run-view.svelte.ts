/**
 * One run as the board shows it: summary, config, metrics, evaluations, log and progress. Filled from
 * run:get (which is also what a reloaded page restores from) and kept current by the host's events.
 */
import type { RunDetail, RunProgress, RunSummary } from '../../src-main/protocol/board-api';
import type { StepMetrics } from '../../src-main/protocol/engine-types';

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
  logs = $state.raw<readonly string[]>([]);
  progress = $state.raw<RunProgress | null>(null);
  /** Whether run:get has answered (the config and history are known). */
  loaded = $state(false);
  loadError = $state<string | null>(null);
  /** Lines that arrived while run:get was on its way, appended after its answer. */
  private logsInFlight: string[] | null = null;

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
    this.logs = [...detail.logs, ...(this.logsInFlight ?? []).filter((l) => !tail.has(l))].slice(-MAX_LOG_LINES);
    this.logsInFlight = null;
    if (detail.progress && (!this.progress || detail.progress.step >= this.progress.step)) this.progress = detail.progress;
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

  addEval(point: EvalPoint): void {
    this.evals = [...this.evals.filter((e) => e.step !== point.step), point].sort((a, b) => a.step - b.step);
  }

  addLog(line: string): void {
    if (this.logsInFlight) this.logsInFlight.push(line);
    else this.logs = [...this.logs, line].slice(-MAX_LOG_LINES);
  }
}
