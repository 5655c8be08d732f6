/**
 * The command router as both transports use it, with real engine processes: stop then resume a run,
 * parameters refused with the field named, one training at a time, inspection, chat and export through
 * the interactive / per-job engine processes, and the file browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { CommandName, CommandParams, CommandResults, RunSummary } from '../../src-main/protocol/board-api';
import { CommandRouter, type CommandOutcome } from '../../src-main/runs/command-router';
import { websocketServices } from '../../src-main/runs/host-services';
import { RunManager } from '../../src-main/runs/run-manager';
import { EventLog } from './event-log';
import { DEMO_DATASET, DEMO_MODEL, ROOT, recordingLauncher, requireBundle, shortConfig, tempDir } from './host-fixtures';

const root = tempDir('tb-router-');
const log = new EventLog();
const { launch, engines } = recordingLauncher();
const paths = { runsDir: join(root, 'runs'), exportsDir: join(root, 'exports'), baseDir: ROOT, demoModel: DEMO_MODEL, demoDataset: DEMO_DATASET };
const runs = new RunManager({ runsDir: paths.runsDir, launchEngine: launch, emit: log.sink, baseDir: ROOT });
const router = new CommandRouter({ runs, launchEngine: launch, emit: log.sink, paths, services: websocketServices });

beforeAll(requireBundle);
afterAll(() => router.close());

async function ok<C extends CommandName>(command: C, params: CommandParams<C>): Promise<CommandResults[C]> {
  const outcome = await router.handle(command, params);
  if (!outcome.ok) throw new Error(`${command} failed: ${outcome.error.message}`);
  return outcome.result as CommandResults[C];
}

async function refused(command: string, params: unknown): Promise<string> {
  const outcome: CommandOutcome = await router.handle(command, params);
  expect(outcome.ok).toBe(false);
  const { message } = (outcome as Extract<CommandOutcome, { ok: false }>).error;
  expect(message).not.toMatch(/\n\s+at /); // never a stack trace
  return message;
}

let completed: RunSummary;

test('stop then resume through the router: stopped with a checkpoint, then completed', async () => {
  const { id } = await ok('run:start', { config: shortConfig({ save_steps: 100, val_size: 0, eval_steps: null }), backend: 'auto' });
  await log.waitFor('run:metrics', (m) => m.id === id && m.metrics.step >= 2);
  // One training at a time, said plainly.
  expect(await refused('run:start', { config: shortConfig(), backend: 'auto' })).toMatch(new RegExp(`run ${id} is training: TuneBoard trains one run at a time`));
  expect(await ok('run:stop', { id })).toEqual({ ok: true });
  const stopped = await log.waitFor('run:changed', (s) => s.id === id && s.status !== 'running');
  expect(stopped).toMatchObject({ status: 'stopped', resumable: true, error: null });
  expect(stopped.stepsDone).toBeGreaterThanOrEqual(2);
  expect(stopped.stepsDone).toBeLessThan(12);
  const detail = await ok('run:get', { id });
  expect(detail.summary.status).toBe('stopped');
  expect(detail.logs.join('\n')).toMatch(new RegExp(`checkpoint saved to .*step-${stopped.stepsDone}`));

  expect(await ok('run:resume', { id, backend: 'auto' })).toEqual({ id });
  completed = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'completed');
  expect(completed.stepsDone).toBe(12);
  expect(log.of('run:log').some((l) => l.id === id && l.line.includes(`resuming at step ${stopped.stepsDone}`))).toBe(true);
  expect(await refused('run:resume', { id, backend: 'auto' })).toMatch(/already completed/);
  expect(await refused('run:stop', { id })).toMatch(/is not running/);
  expect((await ok('run:get', { id })).metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

test('invalid parameters are refused with the field named, before anything runs', async () => {
  expect(await refused('chat:send', { model: DEMO_MODEL, messages: [], maxNewTokens: 10, temperature: 0, topP: 1, backend: 'auto' })).toMatch(/^chat:send: messages: /);
  expect(await refused('run:start', { config: {}, backend: 'gpu' })).toMatch(/^run:start: backend: /);
  expect(await refused('run:get', { id: '../etc' })).toMatch(/^run:get: id: is not a run id/);
  expect(await refused('export:start', { model: 'm', adapter: 'a', out: 'o', kind: 'merged', dtype: 'fp8', maxShardSize: '1GB', overwrite: false, backend: 'auto' })).toMatch(/export:start: dtype: /);
  expect(await refused('no:such', {})).toMatch(/unknown command "no:such"/);
  // The config is checked by the training schema, each problem naming its key.
  expect(await refused('run:start', { config: shortConfig({ lora_rank: 0, learning_rat: 1 }), backend: 'auto' })).toMatch(/config: learning_rat: unknown key \(did you mean learning_rate\?\)/);
  expect(await refused('run:start', { config: shortConfig({ lora_rank: 0 }), backend: 'auto' })).toMatch(/config: lora_rank: /);
  expect(await refused('run:start', { config: shortConfig({ model_name_or_path: join(root, 'nothing') }), backend: 'auto' })).toMatch(/config: model_name_or_path: .*nothing does not exist/);
  expect(await refused('run:start', { config: shortConfig({ dataset: 'missing.json' }), backend: 'auto' })).toMatch(/config: dataset: dataset file .*missing.json does not exist/);
  expect(await refused('run:get', { id: 'never-was' })).toMatch(/there is no run never-was/);
});

test('inspection, chat and export run in engine processes and stream their events', async () => {
  const info = await ok('model:inspect', { dir: 'resources/demo-model' });
  expect(info).toMatchObject({ architecture: 'LlamaForCausalLM', layers: 4, hiddenSize: 192, chatTemplate: true });
  const preview = await ok('dataset:inspect', { model: DEMO_MODEL, dataset: DEMO_DATASET, datasetDir: null, cutoffLen: 64 });
  expect(preview.usableRows).toBeGreaterThan(0);
  expect(preview.examples.length).toBeGreaterThan(0);
  const registry = join(root, 'data');
  mkdirSync(registry);
  writeFileSync(join(registry, 'dataset_info.json'), JSON.stringify({ demo: { file_name: DEMO_DATASET }, other: { file_name: 'x.json' } }));
  expect(await ok('dataset:keys', { dir: registry })).toEqual({ keys: ['demo', 'other'] });
  expect(await refused('dataset:keys', { dir: root })).toMatch(/has no dataset_info.json/);
  expect(await refused('model:inspect', { dir: root })).toMatch(/config\.json/);
  const probe = await ok('backend:probe', { backend: 'cpu' });
  expect(probe.name).toBe('cpu');

  // Chat with the adapter of the run above: tokens stream as chat:token events and add up to the reply.
  const adapter = completed.outputDir;
  const reply = await ok('chat:send', { model: DEMO_MODEL, adapter, messages: [{ role: 'user', content: 'Name a colour.' }], maxNewTokens: 12, temperature: 0, topP: 1, backend: 'auto' });
  expect(reply.tokens).toBeGreaterThan(0);
  const streamed = log.of('chat:token').map((t) => t.text).join('');
  expect(reply.text.startsWith(streamed)).toBe(true);
  expect(streamed.length).toBeGreaterThan(0);

  // Merged export into the exports folder (a bare name), with progress events.
  const result = await ok('export:start', { model: DEMO_MODEL, adapter, out: 'merged-demo', kind: 'merged', dtype: 'auto', maxShardSize: '5GB', overwrite: false, backend: 'auto' });
  expect(result.out).toBe(join(paths.exportsDir, 'merged-demo'));
  expect(result.verification?.ok).toBe(true);
  const progress = log.of('export:progress');
  expect(progress.at(-1)).toMatchObject({ tensorsDone: progress.at(-1)!.tensorsTotal });
  expect(await refused('export:start', { model: DEMO_MODEL, adapter, out: 'merged-demo', kind: 'merged', dtype: 'auto', maxShardSize: '5GB', overwrite: false, backend: 'auto' })).toMatch(/already exists/);
  expect(await refused('export:start', { model: DEMO_MODEL, adapter, out: 'x', kind: 'merged', dtype: 'auto', maxShardSize: 'lots', overwrite: false, backend: 'auto' })).toMatch(/"lots" is not a size/);
  // The interactive process is one, reused; trainings, exports and probes had their own.
  expect(engines.filter((e) => e.alive).length).toBeLessThanOrEqual(1);
});

test('chat:cancel stops a long reply within moments, keeping what was written', async () => {
  const before = log.of('chat:token').length;
  const started = performance.now();
  const pending = router.handle('chat:send', { model: DEMO_MODEL, messages: [{ role: 'user', content: 'Tell me a long story.' }], maxNewTokens: 4000, temperature: 1, topP: 0.95, backend: 'wasm' });
  // Cancel once a few tokens have streamed.
  while (log.of('chat:token').length < before + 3) await new Promise((r) => setTimeout(r, 20));
  await ok('chat:cancel', {});
  const outcome = await pending;
  expect(performance.now() - started).toBeLessThan(15_000);
  expect(outcome.ok).toBe(true);
  const reply = (outcome as Extract<CommandOutcome, { ok: true }>).result as CommandResults['chat:send'];
  expect(reply.tokens).toBeGreaterThanOrEqual(3);
  expect(reply.tokens).toBeLessThan(4000);
});

test('a crashed interactive engine fails its job with the reason, and the next job starts a new one', async () => {
  const inspect = () => ok('model:inspect', { dir: DEMO_MODEL });
  await inspect();
  const interactive = engines.filter((e) => e.alive);
  expect(interactive).toHaveLength(1);
  const pending = router.handle('chat:send', { model: DEMO_MODEL, messages: [{ role: 'user', content: 'Hello' }], maxNewTokens: 4000, temperature: 1, topP: 0.9, backend: 'auto' });
  // Killed while the reply is being prepared: nothing the engine does can answer it any more.
  process.kill(interactive[0]!.pid!, 'SIGKILL');
  const outcome = await pending;
  expect(outcome).toMatchObject({ ok: false, error: { message: expect.stringMatching(/engine process was killed by SIGKILL/) } });
  expect((await inspect()).layers).toBe(4);
});

test('the file browser lists folders first with hints; app:info names the folders and the demo', async () => {
  const listing = await ok('fs:list', { dir: 'resources' });
  expect(listing.dir).toBe(join(ROOT, 'resources'));
  expect(listing.parent).toBe(ROOT);
  expect(listing.entries.map((e) => [e.name, e.kind, e.hint])).toEqual([
    ['datasets', 'folder', null],
    ['demo-model', 'folder', 'model'],
  ]);
  const datasets = await ok('fs:list', { dir: join(ROOT, 'resources/datasets') });
  expect(datasets.entries.find((e) => e.name === 'sample_alpaca.json')).toMatchObject({ kind: 'file', hint: 'dataset-file' });
  expect((await ok('fs:list', { dir: root })).entries.find((e) => e.name === 'data')).toMatchObject({ kind: 'folder', hint: 'dataset-registry' });
  expect(await refused('fs:list', { dir: join(root, 'nope') })).toMatch(/does not exist/);

  const info = await ok('app:info', {});
  expect(info).toMatchObject({ transport: 'websocket', runsDir: paths.runsDir, exportsDir: paths.exportsDir, nativeDialogs: false, demo: { model: DEMO_MODEL, dataset: DEMO_DATASET } });
  expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  expect(await ok('dialog:pick', { kind: 'folder', title: 'Model' })).toEqual({ available: false, path: null });
});

test('run:delete removes a finished run folder and says so', async () => {
  const { id } = completed;
  expect(await ok('run:delete', { id })).toEqual({ ok: true });
  expect(log.of('run:deleted')).toContainEqual({ id });
  expect((await ok('run:list', {})).runs.some((r) => r.id === id)).toBe(false);
  expect(await refused('run:delete', { id })).toMatch(/there is no run/);
});
