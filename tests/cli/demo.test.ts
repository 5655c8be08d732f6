import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readMetrics } from '../../src-main/engine/train/run-files';
import { json, runCli } from './run-cli';

// The README's headless main job, shortened: a real LoRA run on the embedded demo model lowers the held-out loss.
// cutoff_len 96 keeps an answer in every sample (88 is needed): a shorter one drops examples.
test('examples/demo.yaml trains the demo model and lowers the eval loss', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tb-demo-')), 'run');
  const events: string[] = [];
  const r = await runCli(['train', 'examples/demo.yaml', `output_dir=${out}`, 'max_steps=12', 'eval_steps=12', 'logging_steps=4', 'cutoff_len=96', '--json'], { onStderr: (c) => events.push(c) });
  expect(r.code, r.stderr).toBe(0);
  const stderr = events.join('');
  const initial = Number(/step 0: eval loss ([\d.]+)/.exec(stderr)![1]);
  const metrics = await readMetrics(out);
  expect(metrics.map((m) => m.step)).toEqual([4, 8, 12]);
  const final = metrics[metrics.length - 1]!.eval_loss!;
  expect(final).toBeLessThan(initial - 0.5);
  expect(stderr).toMatch(/step 12\/12 .*ETA/);
  // The trained adapter also lowers the loss over the whole sample dataset, measured by `tuneboard eval`.
  const before = json(await runCli(['eval', '--model', 'resources/demo-model', '--dataset', 'resources/datasets/sample_alpaca.json', '--cutoff-len', '64', '--json']));
  const after = json(await runCli(['eval', '--model', 'resources/demo-model', '--adapter', out, '--dataset', 'resources/datasets/sample_alpaca.json', '--cutoff-len', '64', '--json']));
  expect(after.loss).toBeLessThan(before.loss);
  expect(before.perplexity).toBeCloseTo(Math.exp(before.loss), 6);
});
