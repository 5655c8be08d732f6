/** Runs the built `tuneboard` command (bin/tuneboard.cjs → out/engine/tuneboard.mjs) as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'bin/tuneboard.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; onStderr?: (chunk: string, child: ChildProcess) => void } = {}): Promise<CliResult> {
  if (!existsSync(resolve(ROOT, 'out/engine/tuneboard.mjs'))) throw new Error('the engine bundle is missing: run `npm run build` (npm test does)');
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(String(d), child);
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export function json<T = any>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
