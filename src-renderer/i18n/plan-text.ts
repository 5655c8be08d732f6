/** The forecast in words, in the chosen language: its total against the device, a duration, and what a fix changes. */
import { formatBytes, roughDuration } from '../../src-main/protocol/quantities';
import type { PlanChanges } from '../../src-main/protocol/run-plan';
import type { Translate } from './locale-state.svelte';

/** "50.6 MB of 20.0 MB", or the total alone where the device's size is unknown. */
export function totalText(totalBytes: number, deviceBytes: number | null, t: Translate): string {
  const total = formatBytes(totalBytes);
  return deviceBytes === null ? total : t('forecast.totalOf', { total, device: formatBytes(deviceBytes) });
}

/** 1_500 s → "25 minutes", rounded as a person says it (roughDuration). */
export function durationText(seconds: number, t: Translate): string {
  const { value, unit } = roughDuration(seconds);
  return t(`duration.${unit}`, { n: value });
}

/**
 * Each change of a fix as one line: "4-bit base model (QLoRA)", "Batch 2 × accumulation 4 (same effective batch 8)",
 * "Cutoff 512 tokens — truncates 37 more examples". `truncates`: the examples a shorter cutoff cuts that the current one keeps.
 */
export function describeChanges(changes: PlanChanges, truncates: number | null, t: Translate): string[] {
  const lines: string[] = [];
  if (changes.quantization_bit === 4) lines.push(t('change.quantization'));
  if (changes.gradient_checkpointing) lines.push(t('change.checkpointing'));
  const batch = changes.per_device_train_batch_size;
  const accumulation = changes.gradient_accumulation_steps;
  // The forecast keeps batch × accumulation as it was: the run learns the same, in smaller pieces.
  if (batch !== undefined && accumulation !== undefined) lines.push(t('change.batch', { batch, accumulation, effective: batch * accumulation }));
  else if (batch !== undefined) lines.push(t('change.batchOnly', { batch }));
  else if (accumulation !== undefined) lines.push(t('change.accumulation', { accumulation }));
  if (changes.cutoff_len !== undefined) {
    const cutoff = t('change.cutoff', { n: changes.cutoff_len });
    lines.push(truncates ? t(truncates === 1 ? 'change.truncatesOne' : 'change.truncates', { change: cutoff, n: truncates }) : cutoff);
  }
  if (changes.lora_rank !== undefined) lines.push(t('change.rank', { n: changes.lora_rank }));
  return lines;
}
