/** A dataset row far longer than any cutoff: memory is bounded by cutoff_len, not by the file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DEMO_MODEL } from '../fixtures';
import { json, runCli } from './run-cli';

test('a 50 MB answer is cut before tokenizing: peak memory under 500 MB, the row counted as cut', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-long-row-'));
  const dataset = join(dir, 'long.json');
  writeFileSync(dataset, JSON.stringify([{ instruction: 'Summarise this', output: 'x'.repeat(50_000_000) }, { instruction: 'hi', output: 'hello there' }]));
  const r = await runCli(['eval', '--model', DEMO_MODEL, '--dataset', dataset, '--cutoff-len', '64', '--backend', 'wasm', '--json']);
  const result = json<{ examples: number; tokens: number; peakMemory: number }>(r);
  expect(result.examples).toBe(2);
  expect(result.peakMemory).toBeLessThan(500e6);
  expect(r.stderr).toContain('1 of them had a message far longer than cutoff_len allows; its text was cut before tokenizing (rows: 1)');
}, 60_000);
