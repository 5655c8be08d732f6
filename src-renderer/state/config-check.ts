/**
 * What is wrong with the forms' values, field by field: train-config.ts's zod schema (the one the host and
 * `tuneboard train` use), and what only the chosen model and data can tell: a validation set that leaves
 * nothing to train on, a cutoff past the model's context.
 */
import { trainConfigSchema } from '../../src-main/protocol/train-config';
import { NUMBER_KEYS, OPTIONAL_KEYS, problemFromIssue, type FieldProblem, type NumberKey } from './config-fields';
import { formParameters } from './config-parameters';
import type { PresetFit } from './preset-fitting';
import type { FormValues } from './training-presets';

const PLACEHOLDER = 'x';

export function checkConfig(v: FormValues, extras: Readonly<Record<string, unknown>>, fit: PresetFit): Map<string, FieldProblem> {
  const problems = new Map<string, FieldProblem>();
  for (const key of NUMBER_KEYS) {
    const text = v.numbers[key].trim();
    if (text === '' && !OPTIONAL_KEYS.has(key) && inUse(v, key)) problems.set(key, { code: 'required' });
    else if (text !== '' && !Number.isFinite(Number(text))) problems.set(key, { code: 'not-a-number' });
  }
  if (v.lora_target !== 'all' && v.lora_target.length === 0) problems.set('lora_target', { code: 'required' });
  const params = formParameters(v, extras);
  for (const key of problems.keys()) delete params[key];
  const parsed = trainConfigSchema.safeParse({ model_name_or_path: PLACEHOLDER, dataset: PLACEHOLDER, output_dir: PLACEHOLDER, ...params });
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const key = String(issue.path[0] ?? 'config');
    if (!problems.has(key)) problems.set(key, problemFromIssue(issue as Parameters<typeof problemFromIssue>[0]));
  }
  const maxSteps = Number(v.numbers.max_steps);
  if (v.duration === 'steps' && !problems.has('max_steps') && maxSteps < 1) problems.set('max_steps', { code: 'min', limit: 1 });
  const valSize = Number(v.numbers.val_size);
  if (!problems.has('val_size') && valSize >= 1 && !Number.isInteger(valSize)) problems.set('val_size', { code: 'val-size-count' });
  if (!problems.has('val_size') && fit.examples !== null && valSize >= 1 && valSize >= fit.examples) problems.set('val_size', { code: 'val-size-all', limit: fit.examples });
  // The engine refuses it before loading the model (positions past the context were never trained).
  if (!problems.has('cutoff_len') && fit.contextLength !== null && Number(v.numbers.cutoff_len) > fit.contextLength) {
    problems.set('cutoff_len', { code: 'above-context', limit: fit.contextLength });
  }
  return problems;
}

function inUse(v: FormValues, key: NumberKey): boolean {
  if (key === 'max_steps') return v.duration === 'steps';
  if (key === 'num_train_epochs') return v.duration === 'epochs';
  return true;
}
