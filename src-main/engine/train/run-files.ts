/**
 * The files of a run folder that describe it: run.json (rewritten atomically on every change of state),
 * metrics.jsonl (one line per logged step, appended as it happens) and train.log (human-readable events).
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RunRecord, StepMetrics } from '../../protocol/engine-types';
import { writeFileAtomic } from '../atomic-files';

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const LOG_FILE = 'train.log';

export class RunFiles {
  constructor(readonly dir: string) {}

  get id(): string {
    return basename(this.dir);
  }

  async readRun(): Promise<RunRecord | null> {
    return readRunRecord(this.dir);
  }

  async writeRun(record: RunRecord): Promise<void> {
    await writeFileAtomic(join(this.dir, RUN_FILE), JSON.stringify(record, null, 2) + '\n');
  }

  async appendMetrics(m: StepMetrics): Promise<void> {
    await appendFile(join(this.dir, METRICS_FILE), JSON.stringify(m) + '\n');
  }

  /** A resumed run recomputes the steps after its checkpoint: drop their old lines. */
  async truncateMetricsAfter(step: number): Promise<void> {
    const kept = (await readMetrics(this.dir)).filter((m) => m.step <= step);
    await writeFile(join(this.dir, METRICS_FILE), kept.map((m) => JSON.stringify(m) + '\n').join(''));
  }

  async log(message: string): Promise<void> {
    await appendFile(join(this.dir, LOG_FILE), `${new Date().toISOString()} ${message}\n`);
  }
}

/**
 * run.json kept current: each update is applied to the record in memory and written in order, so the file
 * always ends with the latest state whatever order the writes finish in.
 */
export class RunRecordWriter {
  private writing = Promise.resolve();

  constructor(
    private readonly files: RunFiles,
    public record: RunRecord,
  ) {}

  update(patch: Partial<RunRecord>): Promise<void> {
    this.record = { ...this.record, ...patch };
    const snapshot = this.record;
    this.writing = this.writing.then(() => this.files.writeRun(snapshot));
    return this.writing;
  }
}

export async function readRunRecord(dir: string): Promise<RunRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, RUN_FILE), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}

export async function readMetrics(dir: string): Promise<StepMetrics[]> {
  const path = join(dir, METRICS_FILE);
  if (!existsSync(path)) return [];
  // A line cut short by a crash is skipped, not fatal.
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as StepMetrics];
      } catch {
        return [];
      }
    });
}
