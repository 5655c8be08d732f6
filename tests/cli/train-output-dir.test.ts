/** Where a run cannot be written, `tuneboard train` says so at once, naming output_dir and what to do. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from './run-cli';

const train = (outputDir: string) => runCli(['train', 'examples/demo.yaml', `output_dir=${outputDir}`, 'max_steps=1', '--backend', 'wasm']);

test('a system folder is refused before any work (it used to spin at 100% CPU)', async () => {
  const t0 = performance.now();
  const r = await train('/proc/tuneboard-run');
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('error: output_dir: /proc/tuneboard-run is inside /proc, a system folder, not a place for files');
  expect(performance.now() - t0).toBeLessThan(20_000);
});

test('a path through a file names output_dir and the reason, not ENOTDIR', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-outdir-')), 'a-file');
  writeFileSync(file, 'x');
  const r = await train(join(file, 'run'));
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`error: output_dir: cannot create the folder ${join(file, 'run')}: a part of the path is a file, not a folder`);
  expect(r.stderr).not.toMatch(/ENOTDIR|internal error/);
});
