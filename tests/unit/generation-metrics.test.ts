import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { readPredictionsFile } from '../../src-main/engine/metrics/predictions-file';
import { roundLikePython } from '../../src-main/engine/metrics/python-round';
import { meanScores, scorePrediction, type GenerationScores } from '../../src-main/engine/metrics/similarity';
import { loadWordSplitter } from '../../src-main/engine/metrics/word-split';

type FixtureRow = GenerationScores & { predict: string; label: string };
const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'eval-metrics', 'metrics.json'), 'utf8')) as {
  rows: FixtureRow[];
  mean: GenerationScores;
};
const METRICS = Object.keys(fixture.mean) as (keyof GenerationScores)[];
const round4 = (x: number) => Number(x.toFixed(4));

describe('generation metrics against LLaMA-Factory (eval-metrics/metrics.json)', () => {
  test.each(fixture.rows.map((row, i) => [i, row] as const))('row %i', async (_, row) => {
    const scores = await scorePrediction(row.predict, row.label);
    for (const metric of METRICS) expect({ metric, value: round4(scores[metric]) }).toEqual({ metric, value: round4(row[metric]) });
  });

  test('means', async () => {
    const rows: GenerationScores[] = [];
    for (const row of fixture.rows) rows.push(await scorePrediction(row.predict, row.label));
    const mean = meanScores(rows);
    for (const metric of METRICS) expect(Math.abs(mean[metric] - fixture.mean[metric]), metric).toBeLessThan(1e-4);
  });
});

// Expected values below came from Python: jieba 0.42.1 (`list(jieba.cut(s))`), nltk 3.8 sentence_bleu with
// SmoothingFunction().method3, Python's str.strip() and round(), and the SQuAD token F1 over lowercased jieba words.
describe('cross-checked with Python jieba and nltk', () => {
  test.each([
    // jieba-rs keeps "2e-4", "GPT-4" and "x_1" whole; Python's HMM step splits them.
    ['学习率 2e-4，batch size 16。', ['学习', '率', ' ', '2e', '-', '4', '，', 'batch', ' ', 'size', ' ', '16', '。']],
    ['GPT-4o-mini 的上下文长度是128k', ['GPT', '-', '4o', '-', 'mini', ' ', '的', '上下文', '长度', '是', '128k']],
    ['x_1+y_2=z-3', ['x', '_', '1', '+', 'y', '_', '2', '=', 'z', '-', '3']],
    ['Qwen2-7B 在 C++ 任务上', ['Qwen2', '-', '7B', ' ', '在', ' ', 'C++', ' ', '任务', '上']],
    // CJK Extension A and compatibility ideographs are outside Python's han blocks: one character a word.
    ['㐀㐀中国\uF900\uF900人', ['㐀', '㐀', '中国', '\uF900', '\uF900', '人']],
    ['a\r\nb\u3000\u3000c', ['a', '\r\n', 'b', '\u3000', '\u3000', 'c']],
  ])('words of %j', async (text, words) => {
    const split = await loadWordSplitter();
    expect(split(text)).toEqual(words);
  });

  test.each([
    ['学习率设为 2e-4，批大小 16。', '学习率 2e-4，batch size 16。', { 'bleu-4': 35.74, em: 0, f1: 66.6667 }],
    ['Qwen2-7B 在 C++ 任务上表现好', 'qwen2-7b 在 c++ 任务上表现很好', { 'bleu-4': 59.7683, em: 0, f1: 94.7368 }],
    // U+001C is whitespace to Python's strip(); U+FEFF is not (JavaScript's trim() has it the other way round).
    ['hello\u001c', 'hello', { 'bleu-4': 75.9836, em: 100, f1: 100 }],
    ['\uFEFFhello', 'hello', { 'bleu-4': 75.9836, em: 0, f1: 66.6667 }],
    // Characters outside the BMP count once, as in Python's list(str).
    ['𠀀𠀁好的', '𠀀好的', { 'bleu-4': 35.3553, em: 0, f1: 85.7143 }],
    ['Line one\r\nLine two', 'Line one\nLine two', { 'bleu-4': 83.9433, em: 0, f1: 100 }],
  ])('%j against %j', async (predict, label, expected) => {
    const scores = await scorePrediction(predict, label);
    expect({ 'bleu-4': scores['bleu-4'], em: scores.em, f1: scores.f1 }).toEqual(expected);
  });

  test.each([
    [0.03125, 4, 0.0312],
    [2.675, 2, 2.67],
    [12.34565, 4, 12.3456],
    [0.5, 0, 0],
    [1.5, 0, 2],
    [2.5, 0, 2],
  ])('round(%s, %s) is %s', (x, places, expected) => {
    expect(roundLikePython(x, places)).toBe(expected);
  });
});

describe('predictions file', () => {
  const write = (content: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'tb-predictions-')), 'generated_predictions.jsonl');
    writeFileSync(path, content);
    return path;
  };
  const rejection = async (path: string): Promise<UserError> => {
    const err: unknown = await readPredictionsFile(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  };

  test('reads LLaMA-Factory rows, skipping blank lines, with a BOM and CRLF endings', async () => {
    const path = write('\uFEFF{"prompt": "q1", "predict": "a", "label": "b"}\r\n\r\n{"predict": "c", "label": "d"}\r\n');
    expect(await readPredictionsFile(path)).toEqual([
      { line: 1, prompt: 'q1', predict: 'a', label: 'b' },
      { line: 3, predict: 'c', label: 'd' },
    ]);
  });

  test('a line that is not JSON is named with its number', async () => {
    const path = write('{"predict": "a", "label": "b"}\n\n{"predict": "a", "label": }\n');
    const err = await rejection(path);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/line 3: not valid JSON/);
  });

  test('a line without a label is named with its number', async () => {
    const err = await rejection(write('{"predict": "a", "label": "b"}\n{"prompt": "p", "predict": "a"}\n'));
    expect(err.message).toMatch(/line 2: no "label" key/);
  });

  test('a predict that is not a string, and a line that is not an object', async () => {
    expect((await rejection(write('{"predict": 3, "label": "b"}\n'))).message).toMatch(/line 1: "predict" is a number, not a string/);
    expect((await rejection(write('{"predict": "a", "label": "b"}\n["a", "b"]\n'))).message).toMatch(/line 2: expected a JSON object, found an array/);
  });
});
