/**
 * The run manager with real engine processes (the built bundle, forked): a short run streams its metrics and
 * lands in the run list; a run whose engine process is SIGKILLed is marked failed with the reason, keeps its
 * checkpoint, and a resume finishes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { listCheckpoints } from '../../src-main/engine/train/checkpoint-folders';
import { readMetrics, readRunRecord } from '../../src-main/engine/train/run-files';
import { RunManager } from '../../src-main/runs/run-manager';
import { EventLog } from './event-log';
import { ROOT, recordingLauncher, requireBundle, shortConfig, tempDir } from './host-fixtures';

beforeAll(requireBundle);

function manager() {
  const log = new EventLog();
  const { launch, engines } = recordingLauncher();
  const runs = new RunManager({ runsDir: join(tempDir('tb-runs-'), 'runs'), launchEngine: launch, emit: log.sink, baseDir: ROOT });
  return { runs, log, engines };
}

test('a short run streams run:metrics with progress, then completes and is listed with its detail', async () => {
  const { runs, log } = manager();
  const { id } = await runs.start(shortConfig({ model_name_or_path: 'resources/demo-model' }), 'auto');
  expect(id).toMatch(/^\d{8}-\d{6}-demo-model$/);
  const done = await log.waitFor('run:changed', (s) => s.id === id && s.status !== 'running');
  expect(done.status, done.error ?? '').toBe('completed');

  const metrics = log.of('run:metrics').filter((m) => m.id === id);
  expect(metrics.map((m) => m.metrics.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const last = metrics.at(-1)!;
  expect(last.progress).toMatchObject({ step: 12, totalSteps: 12 });
  expect(last.progress.etaSeconds).toBe(0);
  expect(metrics[0]!.progress.etaSeconds).toBeGreaterThan(0);
  expect(last.progress.tokensPerSecond).toBeGreaterThan(0);
  // The evaluation before the first step, and at steps 6 and 12.
  expect(log.of('run:eval').map((e) => e.step)).toEqual([0, 6, 12]);
  expect(log.of('run:log').some((l) => /checkpoint saved/.test(l.line))).toBe(true);

  const dir = join(runs.runsDir, id);
  // Relative paths in the config are taken from the base folder; the run's own folder is its output_dir.
  const config = readFileSync(join(dir, 'config.yaml'), 'utf8');
  expect(config).toContain(`model_name_or_path: ${join(ROOT, 'resources/demo-model')}`);
  expect(config).toContain(`output_dir: ${dir}`);
  expect(existsSync(join(dir, 'adapter_model.safetensors'))).toBe(true);

  const list = await runs.list();
  expect(list).toHaveLength(1);
  expect(list[0]).toMatchObject({ id, status: 'completed', stepsDone: 12, totalSteps: 12, outputDir: dir, resumable: false, error: null, backend: expect.any(String) });
  expect(list[0]!.finalLoss).toBeGreaterThan(0);

  // What a reloaded window gets back.
  const detail = await runs.get(id);
  expect(detail.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(detail.evals.map((e) => e.step)).toEqual([0, 6, 12]);
  expect(detail.progress).toMatchObject({ step: 12, totalSteps: 12 });
  expect(detail.logs.join('\n')).toMatch(/completed after 12 steps/);
  expect(detail.config['output_dir']).toBe(dir);

  // A new manager on the same folder (the next session) sees the same run from disk.
  const later = new RunManager({ runsDir: runs.runsDir, launchEngine: () => { throw new Error('no engine needed'); }, emit: () => {}, baseDir: ROOT });
  expect((await later.list())[0]).toMatchObject({ id, status: 'completed', stepsDone: 12 });
  expect((await later.get(id)).metrics).toHaveLength(12);
});

test('an engine process killed after its first checkpoint: the run fails with the reason, keeps its checkpoint, and resumes to the end', async () => {
  const { runs, log, engines } = manager();
  const { id } = await runs.start(shortConfig({ val_size: 0, eval_steps: null }), 'auto');
  const dir = join(runs.runsDir, id);
  await log.waitFor('run:log', (l) => l.id === id && /checkpoint saved/.test(l.line));
  const engine = engines.at(-1)!;
  process.kill(engine.pid!, 'SIGKILL');

  const failed = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'failed');
  expect(failed.error).toMatch(/engine process was killed by SIGKILL/);
  expect(failed.resumable).toBe(true);
  const record = await readRunRecord(dir);
  expect(record).toMatchObject({ status: 'failed', error: expect.stringMatching(/SIGKILL/) });
  expect(record!.last_checkpoint).toMatch(/checkpoints[\\/]step-\d+$/);
  const listed = (await runs.list()).find((r) => r.id === id)!;
  expect(listed).toMatchObject({ status: 'failed', resumable: true, error: expect.stringMatching(/SIGKILL/) });
  const checkpoints = await listCheckpoints(dir);
  expect(checkpoints.length).toBeGreaterThan(0);
  const resumedFrom = checkpoints.at(-1)!.step;

  // The host is unharmed: the same manager resumes the run in a new engine process.
  await runs.resume(id, 'auto');
  const done = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'completed');
  expect(done).toMatchObject({ stepsDone: 12, error: null, resumable: false });
  expect(engines.length).toBe(2);
  expect(log.of('run:log').some((l) => l.id === id && l.line.includes(`resuming at step ${resumedFrom}`))).toBe(true);
  expect((await readMetrics(dir)).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(await readRunRecord(dir)).toMatchObject({ status: 'completed', steps_done: 12, error: null });
  expect(existsSync(join(dir, 'adapter_model.safetensors'))).toBe(true);
});
