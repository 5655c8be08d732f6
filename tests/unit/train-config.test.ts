import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { readTrainConfig } from '../../src-main/engine/train/config-file';

function yaml(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tb-cfg-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

const base = 'model_name_or_path: m\ndataset: d.json\noutput_dir: out\n';

async function error(text: string, overrides: string[] = []): Promise<string> {
  const err = await readTrainConfig(yaml(text), overrides).catch((e) => e);
  expect(err).toBeInstanceOf(UserError);
  return `${err.message}\n${err.hint ?? ''}`;
}

describe('training config (LLaMA-Factory keys)', () => {
  test('defaults are transformers / LLaMA-Factory defaults', async () => {
    const { config } = await readTrainConfig(yaml(base));
    expect(config).toMatchObject({
      finetuning_type: 'lora',
      lora_rank: 8,
      lora_target: 'all',
      learning_rate: 5e-5,
      lr_scheduler_type: 'linear',
      num_train_epochs: 3,
      max_steps: -1,
      per_device_train_batch_size: 8,
      cutoff_len: 2048,
      seed: 42,
      shuffle: true,
      max_grad_norm: 1,
    });
    expect(config.output_dir).toBe(resolve('out'));
  });

  test('key=value overrides are YAML scalars; PyYAML-style numeric strings are numbers', async () => {
    const { config } = await readTrainConfig(yaml(`${base}learning_rate: "1.0e-4"\n`), ['max_steps=50', 'use_rslora=true', 'lora_target=q_proj,v_proj']);
    expect(config).toMatchObject({ learning_rate: 1e-4, max_steps: 50, use_rslora: true, lora_target: 'q_proj,v_proj' });
  });

  test('LLaMA-Factory-only keys are accepted and reported as ignored', async () => {
    const { ignored } = await readTrainConfig(yaml(`${base}template: qwen\nbf16: true\nreport_to: none\n`));
    expect(ignored).toEqual(['template', 'bf16', 'report_to']);
  });

  test('an unknown key is refused with a suggestion', async () => {
    expect(await error(`${base}lerning_rate: 1e-4\n`)).toMatch(/lerning_rate: unknown key \(did you mean learning_rate\?\)/);
  });

  test('out-of-range values name the key', async () => {
    expect(await error(`${base}learning_rate: 5\n`)).toMatch(/config.yaml: learning_rate: must be at most 1/);
    expect(await error(base, ['lora_dropout=1.5'])).toMatch(/lora_dropout/);
    expect(await error(base, ['lr_scheduler_type=exponential'])).toMatch(/lr_scheduler_type/);
    expect(await error('dataset: d.json\noutput_dir: o\n')).toMatch(/model_name_or_path/);
  });

  test("QLoRA keys take LLaMA-Factory's values; other widths and types are refused with what is supported", async () => {
    for (const bits of [8, 3]) {
      expect(await error(base, [`quantization_bit=${bits}`])).toMatch(/config.yaml: quantization_bit: must be 4 \(NF4, QLoRA\); other widths are not supported/);
    }
    expect(await error(base, ['quantization_type=fp4'])).toMatch(/quantization_type: only nf4 is supported \(not fp4\)/);
    expect(await error(base, ['quantization_method=gptq'])).toMatch(/quantization_method: only bnb \(bitsandbytes' NF4\) is supported/);
  });

  test('malformed YAML and overrides are clear errors', async () => {
    expect(await error('model_name_or_path: [unclosed\n')).toMatch(/not valid YAML/);
    expect(await error(base, ['max_steps'])).toMatch(/"max_steps" is not a key=value override/);
  });
});
