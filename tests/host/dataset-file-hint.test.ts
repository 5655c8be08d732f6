/**
 * The file browser marks as datasets only the files that are one, judged from their first bytes: an array of
 * examples, or JSON lines of them, in a format the engine reads; not any .json (package.json, an array of numbers).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { looksLikeDatasetFile } from '../../src-main/runs/dataset-file-hint';
import { listFolder } from '../../src-main/runs/fs-list';

const dir = mkdtempSync(join(tmpdir(), 'tb-dataset-hint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const alpaca = { instruction: 'Say hi', input: '', output: 'Hi' };
const openai = { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] };
const sharegpt = { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] };

describe('dataset file hint', () => {
  it('takes arrays of examples and JSON lines of them in the formats the engine reads', async () => {
    expect(await looksLikeDatasetFile(resolve(__dirname, '../../resources/datasets/sample_alpaca.json'))).toBe(true);
    expect(await looksLikeDatasetFile(file('chat.json', JSON.stringify([openai, openai], null, 2)))).toBe(true);
    expect(await looksLikeDatasetFile(file('one-line.jsonl', JSON.stringify(sharegpt) + '\n'))).toBe(true);
    // HF datasets (and the engine) read JSON lines from a .json file too.
    expect(await looksLikeDatasetFile(file('lines.json', `${JSON.stringify(alpaca)}\n${JSON.stringify(alpaca)}\n`))).toBe(true);
    expect(await looksLikeDatasetFile(file('bom.json', `\uFEFF  [ ${JSON.stringify(alpaca)} ]`))).toBe(true);
  });

  it('refuses JSON that is not a list of examples', async () => {
    expect(await looksLikeDatasetFile(file('package.json', JSON.stringify({ name: 'x', version: '1.0.0', scripts: { build: 'vite' } }, null, 2)))).toBe(false);
    // One object alone is a JSON value, which the engine refuses in a .json file.
    expect(await looksLikeDatasetFile(file('single.json', JSON.stringify(alpaca)))).toBe(false);
    expect(await looksLikeDatasetFile(file('numbers.json', '[1, 2, 3]'))).toBe(false);
    expect(await looksLikeDatasetFile(file('people.json', JSON.stringify([{ name: 'Ada' }, { name: 'Alan' }])))).toBe(false);
    expect(await looksLikeDatasetFile(file('empty.json', '[]'))).toBe(false);
    expect(await looksLikeDatasetFile(file('broken.json', '[{"instruction": "Say hi", "output": '))).toBe(false);
    expect(await looksLikeDatasetFile(file('notes.txt', JSON.stringify([alpaca])))).toBe(false);
  });

  it('reads only the head of a file: what comes after the first example is not read', async () => {
    // Several MB after a good first example, not even JSON: reading it all would say no (and take its time).
    const path = file('big.json', `[${JSON.stringify(alpaca)},\n${'x'.repeat(4_000_000)}`);
    expect(await looksLikeDatasetFile(path)).toBe(true);
  });

  it('marks only the datasets in a folder listing', async () => {
    const listing = await listFolder(dir, dir);
    const hinted = listing.entries.filter((e) => e.hint === 'dataset-file').map((e) => e.name);
    expect(hinted.sort()).toEqual(['big.json', 'bom.json', 'chat.json', 'lines.json', 'one-line.jsonl']);
  });
});
