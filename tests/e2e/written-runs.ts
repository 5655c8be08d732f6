/**
 * Run folders written by hand into a board's runs folder, with the engine's own writer (run-files.ts): a
 * run.json and a metrics.jsonl as a finished training leaves them, for the board to list, open and chart.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RunFiles } from '../../src-main/engine/train/run-files';
import { newRunRecord, type HealthReading, type RunRecord, type StepMetrics } from '../../src-main/protocol/engine-types';
import { ROOT } from '../cli/run-cli';

export const DEMO_MODEL = resolve(ROOT, 'resources/demo-model');
export const SAMPLE_DATASET = resolve(ROOT, 'resources/datasets/sample_alpaca.json');

export interface WrittenRun {
  readonly status: RunRecord['status'];
  readonly startedAt: string;
  /** One loss per logged step (steps 1, 2, ...); null is a NaN, as JSON writes it. */
  readonly losses: ReadonlyArray<number | null>;
  readonly health?: readonly HealthReading[];
  readonly error?: string;
  /** Evaluation losses by step, written on those steps' metric lines as training writes them. */
  readonly evalLosses?: Readonly<Record<number, number>>;
  /** Config keys that replace or add to the written ones. */
  readonly config?: Readonly<Record<string, unknown>>;
}

export async function writeRun(runsDir: string, id: string, run: WrittenRun): Promise<string> {
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  const files = new RunFiles(dir);
  const config = { model_name_or_path: DEMO_MODEL, dataset: SAMPLE_DATASET, output_dir: dir, learning_rate: 1, max_steps: run.losses.length, logging_steps: 1, ...run.config };
  const steps = run.losses.length;
  const last = run.losses.at(-1);
  await files.writeRun({
    ...newRunRecord(id, config, run.startedAt),
    status: run.status,
    backend: 'wasm',
    device: 'CPU',
    finished_at: new Date(Date.parse(run.startedAt) + 60_000).toISOString(),
    timings: { load_s: 1, train_s: 58, total_s: 60 },
    steps_done: steps,
    total_steps: steps,
    final_loss: last ?? null,
    eval_loss: Object.entries(run.evalLosses ?? {}).at(-1)?.[1] ?? null,
    error: run.error ?? null,
    ...(run.health ? { health: run.health } : {}),
  });
  for (const [i, loss] of run.losses.entries()) {
    const evalLoss = run.evalLosses?.[i + 1];
    const metrics = { step: i + 1, epoch: (i + 1) / 4, loss, lr: 1, grad_norm: 1, tokens: 50, tokens_per_s: 300, memory: { kind: 'process', source: 'process', used: 2e8, total: 8e9 }, ...(evalLoss === undefined ? {} : { eval_loss: evalLoss }) };
    await files.appendMetrics(metrics as unknown as StepMetrics);
  }
  return dir;
}
