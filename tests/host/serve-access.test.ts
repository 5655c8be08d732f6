/** Serve mode's access rules and static files, and run ids, in isolation. */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { newRunId, isRunId } from '../../src-main/runs/run-id';
import { AccessPolicy, isLoopback } from '../../src-main/serve/access-token';
import { resolveStatic } from '../../src-main/serve/static-files';
import { tempDir } from './host-fixtures';

const request = (url: string, headers: Record<string, string> = {}) => ({ url, headers }) as unknown as IncomingMessage;

test('the token is asked from the URL or the cookie (of this port); --no-token asks none', () => {
  expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopback)).toBe(true);
  expect(['0.0.0.0', '::', '192.168.1.5', 'example.com'].some(isLoopback)).toBe(false);
  const open = new AccessPolicy(null, true);
  expect(open.allows(request('/'))).toBe(true);
  expect(open.cookie()).toBeNull();

  for (const loopback of [true, false]) {
    const policy = new AccessPolicy('secret-token', loopback);
    policy.port = 8123;
    expect(policy.allows(request('/'))).toBe(false);
    expect(policy.allows(request('/?token=secret-toke'))).toBe(false);
    expect(policy.allows(request('/ws?token=secret-token'))).toBe(true);
    expect(policy.allows(request('/assets/a.js', { cookie: 'x=1; tuneboard-token-8123=secret-token' }))).toBe(true);
    expect(policy.allows(request('/assets/a.js', { cookie: 'tuneboard-token-9000=secret-token' }))).toBe(false);
    // A target that is no URL carries no token (and does not throw).
    expect(policy.allows(request('//'))).toBe(false);
    expect(policy.cookie()).toBe('tuneboard-token-8123=secret-token; Path=/; HttpOnly; SameSite=Strict');
  }
});

test('on loopback, Host must be loopback, token or not; anywhere, Origin must be the board itself', () => {
  for (const token of [null, 't']) {
    const local = new AccessPolicy(token, true);
    expect(local.sameSite(request('/', { host: '127.0.0.1:7860' }))).toBe(true);
    expect(local.sameSite(request('/', { host: 'localhost:7860', origin: 'http://localhost:7860' }))).toBe(true);
    expect(local.sameSite(request('/', { host: '[::1]:7860' }))).toBe(true);
    expect(local.sameSite(request('/', { host: 'rebind.example:7860' }))).toBe(false);
    expect(local.sameSite(request('/', { host: '127.0.0.1:7860', origin: 'http://evil.example' }))).toBe(false);
    expect(local.sameSite(request('/', { host: '127.0.0.1:7860', origin: 'null' }))).toBe(false);
  }
  const remote = new AccessPolicy('t', false);
  expect(remote.sameSite(request('/', { host: 'gpu-box:7860', origin: 'http://gpu-box:7860' }))).toBe(true);
  expect(remote.sameSite(request('/', { host: 'gpu-box:7860', origin: 'http://evil.example' }))).toBe(false);
});

test('static files never leave the board folder', async () => {
  const root = join(tempDir('tb-static-'), 'board');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<html>');
  writeFileSync(join(root, 'assets', 'a.js'), '');
  writeFileSync(join(root, '..', 'secret.txt'), 'no');
  expect(await resolveStatic(root, '/')).toBe(join(root, 'index.html'));
  expect(await resolveStatic(root, '/assets/a.js')).toBe(join(root, 'assets', 'a.js'));
  expect(await resolveStatic(root, '/assets')).toBeNull();
  for (const evil of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/%00', '/%E0%A4%A']) {
    expect(await resolveStatic(root, evil), evil).toBeNull();
  }
});

test('run ids: start time and model name, unique within the runs folder; nothing else is a run id', () => {
  const runs = tempDir('tb-ids-');
  const when = new Date(2026, 10, 22, 15, 30, 0);
  const id = newRunId(runs, '/models/Qwen2.5 0.5B-Instruct/', when);
  expect(id).toBe('20261122-153000-qwen2.5-0.5b-instruct');
  mkdirSync(join(runs, id));
  expect(newRunId(runs, '/models/Qwen2.5 0.5B-Instruct', when)).toBe(`${id}-2`);
  expect(newRunId(runs, '///', when)).toBe('20261122-153000-model');
  expect(['..', '.', 'a/b', ''].some(isRunId)).toBe(false);
  expect(isRunId(id)).toBe(true);
});
