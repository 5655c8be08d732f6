/** The Ollama Modelfile written beside a GGUF. */
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';
import { modelfileText } from '../../src-main/engine/export/gguf/modelfile';
import { exportGguf } from './gguf-cases';

describe('Modelfile', () => {
  test('ChatML with a default system prompt (tiny-qwen2): FROM, a Go TEMPLATE with the default in its else branch, stop', async () => {
    const r = await exportGguf('tiny-qwen2', 'q8_0');
    expect(modelfileText({ ggufFileName: basename(r.file), ...r })).toBe(
      [
        'FROM ./tiny-qwen2-q8_0.gguf',
        'TEMPLATE """{{ if .System }}<|im_start|>system',
        '{{ .System }}<|im_end|>',
        '{{ else }}<|im_start|>system',
        'You are a helpful assistant.<|im_end|>',
        '{{ end }}{{ range .Messages }}{{ if eq .Role "user" }}<|im_start|>user',
        '{{ .Content }}<|im_end|>',
        '{{ else if eq .Role "assistant" }}<|im_start|>assistant',
        '{{ .Content }}<|im_end|>',
        '{{ end }}{{ end }}<|im_start|>assistant',
        '"""',
        'PARAMETER stop "<|im_end|>"',
        '',
      ].join('\n'),
    );
  });

  test('Llama 3 style with the BOS in the template (tiny-llama)', async () => {
    const r = await exportGguf('tiny-llama', 'f16');
    expect(modelfileText({ ggufFileName: basename(r.file), ...r })).toBe(
      [
        'FROM ./tiny-llama-f16.gguf',
        'TEMPLATE """{{ if .System }}<|begin_of_text|><|start_header_id|>system<|end_header_id|>',
        '',
        '{{ .System }}<|eot_id|>{{ else }}<|begin_of_text|>{{ end }}{{ range .Messages }}{{ if eq .Role "user" }}<|start_header_id|>user<|end_header_id|>',
        '',
        '{{ .Content }}<|eot_id|>{{ else if eq .Role "assistant" }}<|start_header_id|>assistant<|end_header_id|>',
        '',
        '{{ .Content }}<|eot_id|>{{ end }}{{ end }}<|start_header_id|>assistant<|end_header_id|>',
        '',
        '"""',
        'PARAMETER stop "<|eot_id|>"',
        '',
      ].join('\n'),
    );
  });

  const base = { ggufFileName: 'm.gguf', chatTemplate: null, bosToken: null, eosToken: null, stop: ['</s>', '</s>', 'say "end"'] };

  test('sampling defaults of generation_config.json; stop texts quoted once each', () => {
    expect(modelfileText({ ...base, generation: { doSample: true, temperature: 0.7, topP: 0.9, topK: 40, minP: 0.05, repetitionPenalty: 1.1 } })).toBe(
      ['FROM ./m.gguf', 'PARAMETER stop "</s>"', 'PARAMETER stop "say \\"end\\""', 'PARAMETER temperature 0.7', 'PARAMETER top_p 0.9', 'PARAMETER top_k 40', 'PARAMETER min_p 0.05', 'PARAMETER repeat_penalty 1.1', ''].join('\n'),
    );
  });

  test('do_sample false is greedy: temperature 0, sampling values ignored as transformers does', () => {
    expect(modelfileText({ ...base, stop: [], generation: { doSample: false, temperature: 0.6, topP: 0.9 } })).toBe('FROM ./m.gguf\nPARAMETER temperature 0\n');
  });

  test('a template that is not per-role prefixes and suffixes gets no TEMPLATE (Ollama then uses its own detection)', () => {
    const numbered = '{% for m in messages %}{{ loop.index }}. {{ m.role }}: {{ m.content }}\n{% endfor %}';
    expect(modelfileText({ ...base, stop: [], chatTemplate: numbered, generation: {} })).toBe('FROM ./m.gguf\n');
  });
});
