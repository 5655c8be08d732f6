/**
 * A conversation to model inputs with the model's own chat template: labels equal the input ids on assistant
 * answers and are -100 (not trained) elsewhere, then both are cut to cutoff_len. A message's text is cut first to
 * what cutoff_len tokens can hold (with a margin), so memory is bounded by the cutoff, not by the file: a 50 MB
 * string would otherwise be tokenized whole (about 350 bytes of memory a character) to keep its first tokens.
 */
import type { ChatTokenizer } from '../formats/tokenizer';
import { IGNORE_INDEX } from '../ignore-index';
import type { Conversation } from './conversation';


export interface TokenizedExample {
  readonly row: number;
  readonly inputIds: number[];
  readonly labels: number[];
  /** Length before truncation (of the text kept when `textCut`). */
  readonly fullLength: number;
  /** A message was longer than cutoff_len tokens can be, and was cut before tokenizing. */
  readonly textCut: boolean;
  /** Where the first answer starts (tokens before it): cutoff_len must be above it for the example to teach anything. */
  readonly promptLength: number;
}

/** Characters past the ones cutoff_len tokens can cover, so that cutting never changes the tokens kept. */
const CUT_MARGIN = 1024;

/**
 * Answer i is supervised from the end of the generation prompt that precedes it to the end of the conversation
 * rendered up to and including it, so the template's own end-of-turn tokens (`<|eot_id|>`, `<|im_end|>`) are
 * learned too. For one turn this is the reference rule: labels -100 over `apply_chat_template(conv[:-1],
 * add_generation_prompt=True)`, input ids after it.
 */
export function tokenizeConversation(tokenizer: ChatTokenizer, conversation: Conversation, cutoffLen: number): TokenizedExample {
  if (!Number.isInteger(cutoffLen) || cutoffLen < 1) throw new RangeError(`cutoff length must be a positive integer, not ${cutoffLen}`);
  const maxChars = cutoffLen * tokenizer.maxTokenChars + CUT_MARGIN;
  const textCut = conversation.messages.some((m) => m.content.length > maxChars);
  const messages = textCut ? conversation.messages.map((m) => ({ ...m, content: m.content.slice(0, maxChars) })) : conversation.messages;
  const full = tokenizer.encodeChat(messages, false);
  const labels = new Array<number>(full.length).fill(IGNORE_INDEX);
  let promptLength = full.length;
  for (let i = 0; i < messages.length; i++) {
    if (messages[i]!.role !== 'assistant') continue;
    const start = tokenizer.encodeChat(messages.slice(0, i), true).length;
    promptLength = Math.min(promptLength, start);
    // Later answers would only be cut off: skip rendering them.
    if (start >= cutoffLen) break;
    const end = i === messages.length - 1 ? full.length : Math.min(tokenizer.encodeChat(messages.slice(0, i + 1), false).length, full.length);
    for (let t = start; t < end; t++) labels[t] = full[t]!;
  }
  return { row: conversation.row, inputIds: full.slice(0, cutoffLen), labels: labels.slice(0, cutoffLen), fullLength: full.length, textCut, promptLength };
}

/** Positions the loss scores: logits at t - 1 predict token t, so a label at position 0 is never a target. */
export function supervisedTargets(labels: ArrayLike<number>): number {
  let n = 0;
  for (let t = 1; t < labels.length; t++) if (labels[t] !== IGNORE_INDEX) n++;
  return n;
}
