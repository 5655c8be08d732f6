import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { previewDataset } from '../../src-main/engine/data/preview';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { CASES, fixturePath, readJson } from '../fixtures';

/** numpy.percentile's default (linear) on a sorted copy. */
function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

describe.each(CASES)('preview of the fixture dataset with %s', (c) => {
  async function setup() {
    const tokenizer = await ChatTokenizer.load(fixturePath(c, 'model'));
    const dataset = await loadDataset({ kind: 'file', path: fixturePath('dataset_alpaca.json') });
    // Lengths computed here straight from the chat template, independently of the data layer.
    const full = dataset.conversations.map((conv) => tokenizer.encodeChat(conv.messages, false).length);
    const prompt = dataset.conversations.map((conv) => tokenizer.encodeChat(conv.messages.slice(0, -1), true).length);
    return { tokenizer, dataset, full, prompt };
  }

  test('counts and token statistics', async () => {
    const { tokenizer, dataset, full, prompt } = await setup();
    for (const cutoff of [16, 40, 64]) {
      const p = previewDataset(tokenizer, dataset, cutoff);
      expect(p).toMatchObject({ file: fixturePath('dataset_alpaca.json'), format: 'alpaca', totalRows: 24, usableRows: 24, badRows: [] });
      expect(p.tokens.min).toBe(Math.min(...full));
      expect(p.tokens.max).toBe(Math.max(...full));
      expect(p.tokens.mean).toBeCloseTo(full.reduce((s, n) => s + n, 0) / 24, 10);
      expect(p.tokens.median).toBe(percentile(full, 0.5));
      expect(p.tokens.p95).toBe(percentile(full, 0.95));
      expect(p.truncated).toBe(full.filter((n) => n > cutoff).length);
      // An answer starting at or after the cutoff leaves nothing to learn from that example.
      expect(p.noTrainedTokens).toBe(prompt.filter((n) => n >= cutoff).length);
    }
    // Every prompt is longer than 16 tokens: everything is cut and nothing trained. At 64 (the fixture's
    // cutoff_len) only the examples tokenized.json shows at full length 64 can be cut, and the long Chinese
    // prompts leave some examples with no supervised label at all.
    const at16 = previewDataset(tokenizer, dataset, 16);
    expect([at16.truncated, at16.noTrainedTokens]).toEqual([24, 24]);
    const at64 = previewDataset(tokenizer, dataset, 64);
    const reference = readJson<{ examples: Array<{ input_ids: number[]; labels: number[] }> }>(c, 'tokenized.json').examples;
    expect(at64.truncated).toBeGreaterThan(0);
    expect(at64.truncated).toBeLessThanOrEqual(reference.filter((e) => e.input_ids.length === 64).length);
    expect(at64.noTrainedTokens).toBe(reference.filter((e) => e.labels.every((l) => l === -100)).length);
    expect(at64.noTrainedTokens).toBe(c === 'tiny-llama' ? 2 : 3);
  });

  test('the first three examples, split into prompt and trained text', async () => {
    const { tokenizer, dataset } = await setup();
    const reference = readJson<{ cutoff_len: number; examples: Array<{ input_ids: number[]; labels: number[] }> }>(c, 'tokenized.json');
    const p = previewDataset(tokenizer, dataset, reference.cutoff_len);
    expect(p.examples.map((e) => e.row)).toEqual([1, 2, 3]);
    p.examples.forEach((e, i) => {
      // Decoded with special tokens kept, the segments put together are the whole (truncated) example.
      expect(e.segments.map((s) => s.text).join('')).toBe(tokenizer.decode(reference.examples[i]!.input_ids, false));
      expect(e.segments.map((s) => s.trained)).toEqual([false, true]);
      const answer = dataset.conversations[i]!.messages.at(-1)!.content;
      expect(e.segments[1]!.text.startsWith(answer)).toBe(true);
      expect(e.segments[0]!.text).not.toContain(answer);
    });
    expect(p.examples[0]!.segments[1]!.text).toContain('The capital of France is Paris.');
    expect(p.examples[0]!.segments[0]!.text).toContain('What is the capital of France?');
  });

  test('a small cutoff leaves only the prompt segment', async () => {
    const { tokenizer, dataset } = await setup();
    const p = previewDataset(tokenizer, dataset, 16);
    for (const e of p.examples) expect(e.segments.map((s) => s.trained)).toEqual([false]);
    expect(p.examples[0]!.segments[0]!.text).toBe(tokenizer.decode(tokenizer.encodeChat(dataset.conversations[0]!.messages, false).slice(0, 16), false));
  });
});

test('the preview lists every bad row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-preview-'));
  const path = join(dir, 'data.json');
  const rows = [{ instruction: 'Say hi.', output: 'Hi.' }, ...Array.from({ length: 9 }, (_, i) => ({ instruction: `q${i}` }))];
  writeFileSync(path, JSON.stringify(rows));
  const tokenizer = await ChatTokenizer.load(fixturePath('tiny-qwen2', 'model'));
  const p = previewDataset(tokenizer, await loadDataset({ kind: 'file', path }), 64);
  expect(p.totalRows).toBe(10);
  expect(p.usableRows).toBe(1);
  expect(p.badRows.map((b) => b.row)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(p.tokens.min).toBe(p.tokens.max);
  expect(p.tokens.median).toBe(p.tokens.min);
  expect(p.examples).toHaveLength(1);
  expect(p.examples[0]!.segments.at(-1)).toEqual({ text: 'Hi.<|im_end|>\n', trained: true });
});
