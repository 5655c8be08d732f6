/**
 * The Electron side without Electron (its binary is not installed here): a stand-in `electron` module
 * records what the preload exposes and what the main process registers. The preload exposes exactly
 * BoardClient; every command has an IPC handler that goes through the real CommandRouter and refuses
 * other senders; events reach the window; the window's contents cannot navigate or open windows and
 * every response carries the CSP.
 */
import { beforeEach, expect, test, vi } from 'vitest';
import { commandParams } from '../../src-main/protocol/board-api';
import { EVENT_CHANNEL, invokeChannel } from '../../src-main/protocol/ipc-channels';

const electron = vi.hoisted(() => ({
  exposed: new Map<string, any>(),
  rendererListeners: new Map<string, (...args: any[]) => void>(),
  invoke: vi.fn(),
  handlers: new Map<string, (event: any, params: unknown) => unknown>(),
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api) },
  ipcRenderer: { invoke: electron.invoke, on: (channel: string, listener: (...args: any[]) => void) => electron.rendererListeners.set(channel, listener) },
  ipcMain: { handle: (channel: string, handler: (event: any, params: unknown) => unknown) => electron.handlers.set(channel, handler) },
}));

beforeEach(() => electron.invoke.mockReset());

test('the preload exposes exactly invoke and on, unwrapping results and errors', async () => {
  await import('../../src-main/preload/index');
  expect([...electron.exposed.keys()]).toEqual(['tuneboard']);
  const client = electron.exposed.get('tuneboard');
  expect(Object.keys(client).sort()).toEqual(['invoke', 'on']);

  electron.invoke.mockResolvedValueOnce({ ok: true, result: { runs: [] } });
  await expect(client.invoke('run:list', {})).resolves.toEqual({ runs: [] });
  expect(electron.invoke).toHaveBeenCalledWith(invokeChannel('run:list'), {});
  electron.invoke.mockResolvedValueOnce({ ok: false, error: { message: 'run:get: id: is not a run id' } });
  await expect(client.invoke('run:get', { id: '..' })).rejects.toThrow('run:get: id: is not a run id');
  electron.invoke.mockRejectedValueOnce(new Error("Error invoking remote method 'tuneboard:invoke:x:y': No handler registered"));
  await expect(client.invoke('x:y', {})).rejects.toThrow('unknown command "x:y"');

  const seen: unknown[] = [];
  const off = client.on('run:log', (p: unknown) => seen.push(p));
  const deliver = electron.rendererListeners.get(EVENT_CHANNEL)!;
  deliver({}, 'run:log', { id: 'a', line: 'one' });
  deliver({}, 'run:eval', { id: 'a', step: 1, evalLoss: 2 });
  off();
  deliver({}, 'run:log', { id: 'a', line: 'two' });
  expect(seen).toEqual([{ id: 'a', line: 'one' }]);
});

test("the main process handles every command through the router, only from the board's main frame showing its page", async () => {
  const { handleCommands, windowEvents } = await import('../../src-main/app/ipc-bridge');
  const calls: Array<[string, unknown]> = [];
  const router = { handle: async (command: string, params: unknown) => (calls.push([command, params]), { ok: true, result: command }) };
  const page = 'file:///opt/TuneBoard/resources/app.asar/out/renderer/index.html';
  const mainFrame = { url: `${page}#params`, parent: null };
  const board = { id: 1, mainFrame };
  handleCommands(router as never, { webContents: () => board as never, pageUrl: page });
  expect([...electron.handlers.keys()].sort()).toEqual(Object.keys(commandParams).map(invokeChannel).sort());
  await expect(electron.handlers.get(invokeChannel('app:info'))!({ sender: board, senderFrame: mainFrame }, {})).resolves.toEqual({ ok: true, result: 'app:info' });
  expect(calls).toEqual([['app:info', {}]]);

  const refused = { ok: false, error: { message: 'only the board may send commands' } };
  const senders: Record<string, unknown> = {
    'another web contents': { sender: { id: 2, mainFrame }, senderFrame: mainFrame },
    'a frame inside the board': { sender: board, senderFrame: { url: page, parent: mainFrame } },
    'the main frame, navigated elsewhere': { sender: board, senderFrame: { url: 'https://evil.example/', parent: null } },
    'the main frame, on another file': { sender: board, senderFrame: { url: 'file:///tmp/other.html', parent: null } },
    'a frame already gone': { sender: board, senderFrame: null },
  };
  for (const [who, event] of Object.entries(senders)) expect(await electron.handlers.get(invokeChannel('run:list'))!(event, {}), who).toEqual(refused);
  expect(calls).toHaveLength(1);

  const sent: unknown[][] = [];
  const window = { isDestroyed: () => false, webContents: { send: (...args: unknown[]) => sent.push(args) } };
  windowEvents(() => window as never)('run:deleted', { id: 'x' });
  windowEvents(() => null)('run:deleted', { id: 'y' });
  expect(sent).toEqual([[EVENT_CHANNEL, 'run:deleted', { id: 'x' }]]);
});

test('web contents cannot navigate, open windows or get permissions; responses carry the CSP', async () => {
  const { applyContentSecurityPolicy, lockDown } = await import('../../src-main/app/web-security');
  const on = new Map<string, (event: { preventDefault: () => void }) => void>();
  let openHandler: (() => unknown) | null = null;
  lockDown({ on: (name: string, l: never) => on.set(name, l), setWindowOpenHandler: (h: () => unknown) => (openHandler = h) } as never);
  for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    const event = { preventDefault: vi.fn() };
    on.get(name)!(event);
    expect(event.preventDefault, name).toHaveBeenCalled();
  }
  expect(openHandler!()).toEqual({ action: 'deny' });

  let onHeaders: ((details: unknown, callback: (r: unknown) => void) => void) | null = null;
  let permission: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
  applyContentSecurityPolicy({ webRequest: { onHeadersReceived: (l: never) => (onHeaders = l) }, setPermissionRequestHandler: (h: never) => (permission = h), setPermissionCheckHandler: () => {} } as never);
  const headers = await new Promise<any>((resolve) => onHeaders!({ responseHeaders: { 'X-Other': ['1'] } }, resolve));
  expect(headers.responseHeaders['X-Other']).toEqual(['1']);
  expect(headers.responseHeaders['Content-Security-Policy'][0]).toMatch(/default-src 'self'; script-src 'self'.*connect-src 'self';.*object-src 'none'/);
  const granted = await new Promise((resolve) => permission!({}, 'media', resolve));
  expect(granted).toBe(false);
});
