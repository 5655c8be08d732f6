/**
 * The numeric training parameters the forms edit, keyed by their LLaMA-Factory names (train-config.ts).
 * The form holds text so that "1e-4" can be typed; the values are parsed and then checked with the same zod
 * schema the host and `tuneboard train` use.
 */
export const NUMBER_KEYS = [
  'lora_rank',
  'lora_alpha',
  'lora_dropout',
  'learning_rate',
  'num_train_epochs',
  'max_steps',
  'per_device_train_batch_size',
  'gradient_accumulation_steps',
  'cutoff_len',
  'warmup_ratio',
  'warmup_steps',
  'weight_decay',
  'max_grad_norm',
  'val_size',
  'eval_steps',
  'save_steps',
  'logging_steps',
  'seed',
] as const;

export type NumberKey = (typeof NUMBER_KEYS)[number];

/** Fields that may be left empty: the engine then uses its rule (alpha = 2 × rank, evaluate every logging_steps). */
export const OPTIONAL_KEYS: ReadonlySet<NumberKey> = new Set(['lora_alpha', 'eval_steps']);

/** What a field expects, for the input's step and keyboard. */
export const INTEGER_KEYS: ReadonlySet<NumberKey> = new Set([
  'lora_rank',
  'max_steps',
  'per_device_train_batch_size',
  'gradient_accumulation_steps',
  'cutoff_len',
  'warmup_steps',
  'eval_steps',
  'save_steps',
  'logging_steps',
  'seed',
]);

/** What is wrong with a field's value; the components turn it into words in the chosen language. */
export type FieldProblem =
  | { readonly code: 'required' | 'not-a-number' | 'integer' | 'val-size-count' }
  | { readonly code: 'min' | 'gt' | 'max' | 'lt'; readonly limit: number }
  | { readonly code: 'val-size-all' | 'above-context'; readonly limit: number }
  | { readonly code: 'other'; readonly text: string };

/** A zod issue (of trainConfigSchema) as a FieldProblem. */
export function problemFromIssue(issue: { code: string; message: string; expected?: unknown; minimum?: unknown; maximum?: unknown; inclusive?: boolean }): FieldProblem {
  if (issue.code === 'invalid_type' && issue.expected === 'int') return { code: 'integer' };
  if (issue.code === 'invalid_type') return { code: 'not-a-number' };
  if (issue.code === 'too_small') return { code: issue.inclusive ? 'min' : 'gt', limit: Number(issue.minimum) };
  if (issue.code === 'too_big') return { code: issue.inclusive ? 'max' : 'lt', limit: Number(issue.maximum) };
  return { code: 'other', text: issue.message };
}
