/** What a run folder holds about a run, past or present: run.json, metrics, the log, whether a checkpoint exists. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listCheckpoints } from '../engine/train/checkpoint-folders';
import { LOG_FILE, readMetrics, readRunRecord } from '../engine/train/run-files';
import type { RunRecord, StepMetrics } from '../protocol/engine-types';

export interface RunHistory {
  readonly record: RunRecord | null;
  readonly metrics: StepMetrics[];
  readonly logs: string[];
  readonly hasCheckpoint: boolean;
}

/** The last lines of train.log a board shows. */
const LOG_LINES = 2000;

export async function readRunHistory(dir: string): Promise<RunHistory> {
  const [record, metrics, logs, checkpoints] = await Promise.all([readRunRecord(dir), readMetrics(dir), readLog(dir), listCheckpoints(dir)]);
  return { record, metrics, logs, hasCheckpoint: checkpoints.length > 0 };
}

async function readLog(dir: string): Promise<string[]> {
  const path = join(dir, LOG_FILE);
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).slice(-LOG_LINES);
}
