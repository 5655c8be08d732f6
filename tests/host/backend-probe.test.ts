/**
 * backend:probe through the command router, with real engine processes: one engine process probes at a
 * time and concurrent asks share its answer, so eight requests start one process, not eight; an answer is
 * reused only while fresh.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BackendProber } from '../../src-main/runs/backend-prober';
import type { EngineHost, EngineLauncher } from '../../src-main/runs/engine-host';
import { CommandRouter, type CommandOutcome } from '../../src-main/runs/command-router';
import { websocketServices } from '../../src-main/runs/host-services';
import { RunManager } from '../../src-main/runs/run-manager';
import { DEMO_DATASET, DEMO_MODEL, ROOT, recordingLauncher, requireBundle, tempDir } from './host-fixtures';

/** The recording launcher, also noting how many engine processes were alive at each launch. */
function countingLauncher(): { launch: EngineLauncher; engines: EngineHost[]; aliveAtLaunch: number[] } {
  const recording = recordingLauncher();
  const aliveAtLaunch: number[] = [];
  return {
    engines: recording.engines,
    aliveAtLaunch,
    launch: () => {
      aliveAtLaunch.push(recording.engines.filter((e) => e.alive).length);
      return recording.launch();
    },
  };
}

const root = tempDir('tb-probe-');
const { launch, engines, aliveAtLaunch } = countingLauncher();
const paths = { runsDir: join(root, 'runs'), exportsDir: join(root, 'exports'), baseDir: ROOT, demoModel: DEMO_MODEL, demoDataset: DEMO_DATASET };
const runs = new RunManager({ runsDir: paths.runsDir, launchEngine: launch, emit: () => {}, baseDir: ROOT });
const router = new CommandRouter({ runs, launchEngine: launch, emit: () => {}, paths, services: websocketServices });

beforeAll(requireBundle);
afterAll(() => router.close());

const probe = (backend: string): Promise<CommandOutcome> => router.handle('backend:probe', { backend });

test('8 concurrent probes: one engine process, 8 equal answers', async () => {
  const outcomes = await Promise.all(Array.from({ length: 8 }, () => probe('auto')));
  expect(engines).toHaveLength(1);
  expect(outcomes[0]).toMatchObject({ ok: true, result: { name: expect.any(String), device: expect.any(String) } });
  for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
});

test('probes of different backends take turns: never two probing engine processes at once', async () => {
  const before = engines.length;
  const outcomes = await Promise.all(['cpu', 'wasm', 'cpu', 'wasm', 'cpu'].map(probe));
  expect(outcomes.map((o) => o.ok && (o.result as { name: string }).name)).toEqual(['cpu', 'wasm', 'cpu', 'wasm', 'cpu']);
  expect(engines.length - before).toBe(2);
  expect(aliveAtLaunch).toEqual(aliveAtLaunch.map(() => 0));
});

test('an answer is reused while fresh, then probed again', async () => {
  const counted = countingLauncher();
  const prober = new BackendProber(counted.launch, 1_000);
  const first = await prober.probe('cpu');
  expect(await prober.probe('cpu')).toBe(first);
  expect(counted.engines).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect(await prober.probe('cpu')).toEqual(first);
  expect(counted.engines).toHaveLength(2);
  await Promise.all(counted.engines.map((e) => e.exited));
});
