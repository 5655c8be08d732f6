/**
 * `tuneboard serve` as a user starts it (the built command): the board over HTTP, the protocol over
 * WebSocket at /ws. On a non-loopback host the printed URL's token is required by both; on loopback no
 * token is needed but another site's page cannot connect. Invalid params come back as a message naming
 * the field. Ctrl-C (SIGINT) shuts it down cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerFrame } from '../../src-main/protocol/board-api';
import { readRunRecord } from '../../src-main/engine/train/run-files';
import { ROOT, requireBundle, shortConfig, tempDir } from './host-fixtures';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
beforeAll(requireBundle);

async function serve(host: string): Promise<{ child: ChildProcess; url: URL; port: number; output: () => string }> {
  const runsDir = join(tempDir('tb-serve-'), 'runs');
  const child = spawn(process.execPath, [join(ROOT, 'bin/tuneboard.cjs'), 'serve', '--host', host, '--port', '0', '--runs-dir', runsDir], { cwd: ROOT });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving the board at (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  const url = new URL(line);
  return { child, url, port: Number(url.port), output: () => out };
}

/** Opens the WebSocket; resolves with it, or with the HTTP status it was refused with. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

/** A GET with a chosen Host header (fetch does not let one set it). */
function statusOf(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

function invoke(ws: WebSocket, id: number, command: string, params: unknown): Promise<ServerFrame> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(String(data)) as ServerFrame;
      if (frame.kind === 'result' && frame.id === id) {
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'invoke', id, command, params }));
  });
}

test('on 0.0.0.0 the token is required on HTTP and WebSocket; with it the board and app:info work', async () => {
  const { url, port, child } = await serve('0.0.0.0');
  const token = url.searchParams.get('token')!;
  expect(token).toMatch(/^[\w-]{32}$/);
  const base = `http://127.0.0.1:${port}`;

  expect((await fetch(`${base}/`)).status).toBe(401);
  expect((await fetch(`${base}/?token=wrong${token.slice(5)}`)).status).toBe(401);
  const page = await fetch(`${base}/?token=${token}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<div id="app">');
  expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  // The page's assets load with the cookie the page set.
  const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
  expect(cookie).toBe(`tuneboard-token-${port}=${token}`);
  const script = /src="([^"]+\.js)"/.exec(html)![1]!;
  expect((await fetch(`${base}${script.replace(/^\./, '')}`)).status).toBe(401);
  expect((await fetch(`${base}${script.replace(/^\./, '')}`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${base}/../../package.json?token=${token}`)).status).toBe(404);

  expect(await connect(`ws://127.0.0.1:${port}/ws`)).toBe(401);
  expect(await connect(`ws://127.0.0.1:${port}/ws?token=nope`)).toBe(401);
  const ws = await connect(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`);
  expect(ws).toBeInstanceOf(WebSocket);
  const socket = ws as WebSocket;
  const info = await invoke(socket, 1, 'app:info', {});
  expect(info).toMatchObject({ kind: 'result', id: 1, ok: true, result: { transport: 'websocket', nativeDialogs: false, runsDir: expect.stringMatching(/runs$/) } });
  expect((info as { result: { demo: { model: string } } }).result.demo.model).toBe(join(ROOT, 'resources/demo-model'));

  // Invalid params: a message naming the field, never a stack trace.
  const bad = await invoke(socket, 2, 'model:inspect', { dir: 42 });
  expect(bad).toMatchObject({ kind: 'result', id: 2, ok: false, error: { message: expect.stringMatching(/^model:inspect: dir: /) } });
  expect(JSON.stringify(bad)).not.toMatch(/\bat .*\.(m?js|ts):\d+/);
  const malformed = await new Promise<ServerFrame>((resolve) => {
    socket.once('message', (d) => resolve(JSON.parse(String(d))));
    socket.send('not json');
  });
  expect(malformed).toMatchObject({ kind: 'result', ok: false, error: { message: expect.stringMatching(/malformed frame/) } });
  socket.close();

  // Ctrl-C: a clean exit.
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
});

test('on 127.0.0.1 no token is needed, but requests from another site are refused', async () => {
  const { url, port } = await serve('127.0.0.1');
  expect(url.search).toBe('');
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  const ws = (await connect(`ws://127.0.0.1:${port}/ws`, { origin: `http://127.0.0.1:${port}` })) as WebSocket;
  const list = await invoke(ws, 7, 'run:list', {});
  expect(list).toMatchObject({ kind: 'result', id: 7, ok: true, result: { runs: [] } });
  ws.close();
  // A page on another site cannot drive the board through the visitor's browser (cross-site WebSocket, DNS rebinding).
  expect(await connect(`ws://127.0.0.1:${port}/ws`, { origin: 'https://evil.example' })).toBe(403);
  expect(await statusOf(port, `evil.example:${port}`)).toBe(403);
  expect(await statusOf(port, `localhost:${port}`)).toBe(200);
});

test('Ctrl-C while a run trains: the run stops with a checkpoint, then serve exits', async () => {
  const { child, port, output } = await serve('127.0.0.1');
  const ws = (await connect(`ws://127.0.0.1:${port}/ws`)) as WebSocket;
  const firstMetrics = new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      const frame = JSON.parse(String(d)) as ServerFrame;
      if (frame.kind === 'event' && frame.event === 'run:metrics') resolve();
    });
  });
  const started = await invoke(ws, 1, 'run:start', { config: shortConfig({ save_steps: 100, max_steps: 200, val_size: 0, eval_steps: null }), backend: 'auto' });
  expect(started).toMatchObject({ ok: true, result: { id: expect.any(String) } });
  const id = (started as { result: { id: string } }).result.id;
  await firstMetrics;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(output()).toMatch(new RegExp(`stopping run ${id} after its current step`));
  const runsDir = /runs: (\S+)/.exec(output())![1]!;
  const record = await readRunRecord(join(runsDir, id));
  expect(record).toMatchObject({ status: 'stopped', error: null });
  expect(record!.last_checkpoint).toBe(join(runsDir, id, 'checkpoints', `step-${record!.steps_done}`));
  expect(existsSync(record!.last_checkpoint!)).toBe(true);
});
