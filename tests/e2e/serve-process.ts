/**
 * `tuneboard serve` as a user starts it: the built command as a child process, on a free port, with runs
 * and exports in a temporary folder, the real engine behind it. `url` is the address it printed, access
 * token included: the page opened there keeps the token in a cookie and its WebSocket sends it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../cli/run-cli';

export interface ServedBoard {
  /** The printed address, with its `?token=`. */
  readonly url: string;
  /** A temporary folder for this board: runs/ and exports/ live in it, tests may write files there. */
  readonly dir: string;
  readonly runsDir: string;
  readonly exportsDir: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startServe(): Promise<ServedBoard> {
  for (const built of ['out/engine/tuneboard.mjs', 'out/renderer/index.html']) {
    if (!existsSync(resolve(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tuneboard-e2e-'));
  const runsDir = join(dir, 'runs');
  const exportsDir = join(dir, 'exports');
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/tuneboard.cjs'), 'serve', '--port', String(port), '--runs-dir', runsDir, '--exports-dir', exportsDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`tuneboard serve did not start in 30 s:\n${output}`)), 30_000);
    child.stdout!.on('data', () => {
      const m = /serving the board at (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        done(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`tuneboard serve exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    dir,
    runsDir,
    exportsDir,
    output: () => output,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM lets serve stop a training with a checkpoint and end its engine processes; SIGKILL after 20 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
