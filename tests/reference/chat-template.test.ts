import { describe, expect, test } from 'vitest';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { CASES, fixturePath, readJson } from '../fixtures';

// Conversation built from an alpaca row, as the fixtures README defines it.
const alpaca = readJson<Array<{ instruction: string; input: string; output: string }>>('dataset_alpaca.json');

describe.each(CASES)('chat template of %s', (c) => {
  test('reproduces tokenized.json for all 24 examples', async () => {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    const expected = readJson(c, 'tokenized.json');
    expect(alpaca).toHaveLength(24);
    alpaca.forEach((row, i) => {
      const user = { role: 'user' as const, content: row.input ? `${row.instruction}\n${row.input}` : row.instruction };
      const full = tokenizer.encodeChat([user, { role: 'assistant', content: row.output }], false);
      const prompt = tokenizer.encodeChat([user], true);
      const labels = full.map((id, j) => (j < prompt.length ? -100 : id));
      expect(full.slice(0, expected.cutoff_len), `example ${i}`).toEqual(expected.examples[i].input_ids);
      expect(labels.slice(0, expected.cutoff_len), `example ${i}`).toEqual(expected.examples[i].labels);
    });
  });

  test('gen.prompt_ids is the chat prompt of example 0', async () => {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    expect(tokenizer.encodeChat([{ role: 'user', content: alpaca[0]!.instruction }], true)).toEqual(readJson(c, 'reference.json')['gen.prompt_ids']);
  });
});
