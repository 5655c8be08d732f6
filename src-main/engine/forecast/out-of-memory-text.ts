/**
 * A run that ran out of memory, in words: "ran out of GPU memory at step 12 while computing the backward pass:
 * 9.80 GB needed, 8.00 GB available", and what to resume with. Shared by the engine (a run's error, the CLI) and
 * the host (an engine process that died from memory); the board words its own, translated.
 */
import { formatBytes } from '../../protocol/quantities';
import type { OutOfMemory, PlanFix, RunPhase } from '../../protocol/run-plan';
import { changesText } from './plan-text';

const PHASE_WORDS: Record<RunPhase, string> = {
  'loading the model': 'while loading the model',
  'the forward pass': 'while computing the forward pass',
  'the backward pass': 'while computing the backward pass',
  'the optimizer update': 'while computing the optimizer update',
  evaluation: 'during evaluation',
  'saving a checkpoint': 'while saving a checkpoint',
};

/** The sentence; what is not known (the step before the first, the forecast, the device's size) is left out. */
export function outOfMemorySentence(o: Pick<OutOfMemory, 'step' | 'phase' | 'memory' | 'neededBytes' | 'availableBytes'>): string {
  const at = [o.step > 0 ? `at step ${o.step}` : '', PHASE_WORDS[o.phase]].filter(Boolean).join(' ');
  const figures = [o.neededBytes !== null ? `${formatBytes(o.neededBytes)} needed` : '', o.availableBytes !== null ? `${formatBytes(o.availableBytes)} available` : ''].filter(Boolean);
  return `ran out of ${o.memory} ${at}${figures.length ? `: ${figures.join(', ')}` : ''}`;
}

/** What to do: resume (or, without a checkpoint, start again) with one of the fixes, those that fit first. */
export function outOfMemoryHint(fixes: readonly PlanFix[], resumable: boolean): string {
  const how = resumable ? 'Resume' : 'Start the run again';
  if (!fixes.length) return `${how} with a smaller per_device_train_batch_size (and more gradient_accumulation_steps), a shorter cutoff_len, or gradient_checkpointing: true; or free memory used by other programs.`;
  return `${how} with one of: ${fixes.map((f) => changesText(f.changes)).join('; ')}.`;
}

/** An engine process that died from memory, which could not say where: the host's sentence. */
export function processOutOfMemorySentence(stepsDone: number, how: string): string {
  return `ran out of RAM ${stepsDone > 0 ? `after step ${stepsDone}` : 'before the first step'}: ${how}`;
}
