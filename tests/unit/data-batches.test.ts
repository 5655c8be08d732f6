import { describe, expect, test } from 'vitest';
import { collate, padTokenId } from '../../src-main/engine/data/batches';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { tokenizeConversation, type TokenizedExample } from '../../src-main/engine/data/tokenize';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { CASES, fixturePath, readJson, readReference } from '../fixtures';

const example = (inputIds: number[], labels: number[]): TokenizedExample => ({ row: 1, inputIds, labels, fullLength: inputIds.length, textCut: false, promptLength: 0 });

describe('collate', () => {
  test('right-pads ids with padId, labels with -100 and masks the padding', () => {
    const b = collate([example([11, 12, 13], [-100, 12, 13]), example([21, 22, 23, 24, 25], [-100, -100, -100, 24, 25]), example([31], [-100])], 0);
    expect(b.batch).toBe(3);
    expect(b.steps).toBe(5);
    expect([...b.ids]).toEqual([11, 12, 13, 0, 0, 21, 22, 23, 24, 25, 31, 0, 0, 0, 0]);
    expect([...b.labels]).toEqual([-100, 12, 13, -100, -100, -100, -100, -100, 24, 25, -100, -100, -100, -100, -100]);
    expect([...b.keyMask]).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(b.ids).toBeInstanceOf(Int32Array);
    expect(b.tokens).toBe(4);
  });

  test('a label at position 0 is no next-token target; padding ids can be any token', () => {
    const b = collate([example([5, 6], [5, 6]), example([7], [7])], 99);
    expect([...b.ids]).toEqual([5, 6, 7, 99]);
    expect(b.tokens).toBe(1);
  });

  test('an empty batch, or ids and labels of different lengths, is a bug', () => {
    expect(() => collate([], 0)).toThrow(RangeError);
    expect(() => collate([example([1, 2], [1])], 0)).toThrow(RangeError);
  });
});

describe.each(CASES)('the reference batch of %s', (c) => {
  test('examples 0..2 collate to batch.input_ids, batch.labels, batch.attention_mask and batch.tokens', async () => {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    const { cutoff_len } = readJson(c, 'tokenized.json');
    const dataset = await loadDataset({ kind: 'file', path: fixturePath('dataset_alpaca.json') });
    const examples = dataset.conversations.slice(0, 3).map((conv) => tokenizeConversation(tokenizer, conv, cutoff_len));
    const pad = padTokenId(tokenizer);
    expect(pad).toBe(tokenizer.tokenId(tokenizer.padToken!));
    const b = collate(examples, pad);
    const ref = await readReference(c);
    const ids = ref.get('batch.input_ids')!;
    expect([b.batch, b.steps]).toEqual([...ids.shape]);
    expect([...b.ids]).toEqual([...ids.values]);
    expect([...b.labels]).toEqual([...ref.get('batch.labels')!.values]);
    expect([...b.keyMask]).toEqual([...ref.get('batch.attention_mask')!.values]);
    expect(b.tokens).toBe(readJson(c, 'reference.json')['batch.tokens']);
  });
});
