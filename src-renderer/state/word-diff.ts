/** A model's answer against the reference, word by word (jsdiff), for the evaluation's side-by-side rows. */
import { diffWords } from 'diff';

export interface AnswerPart {
  readonly text: string;
  /** Not in the reference at this place: highlighted. */
  readonly added: boolean;
}

/** Words as the language splits them: Intl.Segmenter knows where Chinese words end, jsdiff's own rules do not. */
const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

/** The answer in pieces, each marked whether the reference has it; the reference's words the answer lacks are left out. */
export function answerAgainstReference(reference: string, answer: string): AnswerPart[] {
  return diffWords(reference, answer, { intlSegmenter: segmenter }).flatMap((c) => (c.removed ? [] : [{ text: c.value, added: c.added }]));
}
