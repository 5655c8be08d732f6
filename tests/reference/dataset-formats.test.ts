import { describe, expect, test } from 'vitest';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { resolveDatasetSource, type DatasetSource } from '../../src-main/engine/data/dataset-source';
import { tokenizeConversation } from '../../src-main/engine/data/tokenize';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { CASES, FIXTURES, fixturePath, readJson } from '../fixtures';

// Every fixture file holds the same 24 examples; each way of naming it must give the tokens transformers computed.
const FILES = [
  { file: 'dataset_alpaca.json', key: 'fixture_alpaca', format: 'alpaca' },
  { file: 'dataset_sharegpt.json', key: 'fixture_sharegpt', format: 'sharegpt' },
  { file: 'dataset_openai.jsonl', key: 'fixture_openai', format: 'openai' },
] as const;

const SOURCES = FILES.flatMap(({ file, key, format }) => [
  { how: `${file} by path`, source: (): DatasetSource => resolveDatasetSource(fixturePath(file)), format, file },
  { how: `${key} in dataset_info.json`, source: (): DatasetSource => resolveDatasetSource(key, FIXTURES), format, file },
]);

describe.each(CASES)('datasets tokenized for %s', (c) => {
  const expected = readJson<{ cutoff_len: number; examples: Array<{ input_ids: number[]; labels: number[] }> }>(c, 'tokenized.json');

  test.each(SOURCES)('$how reproduces tokenized.json', async ({ source, format, file }) => {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    const s = source();
    const dataset = await loadDataset(s);
    expect(dataset.format).toBe(format);
    expect(dataset.file).toBe(fixturePath(file));
    expect(dataset.totalRows).toBe(24);
    expect(dataset.badRows).toEqual([]);
    expect(dataset.conversations.map((x) => x.row)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(expected.examples).toHaveLength(24);
    dataset.conversations.forEach((conversation, i) => {
      const e = tokenizeConversation(tokenizer, conversation, expected.cutoff_len);
      expect(e.inputIds, `example ${i}`).toEqual(expected.examples[i]!.input_ids);
      expect(e.labels, `example ${i}`).toEqual(expected.examples[i]!.labels);
      expect(e.fullLength).toBeGreaterThanOrEqual(e.inputIds.length);
    });
  });
});

test('the three files hold the same conversations', async () => {
  const loaded = await Promise.all(FILES.map(({ file }) => loadDataset({ kind: 'file', path: fixturePath(file) })));
  expect(loaded[1]!.conversations).toEqual(loaded[0]!.conversations);
  expect(loaded[2]!.conversations).toEqual(loaded[0]!.conversations);
  expect(loaded[0]!.conversations[1]!.messages).toEqual([
    { role: 'user', content: 'Translate to Chinese.\nGood morning' },
    { role: 'assistant', content: '早上好' },
  ]);
});

test('registry keys resolve to registry sources, file names to file sources', () => {
  expect(resolveDatasetSource('fixture_sharegpt', FIXTURES)).toEqual({ kind: 'registry', dir: FIXTURES, name: 'fixture_sharegpt' });
  expect(resolveDatasetSource('dataset_sharegpt.json', FIXTURES)).toEqual({ kind: 'file', path: fixturePath('dataset_sharegpt.json') });
});
