import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolveDatasetSource } from '../../src-main/engine/data/dataset-source';
import { firstInvalidOffset } from '../../src-main/engine/json-error-position';
import { loadDataset } from '../../src-main/engine/data/load-dataset';
import { tokenizeConversation } from '../../src-main/engine/data/tokenize';
import { UserError } from '../../src-main/engine/errors';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { fixturePath } from '../fixtures';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tb-data-'));
}

function write(dir: string, name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 1));
  return path;
}

const jsonl = (...lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<UserError> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

const file = (path: string) => ({ kind: 'file' as const, path });
const good = { instruction: 'Say hi.', input: '', output: 'Hi.' };

describe('alpaca rows', () => {
  test('bad rows are reported with their row numbers and skipped', async () => {
    const path = write(tempDir(), 'alpaca.json', [
      good,
      { instruction: 'No answer here.', input: '' },
      { instruction: 'Blank answer.', input: '', output: '  \n' },
      { instruction: 42, input: '', output: 'x' },
      'hello',
      { instruction: 'Bad history.', output: 'x', history: [['only one']] },
      { instruction: 'Continue.', input: 'abc', output: 'abcd', history: [['q1', 'a1']], system: 'Be brief.' },
      { input: '', output: 'x' },
      { instruction: 'Bad input.', input: ['a'], output: 'x' },
    ]);
    const d = await loadDataset(file(path));
    expect(d.format).toBe('alpaca');
    expect(d.file).toBe(path);
    expect(d.totalRows).toBe(9);
    expect(d.conversations.map((c) => c.row)).toEqual([1, 7]);
    expect(d.badRows).toEqual([
      { row: 2, message: 'row 2: "output" is missing' },
      { row: 3, message: 'row 3: empty answer in "output"' },
      { row: 4, message: 'row 4: "instruction" must be a string, not a number' },
      { row: 5, message: 'row 5: not a JSON object (found a string)' },
      { row: 6, message: 'row 6: "history" must be a list of [prompt, answer] pairs of strings; pair 1 is not [string, string]' },
      { row: 8, message: 'row 8: "instruction" is missing' },
      { row: 9, message: 'row 9: "input" must be a string, not a list' },
    ]);
  });

  test('system and history come before the instruction and input', async () => {
    const path = write(tempDir(), 'alpaca.json', [{ system: 'Be brief.', history: [['Hi', 'Hello!'], ['Name?', 'Tuna.']], instruction: 'Add.', input: '2 and 3', output: '5' }]);
    const d = await loadDataset(file(path));
    expect(d.conversations[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Name?' },
      { role: 'assistant', content: 'Tuna.' },
      { role: 'user', content: 'Add.\n2 and 3' },
      { role: 'assistant', content: '5' },
    ]);
    const tokenizer = await ChatTokenizer.load(fixturePath('tiny-llama', 'model'));
    const turn = (role: string, content: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n${content}<|eot_id|>`;
    expect(tokenizer.renderChat(d.conversations[0]!.messages, false)).toBe(
      '<|begin_of_text|>' + turn('system', 'Be brief.') + turn('user', 'Hi') + turn('assistant', 'Hello!') + turn('user', 'Name?') + turn('assistant', 'Tuna.') + turn('user', 'Add.\n2 and 3') + turn('assistant', '5'),
    );
    // Every answer of the history is trained on, not only the last one.
    const e = tokenizeConversation(tokenizer, d.conversations[0]!, 1000);
    expect(tokenizer.decode(e.inputIds.filter((_, t) => e.labels[t] !== -100), false)).toBe('Hello!<|eot_id|>Tuna.<|eot_id|>5<|eot_id|>');
  });

  test('an empty system prompt and a missing input are left out', async () => {
    const path = write(tempDir(), 'alpaca.json', [{ system: '', instruction: 'Say hi.', output: 'Hi.' }, { instruction: '', input: 'Only input.', output: 'ok' }]);
    const d = await loadDataset(file(path));
    expect(d.conversations.map((c) => c.messages)).toEqual([
      [
        { role: 'user', content: 'Say hi.' },
        { role: 'assistant', content: 'Hi.' },
      ],
      [
        { role: 'user', content: 'Only input.' },
        { role: 'assistant', content: 'ok' },
      ],
    ]);
  });
});

describe('OpenAI messages in JSONL', () => {
  test('bad lines are reported with their line numbers; blank lines are skipped', async () => {
    const user = (content: string) => ({ role: 'user', content });
    const assistant = (content: string) => ({ role: 'assistant', content });
    const path = write(
      tempDir(),
      'chat.jsonl',
      jsonl(
        { messages: [user('Hi'), assistant('Hello')] },
        '',
        '{"messages": [}',
        { messages: [user('a'), user('b'), assistant('c')] },
        { messages: [user('a'), assistant('b'), user('c')] },
        { messages: [user('a'), { role: 'bot', content: 'b' }] },
        { messages: [user('a'), { role: 'tool', content: '{}' }, assistant('b')] },
        { messages: [user('a'), { role: 'assistant', content: null }] },
        { messages: [user('a'), assistant(' ')] },
        { messages: [{ role: 'system', content: 'Be kind.' }, user('Hi'), assistant('Hello'), user('Bye'), assistant('Bye!')] },
        { messages: [user('a'), assistant('b'), { role: 'system', content: 'late' }, user('c'), assistant('d')] },
        { messages: 'Hi' },
      ),
    );
    const d = await loadDataset(file(path));
    expect(d.format).toBe('openai');
    expect(d.totalRows).toBe(11);
    expect(d.conversations.map((c) => c.row)).toEqual([1, 10]);
    expect(d.conversations[1]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    expect(d.badRows.map((b) => b.row)).toEqual([3, 4, 5, 6, 7, 8, 9, 11, 12]);
    const message = Object.fromEntries(d.badRows.map((b) => [b.row, b.message]));
    expect(message[3]).toMatch(/^line 3: not valid JSON \(.+ at column 15\)$/);
    expect(message[4]).toBe('line 4: roles must alternate user/assistant starting with user: message 2 is "user" where "assistant" should be');
    expect(message[5]).toBe('line 5: the conversation ends with a user turn (message 3); it must end with an answer ("assistant")');
    expect(message[6]).toBe('line 6: message 2 has an unknown role "bot" (expected user, assistant or system)');
    expect(message[7]).toBe('line 7: message 2 is a tool turn ("tool"); tool turns are not supported');
    expect(message[8]).toBe('line 8: message 2: "content" must be a string, not null');
    expect(message[9]).toBe('line 9: empty answer in message 2');
    expect(message[11]).toBe('line 11: message 3 is a system message; only the first message may be one');
    expect(message[12]).toBe('line 12: "messages" must be a list of messages, not a string');
  });
});

describe('ShareGPT rows', () => {
  test('tool turns, wrong types and a top-level system prompt', async () => {
    const path = write(tempDir(), 'sharegpt.json', [
      { conversations: [{ from: 'human', value: 'Weather?' }, { from: 'function_call', value: '{}' }, { from: 'observation', value: 'sun' }, { from: 'gpt', value: 'Sunny.' }] },
      { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 7 }] },
      { conversations: [{ from: 'human', value: 'Hi' }, { value: 'Hello' }] },
      { system: 'Be kind.', conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] },
      { conversations: [{ from: 'system', value: 'Own system.' }, { from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] },
      { conversations: [{ from: 'gpt', value: 'Me first' }, { from: 'human', value: 'Hi' }] },
    ]);
    const d = await loadDataset(file(path));
    expect(d.format).toBe('sharegpt');
    expect(d.badRows).toEqual([
      { row: 1, message: 'row 1: message 2 is a tool turn ("function_call"); tool turns are not supported' },
      { row: 2, message: 'row 2: message 2: "value" must be a string, not a number' },
      { row: 3, message: 'row 3: message 2 has no "from"' },
      { row: 6, message: 'row 6: roles must alternate human/gpt starting with human: message 1 is "gpt" where "human" should be' },
    ]);
    expect(d.conversations.map((c) => c.messages[0])).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'system', content: 'Own system.' },
    ]);
  });

  test('the format is what most rows follow, so a broken first row does not hide it', async () => {
    const row = { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] };
    const d = await loadDataset(file(write(tempDir(), 'sharegpt.json', [{ instruction: 'x' }, row, row])));
    expect(d.format).toBe('sharegpt');
    expect(d.badRows).toEqual([{ row: 1, message: 'row 1: "conversations" is missing' }]);
  });
});

describe('refused datasets', () => {
  test('no usable row: the error lists the first bad rows', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ instruction: `q${i}`, output: '' }));
    const err = await rejection(loadDataset(file(write(tempDir(), 'empty-answers.json', rows))));
    expect(err.message).toContain('none of its 7 rows can be trained on');
    expect(err.message).toContain('row 1: empty answer in "output"');
    expect(err.message).toContain('row 5: empty answer in "output"');
    expect(err.message).not.toContain('row 6:');
    expect(err.message).toContain('and 2 more');
  });

  test('no usable row in JSONL, all lines broken', async () => {
    const err = await rejection(loadDataset(file(write(tempDir(), 'broken.jsonl', '{\n{"a":\n'))));
    expect(err.message).toContain('none of its 2 rows');
    expect(err.message).toContain('line 2: not valid JSON');
  });

  test('a JSON file that does not parse names the file, line and column', async () => {
    const path = write(tempDir(), 'broken.json', '[\n  {"instruction": "a", "output": "b"},\n  {"instruction": "c" "output": "d"}\n]\n');
    const err = await rejection(loadDataset(file(path)));
    expect(err.message).toMatch(/^.*broken\.json is not valid JSON: line 3, column 23: Expected ',' or '}' after property value$/);
    expect(err.message).toContain(path);
  });

  test('a JSON error V8 gives no position for still gets a line and column', async () => {
    const path = write(tempDir(), 'broken.json', '[\n {"instruction": tru}\n]');
    const err = await rejection(loadDataset(file(path)));
    expect(err.message).toBe(`${path} is not valid JSON: line 2, column 21: Unexpected token '}'`);
  });

  test('a JSON file that is not a list, an empty file, an unknown format, another extension', async () => {
    const dir = tempDir();
    expect((await rejection(loadDataset(file(write(dir, 'one.json', { instruction: 'a', output: 'b' }))))).message).toContain('must hold a JSON array');
    expect((await rejection(loadDataset(file(write(dir, 'none.json', '[]'))))).message).toContain('has no examples');
    expect((await rejection(loadDataset(file(write(dir, 'none.jsonl', '\n\n'))))).message).toContain('has no examples');
    expect((await rejection(loadDataset(file(write(dir, 'odd.json', [{ question: 'a', answer: 'b' }]))))).message).toContain('cannot tell the dataset format');
    expect((await rejection(loadDataset(file(write(dir, 'data.csv', 'a,b\n'))))).message).toContain('is not a .json or .jsonl file');
  });

  test('a missing file names its path', async () => {
    const path = join(tempDir(), 'nowhere.json');
    expect((await rejection(loadDataset(file(path)))).message).toBe(`dataset file ${path} does not exist`);
    expect((await rejection(() => resolveDatasetSource(path))).message).toBe(`dataset file ${path} does not exist`);
  });
});

test('JSON lines in a .json file are read as JSONL, as HF datasets does', async () => {
  const d = await loadDataset(file(write(tempDir(), 'lines.json', jsonl(good, good))));
  expect(d.totalRows).toBe(2);
  expect(d.conversations.map((c) => c.row)).toEqual([1, 2]);
});

test('firstInvalidOffset finds where JSON stops being valid', () => {
  expect(firstInvalidOffset('[1, 2]')).toBe(6);
  expect(firstInvalidOffset('[1, 2')).toBe(5);
  expect(firstInvalidOffset('{"a": tru}')).toBe(9);
  expect(firstInvalidOffset('{"a": 01}')).toBe(7);
  expect(firstInvalidOffset('{"a": "\\x"}')).toBe(8);
  expect(firstInvalidOffset('{"a": 1.5e+3, "b": [true, false, null, "\\u00e9"]} x')).toBe(50);
});

describe('dataset_info.json', () => {
  function registry(entries: Record<string, unknown>): string {
    const dir = tempDir();
    write(dir, 'dataset_info.json', entries);
    return dir;
  }

  test('an unknown key lists the datasets there are', () => {
    const dir = registry({ first: { file_name: 'a.json' }, second: { file_name: 'b.json' } });
    const err = (() => {
      try {
        resolveDatasetSource('third', dir);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`dataset "third" is not in ${join(dir, 'dataset_info.json')}; its datasets are: first, second`);
  });

  test('loading an unknown key through a registry source lists the keys too', async () => {
    const dir = registry({ first: { file_name: 'a.json' } });
    expect((await rejection(loadDataset({ kind: 'registry', dir, name: 'nope' }))).message).toContain('its datasets are: first');
  });

  test('a key wins over a file of the same name; otherwise a path relative to dataset_dir', () => {
    const dir = registry({ 'data.json': { file_name: 'other.json' } });
    write(dir, 'data.json', [good]);
    write(dir, 'plain.json', [good]);
    expect(resolveDatasetSource('data.json', dir)).toEqual({ kind: 'registry', dir, name: 'data.json' });
    expect(resolveDatasetSource('plain.json', dir)).toEqual({ kind: 'file', path: join(dir, 'plain.json') });
  });

  test('without dataset_dir a relative path is relative to the working directory', () => {
    const path = write(tempDir(), 'plain.json', [good]);
    expect(resolveDatasetSource(relative(process.cwd(), path))).toEqual({ kind: 'file', path });
  });

  test('columns and tags rename the fields, with LLaMA-Factory defaults for the rest', async () => {
    const dir = registry({
      renamed_alpaca: { file_name: 'a.json', columns: { prompt: 'q', response: 'a', system: 'sys' } },
      renamed_chat: { file_name: 'c.jsonl', formatting: 'sharegpt', columns: { messages: 'turns' }, tags: { role_tag: 'who', content_tag: 'text', user_tag: 'me', assistant_tag: 'bot' } },
      default_chat: { file_name: 'd.json', formatting: 'sharegpt' },
    });
    write(dir, 'a.json', [{ q: 'Q?', input: 'more', a: 'A.', sys: 'S.' }, { instruction: 'Q?', output: 'A.' }]);
    write(dir, 'c.jsonl', jsonl({ turns: [{ who: 'me', text: 'Hi' }, { who: 'bot', text: 'Yo' }] }, { turns: [{ who: 'human', text: 'Hi' }, { who: 'gpt', text: 'Yo' }] }));
    write(dir, 'd.json', [{ conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Yo' }] }]);

    const a = await loadDataset(resolveDatasetSource('renamed_alpaca', dir));
    expect(a.format).toBe('alpaca');
    expect(a.file).toBe(join(dir, 'a.json'));
    expect(a.conversations[0]!.messages).toEqual([
      { role: 'system', content: 'S.' },
      { role: 'user', content: 'Q?\nmore' },
      { role: 'assistant', content: 'A.' },
    ]);
    expect(a.badRows).toEqual([{ row: 2, message: 'row 2: "q" is missing' }]);

    const c = await loadDataset(resolveDatasetSource('renamed_chat', dir));
    expect(c.format).toBe('sharegpt');
    expect(c.conversations[0]!.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Yo' },
    ]);
    expect(c.badRows).toEqual([{ row: 2, message: 'line 2: message 1 has an unknown role "human" (expected me, bot or system)' }]);

    const d = await loadDataset(resolveDatasetSource('default_chat', dir));
    expect(d.format).toBe('sharegpt');
    expect(d.conversations).toHaveLength(1);
  });

  test('remote, preference and malformed entries are refused with the reason', async () => {
    const dir = registry({
      hub: { hf_hub_url: 'someone/data' },
      prefs: { file_name: 'p.json', ranking: true },
      bad: { file_name: 'x.json', formatting: 'parquet' },
    });
    expect((await rejection(loadDataset({ kind: 'registry', dir, name: 'hub' }))).message).toContain('is a remote dataset (hf_hub_url)');
    expect((await rejection(loadDataset({ kind: 'registry', dir, name: 'prefs' }))).message).toContain('preference data');
    expect((await rejection(loadDataset({ kind: 'registry', dir, name: 'bad' }))).message).toContain('"bad": formatting');
  });

  test('a registry that does not parse is an error naming it', () => {
    const dir = tempDir();
    write(dir, 'dataset_info.json', '{\n  "a": {"file_name": "a.json"},\n}');
    expect(() => resolveDatasetSource('a', dir)).toThrow(/dataset_info\.json is not valid JSON: line 3, column 1/);
  });

  test('a name in a folder without a registry is taken as a missing file', () => {
    const dir = tempDir();
    expect(() => resolveDatasetSource('alpaca_en', dir)).toThrow(`dataset file ${join(dir, 'alpaca_en')} does not exist`);
  });
});
