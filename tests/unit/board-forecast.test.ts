/**
 * The board's side of the forecast: a fix applied to the forms gives the config the engine forecast for it, a fix
 * is said in words that match its numbers in both languages, the user's memory figure is read as a size, and the
 * base model's precision travels through the config's YAML like any other key.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planConfig } from '../../src-main/engine/jobs/plan-job';
import type { BackendName } from '../../src-main/protocol/engine-types';
import { formatBytes } from '../../src-main/protocol/quantities';
import type { RunPlan } from '../../src-main/protocol/run-plan';
import { trainConfigSchema } from '../../src-main/protocol/train-config';
import { en, type MessageKey } from '../../src-renderer/i18n/en';
import type { Translate } from '../../src-renderer/i18n/locale-state.svelte';
import { describeChanges, durationText } from '../../src-renderer/i18n/plan-text';
import { zhCN } from '../../src-renderer/i18n/zh-CN';
import { formParameters } from '../../src-renderer/state/config-parameters';
import { ConfigState } from '../../src-renderer/state/config-state.svelte';
import { parseMemoryFigure } from '../../src-renderer/state/memory-figure';
import { withChanges } from '../../src-renderer/state/plan-changes';
import { copyOf, PRESETS, type FormValues } from '../../src-renderer/state/training-presets';
import { DEMO_MODEL, fixturePath } from '../fixtures';

const translator =
  (catalog: Record<MessageKey, string>): Translate =>
  (key, params) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) => (params && name in params ? String(params[name]) : whole));
const english = translator(en);
const chinese = translator(zhCN);

const DATASET = fixturePath('dataset_alpaca.json');
/** Less than the Quick test preset needs on the demo model (about 67 MB on wasm, 70 MB on webgpu with tfjs's pool). */
const SMALL_DEVICE = { bytes: 20e6, source: 'user' } as const;

/** What the engine forecasts for the forms' values: the config run:plan gets from the board. */
function planOf(values: FormValues, backend: BackendName): Promise<RunPlan> {
  const config = trainConfigSchema.parse({ model_name_or_path: DEMO_MODEL, dataset: DATASET, output_dir: 'unused', ...formParameters(values, {}) });
  return planConfig({ config, backend, device: SMALL_DEVICE, speed: null });
}

describe('a fix of the forecast applied to the forms', () => {
  it.each(['wasm', 'webgpu'] as const)('gives the config the forecast the fix promised (%s)', async (backend) => {
    const values = copyOf(PRESETS.quick);
    const plan = await planOf(values, backend);
    expect(plan.verdict).toBe('will-not-fit');
    // webgpu keeps 16-bit weights packed, so 4-bit saves memory there and is offered; wasm widens them to float32 anyway.
    expect(plan.fixes.map((f) => f.kind)).toEqual(
      backend === 'webgpu' ? ['4-bit', 'gradient-checkpointing', 'smaller-batch', 'lower-rank', 'together'] : ['gradient-checkpointing', 'smaller-batch', 'lower-rank', 'together'],
    );
    for (const fix of plan.fixes) {
      const applied = withChanges(values, fix.changes);
      const replanned = await planOf(applied, backend);
      expect(replanned.memory.total, fix.kind).toBe(fix.memory.total);
      expect(replanned.memory.total, fix.kind).toBeLessThan(plan.memory.total);
    }
  });

  it('changes only what the fix names', () => {
    const values = copyOf(PRESETS.quick);
    const applied = withChanges(values, { per_device_train_batch_size: 1, gradient_accumulation_steps: 4 });
    expect(applied).toEqual({ ...values, numbers: { ...values.numbers, per_device_train_batch_size: '1', gradient_accumulation_steps: '4' } });
    expect(values.numbers.per_device_train_batch_size).toBe('4');
    expect(withChanges(values, { quantization_bit: 4, gradient_checkpointing: true, lora_rank: 4 })).toMatchObject({ quantization_bit: 4, gradient_checkpointing: true, numbers: { lora_rank: '4', lora_alpha: '16' } });
  });
});

