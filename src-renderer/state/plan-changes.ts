/** A fix of the forecast (run-plan.ts) written into the forms' values: what its Apply button does. */
import type { PlanChanges } from '../../src-main/protocol/run-plan';
import type { NumberKey } from './config-fields';
import { copyOf, type FormValues } from './training-presets';

const NUMBER_CHANGES = ['per_device_train_batch_size', 'gradient_accumulation_steps', 'cutoff_len', 'lora_rank'] as const satisfies ReadonlyArray<keyof PlanChanges & NumberKey>;

export function withChanges(values: FormValues, changes: PlanChanges): FormValues {
  const next = copyOf(values);
  if (changes.quantization_bit === 4) next.quantization_bit = 4;
  if (changes.gradient_checkpointing) next.gradient_checkpointing = true;
  for (const key of NUMBER_CHANGES) {
    const value = changes[key];
    if (value !== undefined) next.numbers[key] = String(value);
  }
  return next;
}
