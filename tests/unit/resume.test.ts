import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TrainEvent } from '../../src-main/protocol/engine-types';
import { runTrainJob } from '../../src-main/engine/jobs/train-job';
import { readTrainConfig } from '../../src-main/engine/train/config-file';
import { readMetrics } from '../../src-main/engine/train/run-files';
import { loadCheckpoint } from '../../src-main/engine/train/checkpoint';
import { readAdapter } from '../../src-main/engine/lora/adapter-files';
import { LINEAR_LAYERS } from '../../src-main/engine/model/model-layout';
import { runCli } from '../cli/run-cli';
import { trajectoryConfig } from '../trajectory-config';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'tb-resume-')), 'run');
const noop = () => {};

describe('resume from a checkpoint', () => {
  test('stopping at step 6 and resuming reproduces steps 7 to 12 of an uninterrupted run', async () => {
    const whole = tmp();
    await runTrainJob((await readTrainConfig(trajectoryConfig('tiny-llama', whole))).config, { backend: 'wasm', emit: noop });

    const parted = tmp();
    const { config } = await readTrainConfig(trajectoryConfig('tiny-llama', parted));
    const stop = new AbortController();
    const first = await runTrainJob(config, {
      backend: 'wasm',
      signal: stop.signal,
      emit: (e: TrainEvent) => e.type === 'checkpoint' && e.step === 6 && stop.abort(),
    });
    expect(first).toMatchObject({ status: 'stopped', steps: 6 });
    expect(JSON.parse(readFileSync(join(parted, 'run.json'), 'utf8'))).toMatchObject({ status: 'stopped', steps_done: 6, last_checkpoint: join(parted, 'checkpoints', 'step-6') });
    // Optimizer state exists for the LoRA weights and nothing else: the base weights are frozen.
    const checkpoint = await loadCheckpoint(join(parted, 'checkpoints', 'step-6'));
    const adapterKeys = [...(await readAdapter(checkpoint.dir, LINEAR_LAYERS)).tensors.keys()].sort();
    expect([...checkpoint.optimizerM.keys()].sort()).toEqual(adapterKeys);
    expect([...checkpoint.optimizerV.keys()].sort()).toEqual(adapterKeys);
    expect(checkpoint.state).toMatchObject({ step: 6, totalSteps: 12 });

    const events: TrainEvent[] = [];
    const second = await runTrainJob({ ...config, resume_from_checkpoint: true }, { backend: 'wasm', emit: (e) => events.push(e) });
    expect(second).toMatchObject({ status: 'completed', steps: 12 });
    expect(events.find((e) => e.type === 'started')).toMatchObject({ startStep: 6 });
    const a = await readMetrics(whole);
    const b = await readMetrics(parted);
    expect(b.map((m) => m.step)).toEqual(a.map((m) => m.step));
    for (const [i, m] of b.entries()) {
      expect(m.loss, `step ${m.step}`).toBeCloseTo(a[i]!.loss, 6);
      expect(m.grad_norm, `step ${m.step}`).toBeCloseTo(a[i]!.grad_norm, 6);
      expect(m.lr).toBe(a[i]!.lr);
    }
  });

  test('Ctrl-C stops the CLI after a step with a checkpoint; resuming finishes the same run', async () => {
    const whole = tmp();
    await runTrainJob((await readTrainConfig(trajectoryConfig('tiny-qwen2', whole))).config, { backend: 'wasm', emit: noop });
    const out = tmp();
    const yaml = trajectoryConfig('tiny-qwen2', out, { save_steps: 100 });
    let signalled = false;
    const stopped = await runCli(['train', yaml, '--backend', 'wasm'], {
      onStderr: (chunk, child) => {
        if (!signalled && /step 2\/12/.test(chunk)) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/stopped at step (\d+); resume with/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.status).toBe('stopped');
    expect(run.steps_done).toBeLessThan(12);
    const resumed = await runCli(['train', yaml, 'resume_from_checkpoint=true', '--backend', 'wasm']);
    expect(resumed.code).toBe(0);
    const a = await readMetrics(whole);
    const b = await readMetrics(out);
    expect(b.map((m) => m.loss.toFixed(6))).toEqual(a.map((m) => m.loss.toFixed(6)));
  });
});

test('LoRA dropout changes training, reproducibly from the seed', async () => {
  const run = async (extra: Record<string, unknown>) => {
    const out = tmp();
    await runTrainJob((await readTrainConfig(trajectoryConfig('tiny-llama', out, { max_steps: 4, ...extra }))).config, { backend: 'wasm', emit: noop });
    return readMetrics(out);
  };
  const plain = await run({});
  const dropped = await run({ lora_dropout: 0.3 });
  const again = await run({ lora_dropout: 0.3 });
  expect(dropped.map((m) => m.loss)).toEqual(again.map((m) => m.loss));
  // adapter_init has B = 0, and step 1 uses lr 0: the adapter first changes the output at step 3.
  expect(dropped[3]!.loss).not.toBeCloseTo(plain[3]!.loss, 5);
});