describe('a fix in words', () => {
  it('says each change of the engine’s fixes with its numbers, the effective batch kept', async () => {
    const plan = await planOf(copyOf(PRESETS.quick), 'webgpu');
    const together = plan.fixes.find((f) => f.kind === 'together')!;
    const { per_device_train_batch_size: batch, gradient_accumulation_steps: accumulation } = together.changes;
    // Quick test trains on batches of 4 with no accumulation: the same 4 examples a step, in smaller pieces.
    expect(batch! * accumulation!).toBe(4 * 1);
    expect(describeChanges(together.changes, together.truncates, english)).toEqual([
      'Base model in 4-bit (QLoRA)',
      'Gradient checkpointing on',
      `Batch ${batch} × accumulation ${accumulation} (same effective batch 4)`,
    ]);
    for (const fix of plan.fixes) {
      for (const t of [english, chinese]) {
        const lines = describeChanges(fix.changes, fix.truncates, t);
        expect(lines.length).toBe(Object.keys(fix.changes).length - (fix.changes.gradient_accumulation_steps !== undefined ? 1 : 0));
        expect(lines.join('\n')).not.toMatch(/[{}]/);
      }
    }
  });

  it('counts the examples a shorter cutoff truncates', () => {
    expect(describeChanges({ cutoff_len: 512 }, 37, english)).toEqual(['Cutoff 512 tokens — truncates 37 more examples']);
    expect(describeChanges({ cutoff_len: 512 }, 1, english)).toEqual(['Cutoff 512 tokens — truncates 1 more example']);
    expect(describeChanges({ cutoff_len: 512 }, 0, english)).toEqual(['Cutoff 512 tokens']);
    expect(describeChanges({ cutoff_len: 256, lora_rank: 8 }, 5, chinese)).toEqual(['截断长度 256 个 token —— 多截断 5 条样本', 'LoRA 秩 8']);
  });

  it('rounds a duration as a person says it', () => {
    expect(durationText(1_500, english)).toBe('25 minutes');
    expect(durationText(12_600, english)).toBe('3.5 hours');
    expect(durationText(40, english)).toBe('40 seconds');
    expect(durationText(1_500, chinese)).toBe('25 分钟');
  });
});

describe('the device memory the user types', () => {
  it('reads GB by default, or the unit written', () => {
    expect(parseMemoryFigure('24')).toBe(24e9);
    expect(parseMemoryFigure(' 7.5 ')).toBe(7.5e9);
    expect(parseMemoryFigure('20 MB')).toBe(20e6);
    expect(parseMemoryFigure('16GiB')).toBe(16 * 2 ** 30);
    expect(parseMemoryFigure('0.5 tb')).toBe(5e11);
  });

  it('reads back the sizes the board writes', () => {
    for (const bytes of [20e6, 4_294_967_296, 81_559_000_000]) {
      const read = parseMemoryFigure(formatBytes(bytes))!;
      expect(Math.abs(read - bytes) / bytes).toBeLessThan(0.005);
    }
  });

  it('refuses what is not a size a device has', () => {
    for (const text of ['', 'lots', '24 GBs', '-8', '0.0001', '2048 TB']) expect(parseMemoryFigure(text), text).toBeNull();
  });
});

describe('the base model precision in the config', () => {
  const choice = { model: 'models/qwen', dataset: 'data.json', datasetDir: null };

  it('loads from YAML, saves to YAML and is sent as LLaMA-Factory’s keys', () => {
    const config = new ConfigState();
    config.loadYaml('model_name_or_path: models/qwen\ndataset: data.json\nquantization_bit: 4\ngradient_checkpointing: true\n');
    expect(config.values).toMatchObject({ quantization_bit: 4, gradient_checkpointing: true });
    expect(config.extras).toEqual({});
    expect(parse(config.toYaml(choice))).toMatchObject({ quantization_bit: 4, gradient_checkpointing: true });
    expect(trainConfigSchema.parse({ ...config.runConfig(choice), output_dir: 'x' })).toMatchObject({ quantization_bit: 4, gradient_checkpointing: true });

    config.loadYaml('lora_rank: 16\n');
    expect(config.values).toMatchObject({ quantization_bit: null, gradient_checkpointing: false });
    expect(parse(config.toYaml(choice))).not.toHaveProperty('quantization_bit');
    expect(parse(config.toYaml(choice))).not.toHaveProperty('gradient_checkpointing');
  });

  it('refuses a width TuneBoard does not train in, with the schema’s words, and keeps the forms', () => {
    const config = new ConfigState();
    config.loadYaml('lora_rank: 32\n');
    expect(() => config.loadYaml('lora_rank: 8\nquantization_bit: 8\n')).toThrow(/^quantization_bit: must be 4 \(NF4, QLoRA\)/);
    expect(config.values.numbers.lora_rank).toBe('32');
  });

  it('stays as chosen when a preset is applied, and the preset is still recognised', () => {
    const config = new ConfigState();
    config.applyPreset('quick');
    config.values.quantization_bit = 4;
    config.values.gradient_checkpointing = true;
    expect(config.preset).toBe('quick');
    config.applyPreset('balanced');
    expect(config.values).toMatchObject({ quantization_bit: 4, gradient_checkpointing: true, numbers: { cutoff_len: '1024' } });
    expect(config.preset).toBe('balanced');
  });
});
