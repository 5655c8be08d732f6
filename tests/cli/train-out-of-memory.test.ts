/**
 * `tuneboard train --memory-limit` on a run whose batch does not fit: exit 1 with the sentence and, since a
 * checkpoint is kept, the command lines that resume it with settings that fit; the first of them finishes the run.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runTrainJob } from '../../src-main/engine/jobs/train-job';
import { readTrainConfig } from '../../src-main/engine/train/config-file';
import { memoryLimitFor, outOfMemorySettings, uniformLengthDataset, writeConfigFile } from '../out-of-memory-run';
import { runCli } from './run-cli';

test('a run out of memory prints the resume commands; the first one finishes the run', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tb-cli-oom-')), 'run');
  const settings = outOfMemorySettings(uniformLengthDataset(), { output_dir: out });
  const yaml = writeConfigFile(settings);
  const limit = await memoryLimitFor(settings, 'wasm');
  // The checkpoint of step 2, made with no limit (in this process: stopping the CLI at a given step is not exact).
  const stop = new AbortController();
  const { config } = await readTrainConfig(yaml);
  await runTrainJob(config, { backend: 'wasm', signal: stop.signal, memoryLimit: null, emit: (e) => e.type === 'checkpoint' && e.step === 2 && stop.abort() });

  const failed = await runCli(['train', yaml, 'resume_from_checkpoint=true', '--backend', 'wasm', '--memory-limit', String(limit)]);
  expect(failed.code).toBe(1);
  expect(failed.stderr).toMatch(/^error: ran out of the wasm heap at step 3 while computing the (forward pass|backward pass|optimizer update): .+ needed, .+ available$/m);
  expect(failed.stderr).toContain('Resume from the last checkpoint with one of these (those that fit first; the forecast after #):');
  expect(failed.stderr).not.toMatch(/internal error|\n\s+at /);
  const commands = [...failed.stderr.matchAll(/^ {2}(tuneboard train .+?) {2}# (.+)$/gm)];
  expect(commands.length).toBeGreaterThan(0);
  const [, first, said] = commands[0]!;
  expect(said).toMatch(/, fits$/);
  // Plain words only (nothing to unquote): the command as a shell splits it.
  expect(first).not.toMatch(/['"\\]/);
  const words = first!.split(' ');
  expect(words.slice(0, 4)).toEqual(['tuneboard', 'train', yaml, 'resume_from_checkpoint=true']);
  expect(words.slice(-4)).toEqual(['--backend', 'wasm', '--memory-limit', String(limit)]);
  expect(existsSync(join(out, 'checkpoints', 'step-2'))).toBe(true);

  const resumed = await runCli(words.slice(1));
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toMatch(/^done: 4 steps in /);
  expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))).toMatchObject({ status: 'completed', steps_done: 4, error: null });
  expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
});
