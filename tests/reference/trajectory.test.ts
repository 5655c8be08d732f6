import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { json, runCli } from '../cli/run-cli';
import { CASES, fixturePath, relDiff } from '../fixtures';
import { expectTrainingTrajectory } from '../reference-checks';

describe.each(CASES)('tuneboard train reproduces trajectory.json (%s, wasm)', (c) => {
  const out = join(mkdtempSync(join(tmpdir(), 'tb-run-')), 'run');

  test('loss, lr, grad_norm and tokens step by step; adapter_final', async () => {
    await expectTrainingTrajectory(c, 'wasm', out);
  });

  test('the adapter it wrote loads back with the numbers of adapter_final', async () => {
    const args = (adapter: string) => ['eval', '--model', fixturePath(c, 'model'), '--adapter', adapter, '--dataset', fixturePath('dataset_alpaca.json'), '--cutoff-len', '64', '--backend', 'wasm', '--json'];
    const ours = json(await runCli(args(out)));
    const reference = json(await runCli(args(fixturePath(c, 'adapter_final'))));
    expect(ours.tokens).toBe(reference.tokens);
    expect(relDiff(ours.loss, reference.loss)).toBeLessThan(1e-4);
  });
});
