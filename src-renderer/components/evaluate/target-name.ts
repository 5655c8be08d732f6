/** A compared model's name for people: base → "Base model", step-20 → "Checkpoint, step 20", final → "Final adapter". */
import type { Translate } from '../../i18n/locale-state.svelte';

export function targetName(name: string, t: Translate): string {
  if (name === 'base') return t('eval.target.base');
  if (name === 'final') return t('eval.target.final');
  const step = /^step-(\d+)$/.exec(name);
  return step ? t('eval.target.step', { step: step[1]! }) : name;
}
