/**
 * The board's evaluation and chat comparison through the command router, with real engine processes: a run's
 * base model, checkpoints and final adapter scored on its held-out examples, and two chat answers (base model,
 * then the run's adapter) from one loaded base model with one seed.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { CommandName, CommandParams, CommandResults } from '../../src-main/protocol/board-api';
import { CommandRouter } from '../../src-main/runs/command-router';
import { websocketServices } from '../../src-main/runs/host-services';
import { RunManager } from '../../src-main/runs/run-manager';
import { EventLog } from './event-log';
import { DEMO_DATASET, DEMO_MODEL, ROOT, recordingLauncher, requireBundle, shortConfig, tempDir } from './host-fixtures';

const root = tempDir('tb-evaluate-');
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

test('eval:start scores the base model, each checkpoint and the final adapter on the held-out examples', async () => {
  const { id } = await ok('run:start', { config: shortConfig({ cutoff_len: 96, max_steps: 6, save_steps: 3 }), backend: 'wasm' });
  await log.waitFor('run:changed', (s) => s.id === id && s.status === 'completed');
  const result = await ok('eval:start', { id, maxNewTokens: 12, temperature: 0, topP: 1, backend: 'wasm' });
  expect(result.targets.map((t) => t.name)).toEqual(['base', 'step-3', 'final']);
  for (const t of result.targets) expect(t).toMatchObject({ samples: 4, partial: false });
  expect(result.examples).toHaveLength(4);
  expect(Object.keys(result.examples[0]!.predictions)).toEqual(['base', 'step-3', 'final']);
  expect(result.out.startsWith(join(paths.runsDir, id, 'predict-'))).toBe(true);
  const progress = log.of('eval:progress');
  expect(progress.at(-1)).toMatchObject({ done: 12, total: 12 });
});

test('chat compare: the base model and the run adapter answer in turn on one loaded base, the same seed reproducing each', async () => {
  const run = (await ok('run:list', {})).runs[0]!;
  const ask = (adapter: string | null) => ok('chat:send', { model: DEMO_MODEL, adapter, messages: [{ role: 'user', content: 'Name a colour.' }], maxNewTokens: 16, temperature: 0.8, topP: 0.9, seed: 11, backend: 'wasm' });
  const base = await ask(null);
  const tuned = await ask(run.outputDir);
  expect(await ask(null)).toMatchObject({ text: base.text });
  expect(await ask(run.outputDir)).toMatchObject({ text: tuned.text });
  expect(tuned.text).not.toBe(base.text);
  // Chat ran in the one interactive engine process; trainings and evaluations had their own, now gone.
  expect(engines.filter((e) => e.alive).length).toBe(1);
});
