import { describe, expect, test } from 'vitest';
import type { Conversation } from '../../src-main/engine/data/conversation';
import { supervisedTargets, tokenizeConversation } from '../../src-main/engine/data/tokenize';
import { IGNORE_INDEX } from '../../src-main/engine/ignore-index';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { CASES, fixturePath } from '../fixtures';

const conversation: Conversation = {
  row: 7,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: 'It is 4.' },
    { role: 'user', content: 'And 3+3?' },
    { role: 'assistant', content: 'Six.' },
  ],
};

// What each template puts after an answer, which is learned with it (the model must learn to stop).
const END_OF_TURN = { 'tiny-llama': '<|eot_id|>', 'tiny-qwen2': '<|im_end|>\n' } as const;

/** Expected labels found independently of the prefix rendering: each answer's own tokens, located in order. */
function expectedLabels(tokenizer: ChatTokenizer, ids: readonly number[], answers: readonly string[], end: string): number[] {
  const labels = ids.map(() => IGNORE_INDEX);
  let from = 0;
  for (const answer of answers) {
    const span = tokenizer.encode(answer + end, false);
    let at = from;
    while (at + span.length <= ids.length && span.some((id, k) => ids[at + k] !== id)) at++;
    expect(at + span.length, `"${answer}" found in the ids`).toBeLessThanOrEqual(ids.length);
    span.forEach((id, k) => (labels[at + k] = id));
    from = at + span.length;
  }
  return labels;
}

describe.each(CASES)('multi-turn labels with %s', (c) => {
  test('only the assistant answers (and their end-of-turn tokens) are supervised, token by token', async () => {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    const e = tokenizeConversation(tokenizer, conversation, 1000);
    const full = tokenizer.encodeChat(conversation.messages, false);
    expect(e.row).toBe(7);
    expect(e.inputIds).toEqual(full);
    expect(e.fullLength).toBe(full.length);
    expect(e.labels).toEqual(expectedLabels(tokenizer, full, ['It is 4.', 'Six.'], END_OF_TURN[c]));
    // Nothing of the system prompt or the questions is trained on.
    const trained = tokenizer.decode(e.inputIds.filter((_, t) => e.labels[t] !== IGNORE_INDEX), false);
    expect(trained).toBe(`It is 4.${END_OF_TURN[c]}Six.${END_OF_TURN[c]}`);
  });

  test('truncation keeps the first cutoff_len tokens and labels', async () => {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    const whole = tokenizeConversation(tokenizer, conversation, 1000);
    const lastAnswerStart = whole.labels.lastIndexOf(IGNORE_INDEX) + 1;
    // Inside the second answer, and before it starts (where the second answer is not rendered at all).
    for (const cutoff of [lastAnswerStart + 2, lastAnswerStart - 3, 5]) {
      const e = tokenizeConversation(tokenizer, conversation, cutoff);
      expect(e.inputIds).toEqual(whole.inputIds.slice(0, cutoff));
      expect(e.labels).toEqual(whole.labels.slice(0, cutoff));
      expect(e.fullLength).toBe(whole.inputIds.length);
    }
  });
});

test('cutoff length must be a positive integer', async () => {
  const tokenizer = await ChatTokenizer.load(fixturePath('tiny-llama', 'model'));
  expect(() => tokenizeConversation(tokenizer, conversation, 0)).toThrow(RangeError);
  expect(() => tokenizeConversation(tokenizer, conversation, 2.5)).toThrow(RangeError);
});

test('a label at position 0 is not a next-token target', () => {
  expect(supervisedTargets([5, -100, 7, 8])).toBe(2);
  expect(supervisedTargets([-100, -100])).toBe(0);
  expect(supervisedTargets([])).toBe(0);
});
