/**
 * `tuneboard serve` as a user starts it (the built command): the board over HTTP, the protocol over
 * WebSocket at /ws. The printed URL's token is required by both, on loopback too (unless `--no-token`, which
 * warns); another site's page cannot connect. Invalid params come back as a message naming the field.
 * Malformed WebSocket frames close their own connection only: the board and a running training carry on.
 * Ctrl-C (SIGINT) shuts it down cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerFrame } from '../../src-main/protocol/board-api';
import { readRunRecord } from '../../src-main/engine/train/run-files';
import { MAX_FRAME_BYTES } from '../../src-main/serve/board-server';
import { ROOT, requireBundle, shortConfig, tempDir } from './host-fixtures';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
beforeAll(requireBundle);

interface Served {
  child: ChildProcess;
  url: URL;
  port: number;
  /** The printed URL's token ('' when there is none). */
  token: string;
  output: () => string;
}

async function serve(host: string, flags: string[] = []): Promise<Served> {
  const runsDir = join(tempDir('tb-serve-'), 'runs');
  const child = spawn(process.execPath, [join(ROOT, 'bin/tuneboard.cjs'), 'serve', '--host', host, '--port', '0', '--runs-dir', runsDir, ...flags], { cwd: ROOT });
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
  return { child, url, port: Number(url.port), token: url.searchParams.get('token') ?? '', output: () => out };
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
function statusOf(port: number, host: string, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
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

test('on 127.0.0.1 the token is required too, from the URL or the cookie; other sites are refused even with it', async () => {
  const { url, port, token } = await serve('127.0.0.1');
  expect(token).toMatch(/^[\w-]{32}$/);
  const base = `http://127.0.0.1:${port}`;
  expect((await fetch(`${base}/`)).status).toBe(401);
  expect(await connect(`ws://127.0.0.1:${port}/ws`)).toBe(401);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const cookie = page.headers.get('set-cookie')!;
  expect(cookie).toBe(`tuneboard-token-${port}=${token}; Path=/; HttpOnly; SameSite=Strict`);
  const ws = (await connect(`ws://127.0.0.1:${port}/ws`, { origin: base, cookie: cookie.split(';')[0]! })) as WebSocket;
  const list = await invoke(ws, 7, 'run:list', {});
  expect(list).toMatchObject({ kind: 'result', id: 7, ok: true, result: { runs: [] } });
  ws.close();
  // A page on another site cannot drive the board through the visitor's browser (cross-site WebSocket, DNS rebinding).
  expect(await connect(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: 'https://evil.example' })).toBe(403);
  expect(await statusOf(port, `evil.example:${port}`, `/?token=${token}`)).toBe(403);
  expect(await statusOf(port, `localhost:${port}`, `/?token=${token}`)).toBe(200);
});

test('--no-token on loopback: no token asked, a warning names the risk; other sites are still refused; never off loopback', async () => {
  const { url, port, output } = await serve('127.0.0.1', ['--no-token']);
  expect(url.search).toBe('');
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  const ws = (await connect(`ws://127.0.0.1:${port}/ws`)) as WebSocket;
  expect(await invoke(ws, 1, 'run:list', {})).toMatchObject({ ok: true, result: { runs: [] } });
  ws.close();
  expect(await connect(`ws://127.0.0.1:${port}/ws`, { origin: 'https://evil.example' })).toBe(403);
  expect(await statusOf(port, `evil.example:${port}`)).toBe(403);
  expect(output()).toMatch(/warning: --no-token: any local user or process can read and write your files through the board/);

  const child = spawn(process.execPath, [join(ROOT, 'bin/tuneboard.cjs'), 'serve', '--host', '0.0.0.0', '--port', '0', '--no-token'], { cwd: ROOT });
  children.push(child);
  let said = '';
  child.stderr!.on('data', (d) => (said += d));
  child.stdout!.on('data', (d) => (said += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).not.toBe(0);
  expect(said).toMatch(/--no-token is only allowed on a loopback host/);
  expect(said).not.toMatch(/serving the board/);
});

test('Ctrl-C while a run trains: the run stops with a checkpoint, then serve exits', async () => {
  const { child, port, token, output } = await serve('127.0.0.1');
  const ws = (await connect(`ws://127.0.0.1:${port}/ws?token=${token}`)) as WebSocket;
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

/** The frames a WebSocket server sends: unmasked, with 7-, 16- or 64-bit lengths. */
function serverFrames(bytes: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) [length, start] = [bytes.readUInt16BE(at + 2), at + 4];
    else if (length === 127) [length, start] = [Number(bytes.readBigUInt64BE(at + 2)), at + 10];
    if (start + length > bytes.length) break;
    frames.push({ opcode: bytes[at]! & 0x0f, payload: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return frames;
}

/**
 * A WebSocket opened by hand over TCP (a valid handshake with the token), then `frame` sent as is: resolves
 * with the code of the close frame the server answers with, or null when it only drops the connection.
 */
function closeCodeAfter(port: number, token: string, frame: Buffer): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let upgraded = false;
    const done = (code: number | null) => {
      socket.destroy();
      resolve(code);
    };
    socket.on('connect', () =>
      socket.write(
        `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = received.subarray(0, received.indexOf('\r\n')).toString();
        if (status !== 'HTTP/1.1 101 Switching Protocols') return reject(new Error(`the upgrade was refused: ${status}`));
        upgraded = true;
        received = received.subarray(end + 4);
        socket.write(frame);
      }
      // Events of the running training may come first: the board broadcasts to every connection.
      const close = serverFrames(received).find((f) => f.opcode === 0x8);
      if (close) done(close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null);
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}

/** A client frame: FIN set, the opcode, a length of 7, 16 or 64 bits, and a mask key (all zero: the payload goes as is). */
function clientFrame(opcode: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const head =
    declaredLength < 126
      ? Buffer.from([0x80 | opcode, 0x80 | declaredLength])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigEndian64(declaredLength)]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

test('malformed WebSocket frames close their own connection only: the board answers and a running training completes', async () => {
  const { child, port, token, output } = await serve('127.0.0.1');
  const ws = (await connect(`ws://127.0.0.1:${port}/ws?token=${token}`)) as WebSocket;
  const events: ServerFrame[] = [];
  ws.on('message', (d) => events.push(JSON.parse(String(d)) as ServerFrame));
  const runChanged = (status: string) =>
    new Promise<void>((resolve) => {
      const check = () => (events.some((f) => f.kind === 'event' && f.event === 'run:changed' && (f.payload as { status: string }).status === status) ? resolve() : setTimeout(check, 50));
      check();
    });
  const started = await invoke(ws, 1, 'run:start', { config: shortConfig({ save_steps: 100, val_size: 0, eval_steps: null }), backend: 'auto' });
  expect(started).toMatchObject({ ok: true, result: { id: expect.any(String) } });
  const id = (started as { result: { id: string } }).result.id;
  await new Promise<void>((resolve) => {
    const check = () => (events.some((f) => f.kind === 'event' && f.event === 'run:metrics') ? resolve() : setTimeout(check, 50));
    check();
  });

  const malformed: Array<[string, Buffer, number]> = [
    ['an unmasked 4-byte frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
    ['a text frame of invalid UTF-8', clientFrame(0x1, Buffer.from([0xc3, 0x28, 0xff, 0xfe])), 1007],
    ['opcode 3 (reserved)', clientFrame(0x3, Buffer.alloc(0)), 1002],
    ['a length over 2^53', clientFrame(0x2, Buffer.alloc(0), 2 ** 53), 1009],
    ['a frame over maxPayload', clientFrame(0x2, Buffer.alloc(0), MAX_FRAME_BYTES + 1), 1009],
  ];
  for (const [what, frame, code] of malformed) {
    expect(await closeCodeAfter(port, token, frame), what).toBe(code);
    const page = await fetch(`http://127.0.0.1:${port}/?token=${token}`).catch((err: Error) => err);
    expect(page instanceof Response ? page.status : `${page.message}, serve exited with ${child.exitCode}:\n${output()}`, what).toBe(200);
  }
  // Each was logged, and nothing else went wrong.
  expect(output().match(/closed a WebSocket connection from 127\.0\.0\.1:\d+: /g)).toHaveLength(malformed.length);

  // The board still answers: a new WebSocket, and the first connection, which was never touched.
  const again = (await connect(`ws://127.0.0.1:${port}/ws?token=${token}`)) as WebSocket;
  expect(await invoke(again, 2, 'run:list', {})).toMatchObject({ ok: true, result: { runs: [{ id }] } });
  again.close();
  await runChanged('completed');
  expect(await invoke(ws, 3, 'run:get', { id })).toMatchObject({ ok: true, result: { summary: { id, status: 'completed', stepsDone: 12 } } });
  ws.close();
});

/** Sends `request` as is over TCP; resolves with the status code of the answer, or null when the connection ends without one. */
function rawStatus(port: number, request: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
  });
}

test('request targets that are no URL get 400, token or not, on HTTP and WebSocket; the board stays up', async () => {
  const { child, port, token, output } = await serve('127.0.0.1');
  const upgrade = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n`;
  for (const target of ['//', 'http://[:::1]/ws']) {
    for (const [what, extra] of [['HTTP', ''], ['WebSocket', upgrade]] as const) {
      expect(await rawStatus(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`), `${what} ${target}`).toBe(400);
      const page = await fetch(`http://127.0.0.1:${port}/?token=${token}`).catch((err: Error) => err);
      expect(page instanceof Response ? page.status : `${page.message}, serve exited with ${child.exitCode}:\n${output()}`, `after ${what} ${target}`).toBe(200);
    }
  }
});
