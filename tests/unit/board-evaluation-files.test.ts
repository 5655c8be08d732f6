/**
 * The board's plain pieces of evaluation and comparison: the CSV a spreadsheet reads (quoted cells, UTF-8 mark,
 * formulas kept as text), an answer's words against the reference (Chinese split into words), and the config keys
 * that set compared runs apart.
 */
import { describe, expect, it } from 'vitest';
import type { PredictComparison } from '../../src-main/protocol/engine-types';
import { comparisonJson, metricsCsv, predictionsCsv } from '../../src-renderer/state/comparison-files';
import { configDifferences, configValueText } from '../../src-renderer/state/config-differences';
import { answerAgainstReference } from '../../src-renderer/state/word-diff';

const comparison: PredictComparison = {
  out: '/runs/r1/predict-20260101-100000',
  targets: [
    { name: 'base', adapter: null, samples: 2, partial: false, metrics: { 'predict_bleu-4': 3.24285, 'predict_rouge-1': 0, 'predict_rouge-2': 0, 'predict_rouge-l': 0, predict_em: 0, predict_f1: 0 }, seconds: 5.5 },
    { name: 'final', adapter: '/runs/r1', samples: 1, partial: true, metrics: { 'predict_bleu-4': 5.69005, 'predict_rouge-1': 9.8086, 'predict_rouge-2': 2.631575, 'predict_rouge-l': 9.30735, predict_em: 0, predict_f1: 9.30735 }, seconds: 2.7 },
  ],
  best: 'base',
  examples: [
    { prompt: 'Say "hi", twice', label: 'hi, hi', predictions: { base: 'hi\nhi', final: '=1+1' } },
    { prompt: '你好', label: '你好！', predictions: { base: '你好' } },
  ],
};

describe('evaluation downloads', () => {
  it('writes the metrics one model a row, in LLaMA-Factory’s names and order', () => {
    expect(metricsCsv(comparison)).toBe(
      '\uFEFFmodel,adapter,samples,partial,best,predict_bleu-4,predict_rouge-1,predict_rouge-2,predict_rouge-l,predict_em,predict_f1,seconds\r\n' +
        'base,,2,no,yes,3.24285,0,0,0,0,0,5.5\r\n' +
        'final,/runs/r1,1,yes,no,5.69005,9.8086,2.631575,9.30735,0,9.30735,2.7\r\n',
    );
  });

  it('quotes commas, quotes and line breaks, keeps a formula as text, and leaves a missing answer empty', () => {
    expect(predictionsCsv(comparison)).toBe('\uFEFFprompt,label,base,final\r\n"Say ""hi"", twice","hi, hi","hi\nhi",\'=1+1\r\n你好,你好！,你好,\r\n');
  });

  it('keeps the JSON exactly as the engine gave it', () => {
    expect(JSON.parse(comparisonJson(comparison))).toEqual(comparison);
  });
});

describe('an answer against the reference', () => {
  it('marks the words the reference does not have there', () => {
    const parts = answerAgainstReference('The capital of France is Paris.', 'The capital is Paris, France.');
    expect(parts.map((p) => p.text).join('')).toBe('The capital is Paris, France.');
    expect(parts.filter((p) => p.added).map((p) => p.text.trim())).toEqual([', France']);
  });

  it('compares Chinese word by word, not the whole sentence', () => {
    const parts = answerAgainstReference('北京是中国的首都', '上海是中国的城市');
    expect(parts.filter((p) => p.added).map((p) => p.text)).toEqual(['上海', '城市']);
    expect(parts.filter((p) => !p.added).map((p) => p.text)).toEqual(['是中国的']);
  });
});

describe('config keys that differ between runs', () => {
  it('lists each differing key once, in config order, with every run’s value; output_dir left out', () => {
    const a = { model_name_or_path: 'm', learning_rate: 0.002, lora_target: ['q_proj', 'v_proj'], output_dir: '/runs/a', seed: 42 };
    const b = { model_name_or_path: 'm', learning_rate: 0.0002, lora_target: ['q_proj', 'v_proj'], output_dir: '/runs/b', seed: 42, use_rslora: true };
    const c = { model_name_or_path: 'm', learning_rate: 0.002, lora_target: ['q_proj'], output_dir: '/runs/c', seed: 42 };
    expect(configDifferences([a, b, c])).toEqual([
      { key: 'learning_rate', values: [0.002, 0.0002, 0.002] },
      { key: 'lora_target', values: [['q_proj', 'v_proj'], ['q_proj', 'v_proj'], ['q_proj']] },
      { key: 'use_rslora', values: [undefined, true, undefined] },
    ]);
    expect(configDifferences([a, { ...a, output_dir: '/elsewhere' }])).toEqual([]);
  });

  it('writes values as a table shows them', () => {
    expect([['q_proj', 'v_proj'], undefined, null, 2e-4, { a: 1 }].map(configValueText)).toEqual(['q_proj, v_proj', '–', '–', '0.0002', '{"a":1}']);
  });
});
