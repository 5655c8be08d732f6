/** The forms' values as config keys, in train-config.ts's order (the YAML then reads like the schema). */
import { trainConfigSchema } from '../../src-main/protocol/train-config';
import { NUMBER_KEYS } from './config-fields';
import type { FormValues } from './training-presets';

const SCHEMA_KEYS = Object.keys(trainConfigSchema.shape);

/** The parameters (no model or data): the numbers typed, the duration chosen, and the extras of a loaded YAML. */
export function formParameters(v: FormValues, extras: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { stage: 'sft', finetuning_type: 'lora' };
  for (const key of NUMBER_KEYS) {
    if (key === 'max_steps' && v.duration !== 'steps') continue;
    if (key === 'num_train_epochs' && v.duration !== 'epochs') continue;
    const text = v.numbers[key].trim();
    if (text !== '') out[key] = Number(text);
  }
  out['lora_target'] = v.lora_target === 'all' ? 'all' : v.lora_target.join(',');
  out['use_rslora'] = v.use_rslora;
  out['lr_scheduler_type'] = v.lr_scheduler_type;
  // Written only when on: absent means the same (16-bit, no checkpointing) here and in LLaMA-Factory.
  if (v.quantization_bit === 4) out['quantization_bit'] = 4;
  if (v.gradient_checkpointing) out['gradient_checkpointing'] = true;
  return ordered({ ...extras, ...out });
}

export function ordered(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => rank(a) - rank(b)));
}

function rank(key: string): number {
  const i = SCHEMA_KEYS.indexOf(key);
  return i < 0 ? SCHEMA_KEYS.length : i;
}
