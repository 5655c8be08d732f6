/**
 * The board's exports stay in the exports folder: a path elsewhere (absolute, or `..`) is refused, unless the
 * user chose that folder in the native dialog (the desktop app); serve mode has no dialog, so no way out.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { CommandName } from '../../src-main/protocol/board-api';
import { CommandRouter, type CommandOutcome } from '../../src-main/runs/command-router';
import { websocketServices, type HostServices } from '../../src-main/runs/host-services';
import { RunManager } from '../../src-main/runs/run-manager';
import { fixturePath } from '../fixtures';
import { EventLog } from './event-log';
import { DEMO_DATASET, DEMO_MODEL, ROOT, recordingLauncher, requireBundle, tempDir } from './host-fixtures';

const root = tempDir('tb-confine-');
const chosen = join(root, 'chosen-in-dialog');
mkdirSync(chosen);
const paths = { runsDir: join(root, 'runs'), exportsDir: join(root, 'exports'), baseDir: ROOT, demoModel: DEMO_MODEL, demoDataset: DEMO_DATASET };
const log = new EventLog();
const { launch } = recordingLauncher();
const routerWith = (services: HostServices) => new CommandRouter({ runs: new RunManager({ runsDir: paths.runsDir, launchEngine: launch, emit: log.sink, baseDir: ROOT }), launchEngine: launch, emit: log.sink, paths, services });
const desktop = routerWith({ transport: 'ipc', nativeDialogs: true, pick: async () => ({ available: true, path: chosen }), show: async () => ({ ok: false }) });
const browser = routerWith(websocketServices);

beforeAll(requireBundle);
afterAll(() => Promise.all([desktop.close(), browser.close()]));

const exportTo = (router: CommandRouter, out: string): Promise<CommandOutcome> =>
  router.handle('export:start' as CommandName, { model: fixturePath('tiny-llama', 'model'), adapter: fixturePath('tiny-llama', 'adapter_random'), out, kind: 'adapter', dtype: 'auto', maxShardSize: '5GB', overwrite: false, backend: 'wasm' });
const messageOf = (o: CommandOutcome) => (o.ok ? null : o.error.message);

test('absolute and .. paths outside the exports folder are refused before any work', async () => {
  for (const out of [join(root, 'elsewhere'), '../escaped', '/tmp']) {
    expect(messageOf(await exportTo(browser, out))).toMatch(/export:start: out: .* is outside the exports folder/);
  }
  expect(existsSync(join(root, 'elsewhere'))).toBe(false);
  expect(existsSync(join(root, 'escaped'))).toBe(false);
});

test('a folder chosen in the native dialog may be exported to; in serve mode it may not', async () => {
  expect(messageOf(await exportTo(desktop, chosen))).toMatch(/outside the exports folder/);
  expect(await desktop.handle('dialog:pick', { kind: 'folder', title: 'Export to' })).toEqual({ ok: true, result: { available: true, path: chosen } });
  expect(await exportTo(desktop, chosen)).toMatchObject({ ok: true, result: { out: chosen, kind: 'adapter' } });
  expect(messageOf(await exportTo(browser, chosen))).toMatch(/outside the exports folder/);
  // A bare name lands in the exports folder.
  expect(await exportTo(browser, 'adapter-copy')).toMatchObject({ ok: true, result: { out: join(paths.exportsDir, 'adapter-copy') } });
});
