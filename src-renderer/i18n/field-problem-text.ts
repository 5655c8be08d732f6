/** A FieldProblem in words, in the chosen language. */
import type { FieldProblem } from '../state/config-fields';
import type { Translate } from './locale-state.svelte';

export function describeProblem(problem: FieldProblem, t: Translate): string {
  switch (problem.code) {
    case 'required':
      return t('problem.required');
    case 'not-a-number':
      return t('problem.notANumber');
    case 'integer':
      return t('problem.integer');
    case 'val-size-count':
      return t('problem.valSizeCount');
    case 'min':
      return t('problem.min', { limit: problem.limit });
    case 'gt':
      return t('problem.gt', { limit: problem.limit });
    case 'max':
      return t('problem.max', { limit: problem.limit });
    case 'lt':
      return t('problem.lt', { limit: problem.limit });
    case 'val-size-all':
      return t('problem.valSizeAll', { limit: problem.limit });
    case 'above-context':
      return t('problem.aboveContext', { limit: problem.limit });
    case 'other':
      return problem.text;
  }
}
