/**
 * `tuneboard export --format gguf` on the demo model with an adapter it trained: the file loads in llama.cpp, which
 * continues the chat prompt with our tokens; the Modelfile and export.json say how to run it and what was checked.
 */
import { gguf } from '@huggingface/gguf';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { DEMO_MODEL } from '../fixtures';
import { json, runCli } from './run-cli';

const root = mkdtempSync(join(tmpdir(), 'tb-gguf-'));
const adapter = join(root, 'run');

beforeAll(async () => {
  json(await runCli(['train', 'examples/demo.yaml', `output_dir=${adapter}`, 'max_steps=20', 'val_size=0', 'cutoff_len=96', 'save_steps=1000', '--backend', 'wasm', '--json']));
}, 120_000);

const exportAs = async (type: string) => json(await runCli(['export', '--model', DEMO_MODEL, '--adapter', adapter, '--out', join(root, type), '--format', 'gguf', '--gguf-type', type, '--backend', 'wasm', '--json']));

describe('GGUF export of the demo model with a trained adapter', () => {
  test.each(['f32', 'f16'])('%s: llama.cpp continues the chat prompt with our 24 tokens', async (type) => {
    const result = await exportAs(type);
    expect(result.gguf.llamaCpp).toEqual({ available: true, agree: 24, total: 24, forcedMismatches: [], tokenizationMatches: true });
    expect(result.gguf.type).toBe(type);
    expect(result.mergedModules).toBe(28);
  }, 60_000);

  test('q4_k_m: Q4_K and Q6_K tensors, a Modelfile, export.json, and the check reported', async () => {
    const out = join(root, 'q4_k_m');
    const result = await exportAs('q4_k_m');
    const file = join(out, result.gguf.file);
    expect(result.gguf.file).toBe('q4_k_m-Q4_K_M.gguf');
    expect(result.gguf.llamaCpp.available).toBe(true);
    expect(result.gguf.llamaCpp.total).toBe(24);
    expect(Object.keys(result.gguf.tensorTypes).sort()).toEqual(expect.arrayContaining(['Q4_K', 'Q6_K']));
    expect(readFileSync(join(out, 'Modelfile'), 'utf8')).toMatch(/^FROM \.\/q4_k_m-Q4_K_M\.gguf\n/);
    expect(result.gguf.ollamaCommand).toBe(`ollama create q4_k_m -f ${join(out, 'Modelfile')}`);
    expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')).gguf.llamaCpp).toEqual(result.gguf.llamaCpp);
    // The metadata read back with a GGUF reader matches the model.
    const metadata = (await gguf(file, { allowLocalFile: true })).metadata as Record<string, unknown>;
    const config = JSON.parse(readFileSync(join(DEMO_MODEL, 'config.json'), 'utf8'));
    expect(metadata['general.architecture']).toBe('llama');
    expect(metadata['llama.block_count']).toBe(config.num_hidden_layers);
    expect(metadata['llama.embedding_length']).toBe(config.hidden_size);
    expect(metadata['llama.attention.head_count_kv']).toBe(config.num_key_value_heads);
    expect(metadata['tokenizer.chat_template']).toBe(readFileSync(join(DEMO_MODEL, 'chat_template.jinja'), 'utf8'));
    // No temporary file or folder is left behind.
    expect(readdirSync(root).filter((f) => f.includes('.partial'))).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['Modelfile', 'export.json', 'q4_k_m-Q4_K_M.gguf']);
  }, 60_000);
});
