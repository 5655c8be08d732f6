/** A run's summary line for the board, from its run.json (on disk, or mirrored in memory while it runs) and metrics. */
import type { RunSummary } from '../protocol/board-api';
import type { RunRecord, StepMetrics } from '../protocol/engine-types';

/** A run.json left at "running" by a process that is gone. */
export const INTERRUPTED = 'interrupted: the process training it ended without recording why (TuneBoard was closed or crashed)';

export function summaryOf(record: RunRecord, dir: string, metrics: readonly StepMetrics[], hasCheckpoint: boolean, live: boolean): RunSummary {
  const interrupted = record.status === 'running' && !live;
  const status = interrupted ? 'failed' : record.status;
  const last = metrics.at(-1);
  const lastEval = metrics.findLast((m) => m.eval_loss !== undefined);
  return {
    id: record.id,
    status,
    model: String(record.config['model_name_or_path'] ?? ''),
    dataset: String(record.config['dataset'] ?? ''),
    backend: record.backend,
    startedAt: record.started_at,
    finishedAt: record.finished_at,
    stepsDone: Math.max(record.steps_done, last?.step ?? 0),
    totalSteps: record.total_steps,
    finalLoss: record.final_loss ?? last?.loss ?? null,
    evalLoss: record.eval_loss ?? lastEval?.eval_loss ?? null,
    seconds: record.timings.total_s,
    error: interrupted ? INTERRUPTED : record.error,
    outputDir: dir,
    resumable: (status === 'stopped' || status === 'failed') && hasCheckpoint,
    health: [...new Set((record.health ?? []).map((r) => r.kind))],
    outOfMemory: record.out_of_memory ?? null,
  };
}
