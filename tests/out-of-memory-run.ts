/**
 * A run made to run out of memory between two checkpoints, the same way on every backend and through every
 * door (the engine, the CLI, the host): the demo model on examples that all reach cutoff_len, so that every step
 * needs the same memory whatever the data order, and a memory limit taken from the forecast that a step of the
 * config's batch of 4 passes but its smaller-batch fix (batch 1, accumulation 4) fits in.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import * as tf from '../src-main/engine/backend/tf';
import { OutOfMemoryFailure } from '../src-main/engine/jobs/out-of-memory-report';
import { planConfig } from '../src-main/engine/jobs/plan-job';
import { runTrainJob } from '../src-main/engine/jobs/train-job';
import { listCheckpoints } from '../src-main/engine/train/checkpoint-folders';
import { validateTrainConfig } from '../src-main/engine/train/config-file';
import { readMetrics } from '../src-main/engine/train/run-files';
import type { BackendName, RunRecord } from '../src-main/protocol/engine-types';
import { formatBytes } from '../src-main/protocol/quantities';
import { DEMO_MODEL } from './fixtures';

/** The fix the limit is chosen for: the same effective batch, a quarter of the activations. */
export const SMALLER_BATCH = { per_device_train_batch_size: 1, gradient_accumulation_steps: 4 } as const;

/** 16 answers that each run past cutoff_len 64: every batch is padded to the full cutoff. */
export function uniformLengthDataset(): string {
  const rows = Array.from({ length: 16 }, (_, n) => ({
    instruction: `Count on from ${n}.`,
    input: '',
    output: `${Array.from({ length: 60 }, (_, i) => n + i + 1).join(', ')}.`,
  }));
  const file = join(mkdtempSync(join(tmpdir(), 'tb-oom-data-')), 'counting.json');
  writeFileSync(file, JSON.stringify(rows));
  return file;
}

/** The run's settings: 4 steps of a batch of 4, a checkpoint after each. */
export function outOfMemorySettings(dataset: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_name_or_path: DEMO_MODEL,
    dataset,
    cutoff_len: 64,
    val_size: 0,
    per_device_train_batch_size: 4,
    gradient_accumulation_steps: 1,
    learning_rate: 2e-3,
    max_steps: 4,
    logging_steps: 1,
    save_steps: 1,
    seed: 42,
    ...overrides,
  };
}

/** `settings` as a config file a `tuneboard train` reads. */
export function writeConfigFile(settings: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-oom-config-')), 'train.yaml');
  writeFileSync(file, stringify(settings));
  return file;
}

/**
 * A limit the smaller-batch fix fits in by the forecast (under 85% of it: the plan's "fits") while the config's
 * own forecast is over it. The forecast is not exact (its coefficients are calibrated apart from these tests), so
 * the limit is derived from it rather than written down: the tests then check that the engine agrees with it.
 * The limit counts the tensors' bytes (memory-limit.ts gives tfjs's pool of freed buffers back to stay within
 * it), so it is set from the forecast's tensor peak.
 */
export async function memoryLimitFor(settings: Record<string, unknown>, backend: BackendName): Promise<number> {
  const plan = async (changes: Record<string, unknown>) => {
    const { config } = validateTrainConfig({ ...settings, ...changes, output_dir: tmpdir() }, 'the test config');
    return (await planConfig({ config, backend, device: null, speed: null })).memory.tensorPeak;
  };
  const limit = Math.ceil((await plan(SMALLER_BATCH)) / 0.8);
  const whole = await plan({});
  if (whole <= limit) throw new Error(`the forecast of a batch of 4 (${whole} bytes) fits in the limit chosen for batch 1 (${limit} bytes): no failure to test`);
  return limit;
}

/** What a step computes, as the sentence names it. */
const STEP_PHASES = ['the forward pass', 'the backward pass', 'the optimizer update'];

/**
 * In this process, on `backend` (`memory`: its words for the device): two steps with no limit, stopped with the
 * checkpoint of step 2; a resume under the limit fails at step 3 for memory, says so, records it and keeps the
 * checkpoint; a resume with the first fix it offers, under the same limit and in the same process, finishes.
 */
export async function failAndResumeWithFix(backend: 'wasm' | 'webgpu', memory: string): Promise<void> {
  const out = join(mkdtempSync(join(tmpdir(), 'tb-oom-')), 'run');
  const settings = outOfMemorySettings(uniformLengthDataset(), { output_dir: out });
  const { config } = validateTrainConfig(settings, 'the test config');
  const limit = await memoryLimitFor(settings, backend);
  const noop = () => {};

  const stop = new AbortController();
  const first = await runTrainJob(config, { backend, signal: stop.signal, memoryLimit: null, emit: (e) => e.type === 'checkpoint' && e.step === 2 && stop.abort() });
  expect(first).toMatchObject({ status: 'stopped', steps: 2 });
  const tensorsBetweenJobs = tf.memory().numTensors;

  const failure = await runTrainJob({ ...config, resume_from_checkpoint: true }, { backend, emit: noop, memoryLimit: limit }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(OutOfMemoryFailure);
  const { message, hint, outOfMemory, resumable } = failure as OutOfMemoryFailure;
  const sentence = new RegExp(`^ran out of ${memory} at step 3 while computing (${STEP_PHASES.join('|')}): (.+) needed, (.+) available$`);
  expect(message).toMatch(sentence);
  expect(message.match(sentence)![3]).toBe(formatBytes(limit));
  expect(resumable).toBe(true);
  expect(outOfMemory).toMatchObject({ step: 3, memory, availableBytes: limit });
  expect(STEP_PHASES).toContain(outOfMemory.phase);
  expect(outOfMemory.neededBytes).toBeGreaterThan(limit);
  // The limit was chosen so that the smaller batch fits: a fitting fix comes first, and the hint offers it.
  const [fix] = outOfMemory.fixes;
  expect(fix).toMatchObject({ verdict: 'fits', resumable: true });
  expect(outOfMemory.fixes.every((f) => f.resumable)).toBe(true);
  expect(hint).toContain(`Resume with one of: ${Object.entries(fix!.changes).map(([k, v]) => `${k}: ${String(v)}`).join(', ')}`);

  const record = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunRecord;
  expect(record).toMatchObject({ status: 'failed', steps_done: 2, last_checkpoint: join(out, 'checkpoints', 'step-2') });
  expect(record.out_of_memory).toEqual(outOfMemory);
  expect(record.error).toBe(`${message}\n${hint}`);
  expect((await listCheckpoints(out)).map((c) => c.step)).toEqual([1, 2]);
  // Nothing of the failed step is kept: not its tensors, not a metrics line, not the limit.
  expect((await readMetrics(out)).map((m) => m.step)).toEqual([1, 2]);
  expect(tf.memory().numTensors).toBe(tensorsBetweenJobs);
  tf.zeros([Math.ceil(limit / 4) + 1]).dispose();

  const resumed = await runTrainJob({ ...config, ...fix!.changes, resume_from_checkpoint: true }, { backend, emit: noop, memoryLimit: limit });
  expect(resumed).toMatchObject({ status: 'completed', steps: 4 });
  expect((await readMetrics(out)).map((m) => m.step)).toEqual([1, 2, 3, 4]);
  expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
  const done = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunRecord;
  expect(done).toMatchObject({ status: 'completed', steps_done: 4, error: null });
  expect(done.out_of_memory ?? null).toBeNull();
}
