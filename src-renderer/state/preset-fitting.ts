/**
 * A preset fitted to the chosen model and dataset, so that the run it starts works and shows something:
 * a cutoff within the model's context, a batch no larger than the training set (and small enough for several
 * steps an epoch), a loss point every ~5% of the run, an evaluation every quarter and a checkpoint halfway.
 * Quick test (40 steps, a point every 2, an evaluation every 10, a checkpoint at 20) is what this gives for
 * any dataset of 8 examples or more.
 */
import { copyOf, PRESETS, type FormValues, type PresetName } from './training-presets';

/** What is known of the model and data; null while unknown (the preset is then used as written). */
export interface PresetFit {
  /** Examples that can be trained on: usable rows that keep an answer token within the cutoff. */
  readonly examples: number | null;
  /** The model's max_position_embeddings. */
  readonly contextLength: number | null;
}

export const UNKNOWN_FIT: PresetFit = { examples: null, contextLength: null };

/** Loss points a run draws, evaluations and checkpoints it makes (besides the last step). */
const POINTS = 20;
const EVALUATIONS = 4;
const CHECKPOINTS = 2;
/** Fewer optimizer steps an epoch than this, and gradient accumulation is lowered. */
const MIN_STEPS_PER_EPOCH = 8;

export function fitPreset(name: PresetName, fit: PresetFit): FormValues {
  const values = copyOf(PRESETS[name]);
  const n = values.numbers;
  if (fit.contextLength !== null && Number(n.cutoff_len) > fit.contextLength) n.cutoff_len = String(fit.contextLength);
  if (fit.examples === null) return values;
  const train = fit.examples - heldOut(Number(n.val_size), fit.examples);
  if (train < 1) return values;

  const batch = Math.min(Number(n.per_device_train_batch_size), train);
  const accumulation = Math.max(1, Math.min(Number(n.gradient_accumulation_steps), Math.floor(train / (MIN_STEPS_PER_EPOCH * batch))));
  const stepsPerEpoch = Math.ceil(Math.ceil(train / batch) / accumulation);
  // As the engine counts them (data-order.ts): max_steps, or ceil(epochs × steps an epoch).
  const total = values.duration === 'steps' ? Number(n.max_steps) : Math.max(1, Math.ceil(Number(n.num_train_epochs) * stepsPerEpoch));
  const logging = Math.max(1, Math.round(total / POINTS));
  // Multiples of the logging interval (an evaluation is recorded with the loss line of its step), `times` in the run.
  const every = (times: number) => logging * Math.max(1, Math.floor(total / times / logging));

  n.per_device_train_batch_size = String(batch);
  n.gradient_accumulation_steps = String(accumulation);
  n.logging_steps = String(logging);
  n.eval_steps = String(every(EVALUATIONS));
  n.save_steps = String(every(CHECKPOINTS));
  return values;
}

/** The validation examples val_size holds out of `examples` (engine/data/split.ts). */
export function heldOut(valSize: number, examples: number): number {
  if (!(valSize > 0)) return 0;
  return valSize < 1 ? Math.max(1, Math.round(valSize * examples)) : valSize;
}
