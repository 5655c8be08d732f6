/** Given only a 4-bit checkpoint, export merges into its dequantized weights, writes bfloat16 and says so. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { fixturePath } from '../fixtures';
import { json, runCli } from './run-cli';

test('a bnb-4bit base: merged into its dequantization, bf16, verified, and the note in the output and export.json', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tb-bnb-export-')), 'merged');
  const args = ['export', '--model', fixturePath('tiny-llama-nf4', 'bnb-4bit'), '--adapter', fixturePath('tiny-llama', 'adapter_random'), '--out', out, '--backend', 'wasm'];
  const human = await runCli(args);
  expect(human.stdout).toMatch(/note: merged into the dequantized 4-bit \(NF4\) weights of .*bnb-4bit, written as bfloat16; merging into the original 16-bit model gives the exact weights/);
  const result = json(await runCli([...args, '--overwrite', '--json']));
  expect(result).toMatchObject({ dtype: 'bfloat16', mergedModules: 14, verification: { ok: true } });
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  expect(config).not.toHaveProperty('quantization_config');
  expect(config.dtype).toBe('bfloat16');
  expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')).note).toBe(result.note);
  expect(json(await runCli(['info', '--model', out, '--json']))).toMatchObject({ dtype: 'bfloat16', quantization: null });
}, 60_000);
